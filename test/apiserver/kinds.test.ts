// Every kind is one declaration (api/kinds/), and every kind gets the same API: this suite
// iterates the declarations — no list of kinds here — and checks against the real server on a
// real etcd that discovery, OpenAPI (with the schema's patch keys), the Table and validation
// come from each kind's declaration, that dryRun=All writes nothing to etcd on create, update,
// every patch type, server-side apply and delete, and that fieldValidation=Strict|Warn|Ignore
// behave as Kubernetes' for each of those writes.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS, type KindDefinition } from '../../api/kinds/index.js';
import { apiVersionOf, resourcePath } from '../../api/resources.js';
import type { JsonSchema } from '../../api/schemas/index.js';
import type { KubeObject } from '../../api/types/meta.js';
import { KeyLayout } from '../../apiserver/storage/keys.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { eventually } from '../fixtures/eventually.js';
import { startNamespaceController, type NamespaceControllerFixture } from '../fixtures/namespace-controller.js';
import { baseObject } from '../fuzz/schema-gen.js';
import { client, openWatch, type Client, type Reply } from './http.js';

let etcd: EtcdFixture;
let api: ApiServerFixture;
let admin: Client;
let kv: Etcd3;
let namespaces: NamespaceControllerFixture;
const keys = new KeyLayout('/registry');
const ns = `kinds-${process.pid}`;
let serial = 0;
const fresh = (what: string) => `${what}-${++serial}`;

beforeAll(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcd, inProcess: true });
  namespaces = await startNamespaceController(api);
  admin = client(api.url, api.adminToken);
  kv = new Etcd3({ hosts: etcd.endpoint });
  expect((await admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  kv?.close();
  await namespaces?.stop();
  await api?.stop();
  await etcd?.stop();
});

const r = (k: KindDefinition) => k.resource;
const collection = (k: KindDefinition) => resourcePath(r(k), { namespace: ns });
const item = (k: KindDefinition, name: string) => resourcePath(r(k), { namespace: ns, name });
const hasSpec = (k: KindDefinition) => Boolean(k.schema.properties?.spec);
/** Where each kind gets a field its schema does not know: spec.foo, or foo for kinds without a spec. */
const unknownPath = (k: KindDefinition) => (hasSpec(k) ? 'spec.foo' : 'foo');

/** A valid object of the kind, from its schema (with an empty spec, so a patch can add to it). */
function objectOf(k: KindDefinition, name: string): Record<string, unknown> {
  const o = baseObject(r(k), name, ns);
  if (hasSpec(k)) o.spec ??= {};
  return o;
}

function withUnknown(k: KindDefinition, o: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(o);
  if (hasSpec(k)) (out.spec as Record<string, unknown>).foo = 'bar';
  else out.foo = 'bar';
  return out;
}

async function create(k: KindDefinition, name: string): Promise<KubeObject> {
  const reply = await admin.post<KubeObject>(collection(k), objectOf(k, name));
  expect(reply.status, `${r(k).kind}: ${reply.text}`).toBe(201);
  return reply.body;
}

/** etcd's revision: it moves on any write to any key. */
async function revision(): Promise<string> {
  const res = await kv.get('/registry/').exec();
  return res.header.revision;
}

/** The object as etcd holds it under the kind's key, or undefined. */
async function stored(k: KindDefinition, name: string): Promise<Record<string, unknown> | undefined> {
  const raw = await kv.get(keys.objectKey(r(k), r(k).namespaced ? ns : undefined, name)).string();
  return raw === null ? undefined : (JSON.parse(raw) as Record<string, unknown>);
}

type Write = 'create' | 'update' | 'merge' | 'json' | 'strategic' | 'apply';
const WRITES: Write[] = ['create', 'update', 'merge', 'json', 'strategic', 'apply'];

/** One write of `k` named `name` (which exists, but for create), labelled x=y, with an unknown field when asked. */
async function write(k: KindDefinition, op: Write, name: string, query: string, unknown: boolean): Promise<Reply> {
  const label = { x: 'y' };
  const add = (o: Record<string, unknown>) => (unknown ? withUnknown(k, o) : o);
  const q = `?${query}`;
  switch (op) {
    case 'create':
      return admin.post(`${collection(k)}${q}`, add({ ...objectOf(k, name), metadata: { name, labels: label } }));
    case 'update': {
      const current = (await admin.get<Record<string, unknown>>(item(k, name))).body;
      return admin.put(`${item(k, name)}${q}`, add({ ...current, metadata: { ...(current.metadata as object), labels: label } }));
    }
    case 'merge':
      return admin.patch(`${item(k, name)}${q}`, add({ metadata: { labels: label }, ...(hasSpec(k) ? { spec: {} } : {}) }), 'application/merge-patch+json');
    case 'strategic':
      return admin.patch(`${item(k, name)}${q}`, add({ metadata: { labels: label }, ...(hasSpec(k) ? { spec: {} } : {}) }), 'application/strategic-merge-patch+json');
    case 'json': {
      const ops: unknown[] = [{ op: 'add', path: '/metadata/labels', value: label }];
      if (unknown) ops.push({ op: 'add', path: `/${unknownPath(k).replace('.', '/')}`, value: 'bar' });
      return admin.patch(`${item(k, name)}${q}`, ops, 'application/json-patch+json');
    }
    case 'apply':
      return admin.patch(`${item(k, name)}${q}&fieldManager=kinds-test`, add({ ...objectOf(k, name), metadata: { name, labels: label } }), 'application/apply-patch+yaml');
  }
}

