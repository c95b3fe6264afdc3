// One table of strategic merge patch cases, each run four ways against one real API server:
// the API server's PATCH (application/strategic-merge-patch+json), server-side apply
// (application/apply-patch+yaml), `skiff apply` and the real `kubectl apply` (client-side,
// its three-way patch computed from the OpenAPI document the server publishes). All four
// must leave identical objects, or refuse identically. Each case also states what the
// object must look like, so four equally wrong answers fail too.
// A pod's spec is immutable but for images and added tolerations, as in Kubernetes: the
// list cases change an image and show that the lists around it (env, ports, volumes) were
// merged by key, not replaced (a replaced list would be a forbidden change). The $retainKeys
// case switches a volume's source, which every path must refuse the same way.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isApiError } from '../../api/errors.js';
import { POD_UPDATE_FORBIDDEN_MESSAGE } from '../../api/validation/pod-update.js';
import { outputsOf, startSkiff } from '../fixtures/process.js';
import { haveTool } from '../fixtures/tools.js';
import { haveKubectl, kubectlBinary, startKubectlCluster, type KubectlCluster } from './kubectl-harness.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

type Obj = Record<string, unknown>;

interface PatchCase {
  name: string;
  kind: 'Pod' | 'Node';
  /** the object as first applied or created (without metadata.name) */
  base: Obj;
  /** the manifest applied next (kubectl, skiff, server-side apply) */
  next: Obj;
  /** the strategic merge patch PATCHed onto the base, meaning the same change */
  patch: Obj;
  /** what the object must be afterwards; a string: the refusal every path must give */
  expected: ((o: Obj) => void) | string;
}

const app = (extra: Obj = {}): Obj => ({ name: 'app', image: 'busybox:1.36', ...extra });
const podOf = (spec: Obj, metadata: Obj = {}): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { labels: { app: 'table' }, ...metadata }, spec });
const nodeOf = (spec: Obj): Obj => ({ apiVersion: 'v1', kind: 'Node', metadata: { labels: { role: 'table' } }, spec });
const spec = (o: Obj) => o.spec as { containers: Obj[]; tolerations?: Obj[]; volumes?: Obj[]; taints?: Obj[] };
const owner = (uid: string): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', name: `owner-${uid}`, uid });

const taintA = { key: 'a', value: '1', effect: 'NoSchedule' };
const taintB = { key: 'b', effect: 'NoSchedule' };
const taintC = { key: 'c', value: '3', effect: 'PreferNoSchedule' };
const t1 = { key: 't1', operator: 'Exists', effect: 'NoSchedule' };
const t2 = { key: 't2', operator: 'Equal', value: 'v', effect: 'NoSchedule' };
const env = [
  { name: 'A', value: '1' },
  { name: 'B', value: '2' },
];
const ports = [
  { containerPort: 80, name: 'http' },
  { containerPort: 443, name: 'https' },
];
const mounts = [
  { name: 'data', mountPath: '/data' },
  { name: 'cache', mountPath: '/cache' },
];
const volumes = [
  { name: 'data', emptyDir: {} },
  { name: 'cache', emptyDir: { medium: 'Memory' } },
];

