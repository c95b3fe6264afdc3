// The objects the authorization grid asks about — node-a and node-b, a pod bound to each,
// their leases and the components' leader-election leases, a ConfigMap and a Secret that
// each pod names (node-a's own are ref-a, named by pod-a), an event, a namespace, and one
// object of any other kind in the registry — and the request of one grid cell.
import { resourcePath, type ResourceInfo } from '../../api/resources.js';
import { eventually } from '../fixtures/eventually.js';
import type { Cell } from './authz-table.js';
import type { FuzzClient, FuzzRequest, Identity } from './runner.js';
import { baseObject, KINDS, toJsonText } from './schema-gen.js';

export const NS = 'authz-ns';

interface Fixture {
  resource: ResourceInfo;
  namespace?: string;
  name: string;
  body: Record<string, unknown>;
}

function fixture(r: ResourceInfo, name: string, namespace: string | undefined, tweak?: (o: Record<string, unknown>) => void): Fixture {
  const body = baseObject(r, name, namespace ?? NS);
  if (!r.namespaced) delete (body.metadata as Record<string, unknown>).namespace;
  else (body.metadata as Record<string, unknown>).namespace = namespace;
  tweak?.(body);
  return { resource: r, namespace: r.namespaced ? namespace : undefined, name, body };
}

/** Every fixture, the namespace first. */
export function fixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const r of KINDS) {
    if (r.kind === 'Namespace') out.unshift(fixture(r, NS, undefined));
    else if (r.kind === 'Node') out.push(fixture(r, 'node-a', undefined), fixture(r, 'node-b', undefined));
    else if (r.kind === 'Pod') for (const n of ['a', 'b']) out.push(fixture(r, `pod-${n}`, NS, (o) => Object.assign(o.spec as Record<string, unknown>, { nodeName: `node-${n}`, volumes: refVolumes(n) })));
    else if (r.kind === 'ConfigMap' || r.kind === 'Secret') out.push(fixture(r, 'ref-a', NS), fixture(r, 'ref-b', NS));
    else if (r.kind === 'Lease') {
      out.push(fixture(r, 'node-a', 'kube-node-lease'), fixture(r, 'node-b', 'kube-node-lease'));
      out.push(fixture(r, 'kube-scheduler', 'kube-system'), fixture(r, 'kube-controller-manager', 'kube-system'));
    } else if (r.kind === 'EndpointSlice') out.push(fixture(r, 'kube-dns-node-a', 'kube-system'), fixture(r, 'kube-dns-node-b', 'kube-system'));
    else out.push(fixture(r, 'authz-obj', r.namespaced ? NS : undefined));
  }
  return out;
}

/** What pod-a (pod-b) names: the ConfigMap and the Secret ref-a (ref-b), the Node authorizer's edges. */
function refVolumes(n: string): unknown[] {
  return [
    { name: 'cm', configMap: { name: `ref-${n}` } },
    { name: 'secret', secret: { secretName: `ref-${n}` } },
  ];
}

/** The object a cell asks about: node-a's own one, or another. */
export function targetOf(identity: Identity, r: ResourceInfo, own: boolean): { namespace?: string; name: string } {
  if (r.kind === 'Pod') return { namespace: NS, name: own ? 'pod-a' : 'pod-b' };
  if (r.kind === 'Node') return { name: own ? 'node-a' : 'node-b' };
  if (r.kind === 'Namespace') return { name: NS };
  if (r.kind === 'ConfigMap' || r.kind === 'Secret') return { namespace: NS, name: own ? 'ref-a' : 'ref-b' };
  if (r.kind === 'Lease') {
    const component = { scheduler: 'kube-scheduler', 'controller-manager': 'kube-controller-manager' }[identity as string];
    if (component) return { namespace: 'kube-system', name: own ? component : component === 'kube-scheduler' ? 'kube-controller-manager' : 'kube-scheduler' };
    return { namespace: 'kube-node-lease', name: own ? 'node-a' : 'node-b' };
  }
  // A node writes one EndpointSlice: its own endpoint of kube-dns.
  if (r.kind === 'EndpointSlice') return { namespace: 'kube-system', name: own ? 'kube-dns-node-a' : 'kube-dns-node-b' };
  return { namespace: r.namespaced ? NS : undefined, name: 'authz-obj' };
}