const valueAt = (o: Record<string, unknown> | undefined, path: string): unknown =>
  path.split('.').reduce<unknown>((cur, seg) => (cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined), o);

describe('every kind is one declaration', () => {
  it('discovery lists each kind as its declaration says', async () => {
    for (const k of KINDS) {
      const gv = r(k).group ? `/apis/${apiVersionOf(r(k))}` : `/api/${r(k).version}`;
      const list = await admin.get<{ resources: Record<string, unknown>[] }>(gv);
      const main = list.body.resources.find((x) => x.name === r(k).plural);
      expect(main, r(k).kind).toMatchObject({ kind: r(k).kind, namespaced: r(k).namespaced, singularName: r(k).singular, verbs: r(k).verbs });
      expect(main?.shortNames ?? [], r(k).kind).toEqual(r(k).shortNames);
      for (const sub of r(k).subresources) expect(list.body.resources.some((x) => x.name === `${r(k).plural}/${sub}`), `${r(k).plural}/${sub}`).toBe(true);
    }
  });

  it("OpenAPI publishes each kind's schema with its group-version-kind and the schema's patch strategies and merge keys", async () => {
    const doc = (await admin.get<{ definitions: Record<string, Record<string, unknown>>; paths: Record<string, unknown> }>('/openapi/v2', { accept: 'application/json' })).body;
    let lists = 0;
    for (const k of KINDS) {
      const name = k.schema['x-skiff-definition'] as string;
      expect(doc.definitions[name]?.['x-kubernetes-group-version-kind'], r(k).kind).toEqual([{ group: r(k).group, version: r(k).version, kind: r(k).kind }]);
      const base = r(k).group ? `/apis/${apiVersionOf(r(k))}` : `/api/${r(k).version}`;
      expect(doc.paths[`${base}${r(k).namespaced ? '/namespaces/{namespace}' : ''}/${r(k).plural}/{name}`], r(k).kind).toBeDefined();
      // Every list the schema merges is published with the same strategy and key, under its definition.
      const walk = (s: JsonSchema, def: string, prop: string[]) => {
        const here = s['x-skiff-definition'] && prop.length ? s['x-skiff-definition'] : undefined;
        if (here) return walk(s, here, []);
        if (s['x-kubernetes-patch-strategy']) {
          lists++;
          const published = prop.reduce<Record<string, unknown> | undefined>((cur, p) => (cur?.properties as Record<string, Record<string, unknown>> | undefined)?.[p], doc.definitions[def]);
          expect(published?.['x-kubernetes-patch-strategy'], `${def}.${prop.join('.')}`).toBe(s['x-kubernetes-patch-strategy']);
          expect(published?.['x-kubernetes-patch-merge-key'], `${def}.${prop.join('.')}`).toBe(s['x-kubernetes-patch-merge-key']);
        }
        for (const [p, sub] of Object.entries(s.properties ?? {})) walk(sub, def, [...prop, p]);
        if (s.items?.['x-skiff-definition']) walk(s.items, def, prop);
      };
      walk(k.schema, name, []);
    }
    // containers, ports, env, volumes, conditions, finalizers, ...: the walk did reach them.
    expect(lists).toBeGreaterThan(10);
  });

  it('REST and watch: create, get, list by field selector, update, delete, each seen by a watch', async () => {
    for (const k of KINDS) {
      const name = fresh('rest');
      const watch = await openWatch(api.url, `${collection(k)}?watch=true&fieldSelector=metadata.name%3D${name}`, api.adminToken);
      try {
        expect(watch.status, r(k).kind).toBe(200);
        const created = await create(k, name);
        expect((await admin.get(item(k, name))).body.metadata?.uid, r(k).kind).toBe(created.metadata.uid);
        const list = await admin.get<{ kind: string; items: KubeObject[] }>(`${collection(k)}?fieldSelector=metadata.name%3D${name}`);
        expect([list.body.kind, list.body.items.map((o) => o.metadata.name)], r(k).kind).toEqual([r(k).listKind, [name]]);
        expect((await admin.patch(item(k, name), { metadata: { labels: { seen: 'yes' } } })).status, r(k).kind).toBe(200);
        expect((await admin.del(item(k, name))).status, r(k).kind).toBe(200);
        // A namespace is marked Terminating and the namespace controller writes its conditions
        // (MODIFIED both) before it goes.
        const gone = await eventually(() => watch.events.find((e) => e.type === 'DELETED'), `${r(k).kind} ${name} DELETED`);
        const events = watch.events.slice(0, watch.events.indexOf(gone) + 1);
        expect([...events.slice(0, 2), events.at(-1)].map((e) => e?.type), r(k).kind).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
        expect(events.slice(2, -1).every((e) => e.type === 'MODIFIED' && e.object.metadata.deletionTimestamp), r(k).kind).toBe(true);
      } finally {
        watch.close();
      }
    }
  });

  it("the Table kubectl get asks for has each kind's declared columns", async () => {
    for (const k of KINDS) {
      const name = fresh('table');
      await create(k, name);
      const t = await admin.get<{ columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[] }[] }>(item(k, name), {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
      });
      expect(t.status, r(k).kind).toBe(200);
      expect(t.body.columnDefinitions.map((c) => [c.name, c.priority]), r(k).kind).toEqual(k.columns.map((c) => [c.name, c.priority]));
      expect(t.body.rows[0]?.cells.length, r(k).kind).toBe(k.columns.length);
    }
  });

  it("validation follows each kind's declaration: its name rule, with the field path", async () => {
    for (const k of KINDS) {
      // A dot is fine in a subdomain, not in a label (namespaces, Services).
      const name = `${fresh('dotted')}.x`;
      const reply = await admin.post<{ details?: { causes?: { field?: string }[] } }>(collection(k), objectOf(k, name));
      if (k.nameRule !== 'subdomain') {
        expect(reply.status, r(k).kind).toBe(422);
        expect(reply.body.details?.causes?.map((c) => c.field), r(k).kind).toContain('metadata.name');
      } else expect(reply.status, `${r(k).kind}: ${reply.text}`).toBe(201);
    }
  });
});