const CASES: PatchCase[] = [
  {
    name: 'taints',
    kind: 'Node',
    base: nodeOf({ taints: [taintA, taintB] }),
    next: nodeOf({ taints: [taintB, taintC] }),
    patch: { spec: { taints: [taintB, taintC] } },
    // No patch strategy in core/v1: the list is replaced whole, "a" goes.
    expected: (o) => expect(spec(o).taints).toEqual([taintB, taintC]),
  },
  {
    name: 'tolerations',
    kind: 'Pod',
    base: podOf({ containers: [app()], tolerations: [t1] }),
    next: podOf({ containers: [app()], tolerations: [t1, t2] }),
    patch: { spec: { tolerations: [t1, t2] } },
    // Replaced whole; the server's default tolerations (not-ready, unreachable) come back after.
    expected: (o) => expect(spec(o).tolerations?.slice(0, 2)).toEqual([t1, t2]),
  },
  {
    name: 'containers',
    kind: 'Pod',
    base: podOf({ containers: [app(), { name: 'side', image: 'busybox:1.36' }] }),
    next: podOf({ containers: [app(), { name: 'side', image: 'busybox:1.37' }] }),
    patch: { spec: { containers: [{ name: 'side', image: 'busybox:1.37' }] } },
    expected: (o) => {
      expect(spec(o).containers.map((c) => [c.name, c.image])).toEqual([
        ['app', 'busybox:1.36'],
        ['side', 'busybox:1.37'],
      ]);
      // what the server defaulted inside the merged element stays
      expect(spec(o).containers[1]?.imagePullPolicy).toBe('IfNotPresent');
    },
  },
  {
    name: 'env',
    kind: 'Pod',
    base: podOf({ containers: [app({ env })] }),
    next: podOf({ containers: [app({ env, image: 'busybox:1.37' })] }),
    patch: { spec: { containers: [{ name: 'app', image: 'busybox:1.37', env: [{ name: 'B', value: '2' }] }] } },
    expected: (o) => {
      expect(spec(o).containers[0]).toMatchObject({ image: 'busybox:1.37', env });
    },
  },
  {
    name: 'ports',
    kind: 'Pod',
    base: podOf({ containers: [app({ ports })] }),
    next: podOf({ containers: [app({ ports, image: 'busybox:1.37' })] }),
    patch: { spec: { containers: [{ name: 'app', image: 'busybox:1.37', ports: [{ containerPort: 443, name: 'https' }] }] } },
    expected: (o) => {
      const c = spec(o).containers[0] as { image: string; ports: Obj[] };
      expect(c.image).toBe('busybox:1.37');
      expect(c.ports.map((p) => [p.containerPort, p.name])).toEqual([
        [80, 'http'],
        [443, 'https'],
      ]);
    },
  },
  {
    name: 'volumes',
    kind: 'Pod',
    base: podOf({ containers: [app({ volumeMounts: mounts })], volumes }),
    next: podOf({ containers: [app({ volumeMounts: mounts, image: 'busybox:1.37' })], volumes }),
    patch: { spec: { containers: [{ name: 'app', image: 'busybox:1.37', volumeMounts: [{ mountPath: '/cache', name: 'cache' }] }], volumes: [{ name: 'cache', emptyDir: { medium: 'Memory' } }] } },
    expected: (o) => {
      expect(spec(o).volumes).toEqual(volumes);
      expect(spec(o).containers[0]).toMatchObject({ image: 'busybox:1.37', volumeMounts: mounts });
    },
  },
  {
    name: 'patch-delete',
    kind: 'Pod',
    base: podOf({ containers: [app()] }, { ownerReferences: [owner('u1'), owner('u2')] }),
    next: podOf({ containers: [app()] }, { ownerReferences: [owner('u1')] }),
    patch: { metadata: { ownerReferences: [{ uid: 'u2', $patch: 'delete' }] } },
    expected: (o) => expect((o.metadata as Obj).ownerReferences).toEqual([owner('u1')]),
  },
  {
    name: 'finalizers',
    kind: 'Pod',
    base: podOf({ containers: [app()] }, { finalizers: ['table.skiff.dev/a', 'table.skiff.dev/b'] }),
    next: podOf({ containers: [app()] }, { finalizers: ['table.skiff.dev/a', 'table.skiff.dev/c'] }),
    patch: { metadata: { finalizers: ['table.skiff.dev/c'], '$deleteFromPrimitiveList/finalizers': ['table.skiff.dev/b'] } },
    expected: (o) => expect((o.metadata as Obj).finalizers).toEqual(['table.skiff.dev/a', 'table.skiff.dev/c']),
  },
  {
    name: 'retain-keys',
    kind: 'Pod',
    base: podOf({ containers: [app({ volumeMounts: [mounts[0]] })], volumes: [volumes[0]] }),
    next: podOf({ containers: [app({ volumeMounts: [mounts[0]] })], volumes: [{ name: 'data', hostPath: { path: '/tmp' } }] }),
    patch: { spec: { volumes: [{ name: 'data', $retainKeys: ['hostPath', 'name'], hostPath: { path: '/tmp' } }] } },
    expected: POD_UPDATE_FORBIDDEN_MESSAGE,
  },
];

const WAYS = ['patch', 'server-side-apply', 'skiff-apply', 'kubectl-apply'] as const;
type Way = (typeof WAYS)[number];
/** kubectl versions taken in turn, so the table covers the installed range. */
const KUBECTL_VERSIONS = ['1.27', '1.29', '1.31', '1.33'].filter((v) => haveTool(kubectlBinary(v)));

const objectName = (c: PatchCase, way: Way) => `${c.name}-${way}`.toLowerCase();
const named = (o: Obj, name: string): Obj => ({ ...o, metadata: { ...(o.metadata as Obj), name } });
const restPath = (c: PatchCase, name: string) => (c.kind === 'Node' ? `/api/v1/nodes/${name}` : `/api/v1/namespaces/default/pods/${name}`);
const collectionPath = (c: PatchCase) => (c.kind === 'Node' ? '/api/v1/nodes' : '/api/v1/namespaces/default/pods');

