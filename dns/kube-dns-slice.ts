// The node's own endpoint of the `kube-dns` Service: an EndpointSlice
// `kube-system/kube-dns-<node>` naming this node's InternalIP and DNS port, so that with the
// Service's internalTrafficPolicy Local each node's pods reach their own node's DNS. Written
// with the node's credentials (the Node authorizer lets a node write that one slice), owned
// by the Node so the garbage collector removes it with the node, and put back every minute
// if someone changed or deleted it.
import { isApiError } from '../api/errors.js';
import type { EndpointSlice } from '../api/types/service.js';
import { Periodic } from '../client/periodic.js';
import type { RestClient } from '../client/rest.js';
import { SERVICE_NAME_LABEL } from './service-records.js';

export const KUBE_DNS_NAMESPACE = 'kube-system';
export const KUBE_DNS_SERVICE = 'kube-dns';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
/** Not the EndpointSlice controller's value: that controller leaves these slices alone. */
export const MANAGED_BY = 'skiff-kubelet';

export const kubeDnsSliceName = (node: string): string => `${KUBE_DNS_SERVICE}-${node}`;

export function kubeDnsSlice(node: string, nodeUid: string | undefined, ip: string, port: number): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: kubeDnsSliceName(node),
      namespace: KUBE_DNS_NAMESPACE,
      labels: { [SERVICE_NAME_LABEL]: KUBE_DNS_SERVICE, [MANAGED_BY_LABEL]: MANAGED_BY },
      ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node, uid: nodeUid }] } : {}),
    },
    addressType: ip.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: node }],
    ports: [
      { name: 'dns', protocol: 'UDP', port },
      { name: 'dns-tcp', protocol: 'TCP', port },
    ],
  };
}

export interface KubeDnsSliceOptions {
  client: RestClient;
  nodeName: string;
  ip: string;
  port: number;
  resyncMs?: number;
  onError?: (err: unknown) => void;
}

export class KubeDnsSliceKeeper {
  readonly #o: KubeDnsSliceOptions;
  readonly #resync: Periodic;

  constructor(o: KubeDnsSliceOptions) {
    this.#o = o;
    this.#resync = new Periodic(() => this.sync(), o.resyncMs ?? 60_000, o.onError);
  }

  /** Makes the slice what it should be: created, updated, or left as it is. */
  async sync(): Promise<EndpointSlice> {
    const { client, nodeName, ip, port } = this.#o;
    const slices = client.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io');
    const node = await client.nodes.get(nodeName).catch(() => undefined);
    const want = kubeDnsSlice(nodeName, node?.metadata.uid, ip, port);
    const name = want.metadata.name as string;
    let cur: EndpointSlice | undefined;
    try {
      cur = await slices.get(name, { namespace: KUBE_DNS_NAMESPACE });
    } catch (e) {
      if (!isApiError(e, 'NotFound')) throw e;
    }
    if (!cur) return slices.create(want, { namespace: KUBE_DNS_NAMESPACE });
    const same = (a: EndpointSlice) => JSON.stringify([a.metadata.labels, a.metadata.ownerReferences ?? [], a.addressType, a.endpoints, a.ports]);
    const next: EndpointSlice = { ...cur, metadata: { ...cur.metadata, labels: want.metadata.labels, ownerReferences: want.metadata.ownerReferences ?? cur.metadata.ownerReferences }, addressType: want.addressType, endpoints: want.endpoints, ports: want.ports };
    return same(next) === same(cur) ? cur : slices.update(next, { namespace: KUBE_DNS_NAMESPACE });
  }

  /** Syncs now and every resyncMs (client/periodic.ts, as the node's Lease is renewed). */
  start(): void {
    this.#resync.start();
  }

  stop(): void {
    this.#resync.stop();
  }
}
