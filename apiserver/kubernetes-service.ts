// The `kubernetes` Service in `default` and its Endpoints and EndpointSlice, kept by the API
// server as Kubernetes' endpoint reconciler keeps them: the Service holds the first address of
// the service range, port 443 `https`; its endpoints are addresses pods can reach, every Ready
// node's InternalIP at the port where the node agent relays to its API server (`skiff kubelet
// --apiserver-relay-port`; a lab's host has no address on the lab's network). Looked at
// again whenever a node changes and every 10 s (an object someone deleted comes back). Every
// API server on the etcd keeps them alike; the last write of the same content changes nothing.
import { isDeepStrictEqual } from 'node:util';
import { isApiError } from '../api/errors.js';
import { findResource, type ResourceInfo } from '../api/resources.js';
import type { Node } from '../api/types/core.js';
import type { KubeObject } from '../api/types/meta.js';
import type { Endpoints, EndpointSlice, Service, ServicePort } from '../api/types/service.js';
import { defaultForCreate } from './admission.js';
import type { ApiContext } from './context.js';
import { createAllocating } from './service-allocator.js';
import { prepareForCreate } from './strategy.js';

export const KUBERNETES_SERVICE = 'kubernetes';
const NAMESPACE = 'default';
/** The endpoint reconciler's interval in Kubernetes. */
const RESYNC_MS = 10_000;
/** How long node events wait to be taken together. */
const COALESCE_MS = 100;

/** The InternalIPs of the Ready nodes, sorted: the `kubernetes` Service's endpoints. */
export function readyNodeAddresses(nodes: Iterable<Node>): string[] {
  const ips = new Set<string>();
  for (const n of nodes) {
    const ready = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (ready && ip) ips.add(ip);
  }
  return [...ips].sort();
}

function resource(plural: string, group = ''): ResourceInfo {
  const r = findResource(plural, group);
  if (!r) throw new Error(`no resource ${plural}`);
  return r;
}

export class KubernetesServiceReconciler {
  readonly #ctx: ApiContext;
  readonly #clusterIP: string;
  readonly #targetPort: number;
  #timer?: NodeJS.Timeout;
  #watch?: { stop(): void };
  #running?: Promise<void>;
  #soon?: NodeJS.Timeout;
  #full = false;
  #again = false;
  /** The addresses last written, to skip passes that would change nothing. */
  #lastIPs?: string;
  #stopped = false;

  /** `targetPort`: the node agents' relay port; 0 writes the Service alone, with no endpoints. */
  constructor(ctx: ApiContext, opts: { clusterIP: string; targetPort: number }) {
    this.#ctx = ctx;
    this.#clusterIP = opts.clusterIP;
    this.#targetPort = opts.targetPort;
  }

  async start(): Promise<void> {
    await this.reconcile(true);
    const nodes = this.#ctx.caches.get('nodes');
    if (nodes) {
      this.#watch = await nodes.watch({ fromRev: nodes.revision, sink: { send: () => (this.#kick(false), true), close: () => undefined } });
    }
    this.#timer = setInterval(() => this.#kick(true), RESYNC_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
    this.#watch?.stop();
  }

  /**
   * A pass soon, node events of a burst (heartbeats of many nodes) coalesced into one, and one
   * pass at a time. A pass for a node event goes to etcd only when the addresses changed; the
   * periodic one (`full`) always reads the three objects back.
   */
  #kick(full: boolean): void {
    if (this.#stopped) return;
    this.#full ||= full;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#soon) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      const force = this.#full;
      this.#full = false;
      this.#running = this.reconcile(force)
        .catch((err: unknown) => {
          this.#lastIPs = undefined;
          this.#ctx.log.warn({ err }, 'kubernetes service reconcile failed');
        })
        .finally(() => {
          this.#running = undefined;
          if (this.#again) {
            this.#again = false;
            this.#kick(false);
          }
        });
    }, COALESCE_MS);
    this.#soon.unref();
  }

  async reconcile(full = true): Promise<void> {
    const ips = this.#targetPort ? readyNodeAddresses([...(this.#ctx.caches.get('nodes')?.objects() ?? [])] as Node[]) : [];
    const key = ips.join(',');
    if (!full && key === this.#lastIPs) return;
    const ports: ServicePort[] = [{ name: 'https', protocol: 'TCP', port: 443, targetPort: this.#targetPort || 443 }];
    await this.#ensure<Service>(
      resource('services'),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: KUBERNETES_SERVICE, namespace: NAMESPACE, labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: { type: 'ClusterIP', clusterIP: this.#clusterIP, ports, sessionAffinity: 'None' },
      },
      (cur) => isDeepStrictEqual(cur.spec.ports, ports),
      (cur) => ({ ...cur, spec: { ...cur.spec, ports } }),
    );
    const port = { name: 'https', port: this.#targetPort, protocol: 'TCP' as const };
    const subsets = ips.length ? [{ addresses: ips.map((ip) => ({ ip })), ports: [port] }] : [];
    await this.#ensure<Endpoints>(
      resource('endpoints'),
      { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: KUBERNETES_SERVICE, namespace: NAMESPACE, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets },
      (cur) => isDeepStrictEqual(cur.subsets ?? [], subsets),
      (cur) => ({ ...cur, subsets }),
    );
    const endpoints = ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } }));
    const slicePorts = this.#targetPort ? [port] : [];
    await this.#ensure<EndpointSlice>(
      resource('endpointslices', 'discovery.k8s.io'),
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: KUBERNETES_SERVICE, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': KUBERNETES_SERVICE } },
        addressType: 'IPv4',
        endpoints,
        ports: slicePorts,
      },
      (cur) => isDeepStrictEqual(cur.endpoints ?? [], endpoints) && isDeepStrictEqual(cur.ports ?? [], slicePorts),
      (cur) => ({ ...cur, endpoints, ports: slicePorts }),
    );
    this.#lastIPs = key;
  }

  /** Creates `want` when missing, or rewrites the stored object with `update` when `same` says it differs. */
  async #ensure<T extends KubeObject>(r: ResourceInfo, want: T, same: (cur: T) => boolean, update: (cur: T) => T): Promise<void> {
    const { store, keys } = this.#ctx;
    const name = want.metadata.name as string;
    const key = keys.objectKey(r, NAMESPACE, name);
    const ref = { resource: r, name };
    const current = (await store.get(key)) as T | null;
    if (!current) {
      defaultForCreate(want);
      const prepared = prepareForCreate(r, want);
      try {
        await createAllocating(this.#ctx, r, prepared, () => store.create(key, prepared, ref));
      } catch (e) {
        if (!isApiError(e, 'AlreadyExists')) throw e;
      }
      return;
    }
    if (same(current)) return;
    await store.guaranteedUpdate(key, ref, (cur) => (same(cur as T) ? cur : update(cur as T)));
  }
}