/** The object without what differs by name, time or writer: identity, bookkeeping, status, the last-applied annotation. */
function comparable(o: Obj): Obj {
  const meta = { ...(o.metadata as Obj) };
  for (const k of ['name', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'namespace']) delete meta[k];
  const annotations = { ...((meta.annotations as Obj | undefined) ?? {}) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  else delete meta.annotations;
  const { status: _status, ...rest } = o;
  return { ...rest, metadata: meta };
}

/** An outcome: the object as compared, or the refusal's message. */
type Outcome = { object: Obj } | { refused: string };

let c: KubectlCluster;
let dir: string;

async function skiff(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return outputsOf(startSkiff(args, { env: { ...process.env, ...c.env } }));
}

async function manifestFile(name: string, objects: Obj[]): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  return file;
}

async function read(tc: PatchCase, way: Way): Promise<Obj> {
  return c.admin.request<Obj>({ path: restPath(tc, objectName(tc, way)) });
}

async function rest(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    if (isApiError(e)) return e.message;
    throw e;
  }
}

/** Runs the case's change one way; answers the refusal's message, if any. */
async function change(tc: PatchCase, way: Way, version: string | undefined): Promise<string | undefined> {
  const name = objectName(tc, way);
  switch (way) {
    case 'patch':
      return rest(() => c.admin.request({ method: 'PATCH', path: restPath(tc, name), body: tc.patch, contentType: 'application/strategic-merge-patch+json' }));
    case 'server-side-apply':
      return rest(() => c.admin.request({ method: 'PATCH', path: restPath(tc, name), query: { fieldManager: 'table' }, body: named(tc.next, name), contentType: 'application/apply-patch+yaml' }));
    case 'skiff-apply': {
      const r = await skiff(['apply', '-f', await manifestFile(name, [named(tc.next, name)])]);
      return r.code === 0 ? undefined : r.err;
    }
    case 'kubectl-apply': {
      const r = await c.kubectl(['apply', '-f', '-'], { stdin: JSON.stringify(named(tc.next, name)), version });
      return r.code === 0 ? undefined : r.stderr;
    }
  }
}

describe.skipIf(!haveKubectl)('one strategic merge patch: PATCH, server-side apply, skiff apply and kubectl apply agree', () => {
  const outcomes = new Map<string, Map<Way, Outcome>>();

  beforeAll(async () => {
    c = await startKubectlCluster();
    dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-smp-table-'));
    // Every base object, four copies, made the way its path makes them: one kubectl and one skiff run for all.
    for (const tc of CASES) {
      await c.admin.request({ method: 'POST', path: collectionPath(tc), body: named(tc.base, objectName(tc, 'patch')) });
      await c.admin.request({ method: 'PATCH', path: restPath(tc, objectName(tc, 'server-side-apply')), query: { fieldManager: 'table' }, body: named(tc.base, objectName(tc, 'server-side-apply')), contentType: 'application/apply-patch+yaml' });
    }
    const created = await skiff(['apply', '-f', await manifestFile('bases', CASES.map((tc) => named(tc.base, objectName(tc, 'skiff-apply'))))]);
    expect(created.err).toBe('');
    const kubectlCreated = await c.kubectl(['apply', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: CASES.map((tc) => named(tc.base, objectName(tc, 'kubectl-apply'))) }) });
    expect(kubectlCreated).toMatchObject({ code: 0, stderr: '' });

    for (const [i, tc] of CASES.entries()) {
      const byWay = new Map<Way, Outcome>();
      for (const way of WAYS) {
        const refused = await change(tc, way, KUBECTL_VERSIONS[i % KUBECTL_VERSIONS.length]);
        byWay.set(way, refused === undefined ? { object: comparable(await read(tc, way)) } : { refused });
      }
      outcomes.set(tc.name, byWay);
    }
  }, 300_000);

  afterAll(async () => {
    await c?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(CASES.map((tc) => [tc.name, tc] as const))('%s', (_name, tc) => {
    const byWay = outcomes.get(tc.name) as Map<Way, Outcome>;
    if (typeof tc.expected === 'string') {
      for (const way of WAYS) expect({ way, outcome: byWay.get(way) }).toEqual({ way, outcome: { refused: expect.stringContaining(tc.expected) } });
      return;
    }
    const first = byWay.get('patch') as Outcome;
    expect(first).toHaveProperty('object');
    tc.expected((first as { object: Obj }).object);
    for (const way of WAYS) expect({ way, outcome: byWay.get(way) }).toEqual({ way, outcome: first });
  });
});