/** Recreates every fixture that is gone or being deleted (after a write some identity was let do). */
export async function repairFixtures(client: FuzzClient, admin: string): Promise<void> {
  for (const f of fixtures()) {
    const path = resourcePath(f.resource, { namespace: f.namespace, name: f.name });
    const got = await client.send({ method: 'GET', path, token: admin, as: 'admin' });
    const deleting = got.status === 200 && (got.json as { metadata?: { deletionTimestamp?: string } }).metadata?.deletionTimestamp;
    if (got.status === 200 && !deleting) continue;
    if (deleting) {
      await client.send({ method: 'PATCH', path, token: admin, as: 'admin', headers: { 'content-type': 'application/merge-patch+json' }, body: '{"metadata":{"finalizers":null}}' });
      await client.send({ method: 'DELETE', path: `${path}?gracePeriodSeconds=0`, token: admin, as: 'admin' });
    }
    const collection = resourcePath(f.resource, { namespace: f.namespace });
    await eventually(
      async () => {
        const made = await client.send({ method: 'POST', path: collection, token: admin, as: 'admin', headers: { 'content-type': 'application/json' }, body: toJsonText(f.body) });
        if (made.status === 201) return true;
        // A namespace being emptied refuses new content for a moment.
        if (made.status !== 409 && made.status !== 403) throw new Error(`repairing fixture ${f.resource.kind} ${f.name}: ${made.status} ${made.text.slice(0, 300)}`);
        return false;
      },
      `fixture ${f.resource.kind} ${f.name} to be made again`,
      30_000,
      { intervalMs: 50, retryOn: () => false },
    );
  }
}

const BODIES: Record<string, (c: Cell) => unknown> = {
  binding: (c) => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name: c.name, namespace: c.namespace }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } }),
  eviction: (c) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: c.name, namespace: c.namespace } }),
};

/** The request of one cell; writes carry dryRun=All (authorization does not depend on it). */
export function cellRequest(c: Cell, token: string | undefined, createName: string): { req: FuzzRequest; watch: boolean } {
  const r = c.resource;
  const collection = resourcePath(r, { namespace: c.namespace });
  const path = resourcePath(r, { namespace: c.namespace, name: c.name, subresource: c.sub || undefined });
  const base: Omit<FuzzRequest, 'method' | 'path'> = { token, as: c.identity };
  const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: toJsonText(body) });
  const object = () => {
    const o = baseObject(r, c.name ?? createName, c.namespace ?? NS);
    if (!r.namespaced) delete (o.metadata as Record<string, unknown>).namespace;
    if (r.kind === 'Pod') (o.spec as Record<string, unknown>).nodeName = c.own ? 'node-a' : 'node-b';
    return o;
  };
  switch (c.verb) {
    case 'get':
      return { req: { ...base, method: 'GET', path }, watch: false };
    case 'list':
      return { req: { ...base, method: 'GET', path: collection }, watch: false };
    case 'watch':
      return { req: { ...base, method: 'GET', path: `${collection}?watch=1&timeoutSeconds=1` }, watch: true };
    case 'create':
      if (!c.sub) {
        const o = object();
        if (r.kind !== 'Node' && r.kind !== 'Lease' && r.kind !== 'Namespace') (o.metadata as Record<string, unknown>).name = createName;
        return { req: { ...base, method: 'POST', path: `${collection}?dryRun=All`, ...json(o) }, watch: false };
      }
      return { req: { ...base, method: 'POST', path: `${path}?dryRun=All`, ...json(BODIES[c.sub]?.(c) ?? {}) }, watch: false };
    case 'update':
      return { req: { ...base, method: 'PUT', path: `${path}?dryRun=All`, ...json(object()) }, watch: false };
    case 'patch':
      return { req: { ...base, method: 'PATCH', path: `${path}?dryRun=All`, headers: { 'content-type': 'application/merge-patch+json' }, body: '{"metadata":{"labels":{"authz":"probe"}}}' }, watch: false };
    case 'delete':
      return { req: { ...base, method: 'DELETE', path: `${path}?dryRun=All` }, watch: false };
    default:
      return { req: { ...base, method: 'DELETE', path: `${collection}?dryRun=All` }, watch: false };
  }
}