describe('dryRun=All writes nothing, for every kind and every write', () => {
  it.each(KINDS.map((k) => [r(k).kind, k] as const))('%s', async (_kind, k) => {
    for (const op of [...WRITES, 'apply-create' as const, 'delete' as const]) {
      const name = fresh('dry');
      if (op !== 'create' && op !== 'apply-create') await create(k, name);
      const before = await stored(k, name);
      const rev = await revision();
      const reply =
        op === 'delete'
          ? await admin.del(`${item(k, name)}?dryRun=All`)
          : op === 'apply-create'
            ? await write(k, 'apply', name, 'dryRun=All', false)
            : await write(k, op, name, 'dryRun=All', false);
      expect(reply.status, `${r(k).kind} ${op}: ${reply.text}`).toBeLessThan(300);
      // The answer is what would be stored ...
      // (A patch adds to the labels the object had: a Job's are its template's.)
      if (op !== 'delete') expect((reply.body as KubeObject).metadata?.labels, `${r(k).kind} ${op}`).toMatchObject({ x: 'y' });
      // ... and etcd did not move.
      expect(await revision(), `${r(k).kind} ${op}`).toBe(rev);
      expect(await stored(k, name), `${r(k).kind} ${op}`).toEqual(before);
    }
  });
});

describe('fieldValidation, for every kind and every write', () => {
  it.each(KINDS.map((k) => [r(k).kind, k] as const))('%s', async (_kind, k) => {
    const field = unknownPath(k);
    for (const op of WRITES) {
      const make = async () => {
        const name = fresh(`fv-${op}`);
        if (op !== 'create') await create(k, name);
        return name;
      };
      // Strict: the strict decoder's 400, naming the field; nothing written.
      let name = await make();
      const before = await stored(k, name);
      const strict = await write(k, op, name, 'fieldValidation=Strict', true);
      expect(strict.status, `${r(k).kind} ${op} Strict: ${strict.text}`).toBe(400);
      expect((strict.body as { message?: string }).message, `${r(k).kind} ${op}`).toContain(`unknown field "${field}"`);
      expect(await stored(k, name), `${r(k).kind} ${op} Strict`).toEqual(before);

      // Warn (and the default): written without the field, a Warning 299 says which went.
      for (const query of ['fieldValidation=Warn', 'fieldValidation=']) {
        name = await make();
        const warn = await write(k, op, name, query, true);
        expect(warn.status, `${r(k).kind} ${op} ${query}: ${warn.text}`).toBeLessThan(300);
        expect(warn.headers.get('warning') ?? '', `${r(k).kind} ${op} ${query}`).toContain(`299 - "unknown field \\"${field}\\""`);
        const after = await stored(k, name);
        expect(valueAt(after, field), `${r(k).kind} ${op} ${query}`).toBeUndefined();
        expect((after?.metadata as { labels?: unknown } | undefined)?.labels, `${r(k).kind} ${op} ${query}`).toMatchObject({ x: 'y' });
      }

      // Ignore: written without the field, and nothing said.
      name = await make();
      const ignore = await write(k, op, name, 'fieldValidation=Ignore', true);
      expect(ignore.status, `${r(k).kind} ${op} Ignore: ${ignore.text}`).toBeLessThan(300);
      expect(ignore.headers.get('warning'), `${r(k).kind} ${op} Ignore`).toBeNull();
      expect(valueAt(await stored(k, name), field), `${r(k).kind} ${op} Ignore`).toBeUndefined();
    }
  });
});
