// The node's heartbeat: a Lease kube-node-lease/<node> renewed every 10 s (Kubernetes'
// nodelease controller). The node lifecycle controller reads renewTime; a lease older than
// its grace period makes the node NotReady.
import { isApiError } from '../api/errors.js';
import type { Lease } from '../api/types/coordination.js';
import { Periodic } from '../client/periodic.js';
import type { RestClient } from '../client/rest.js';
import { systemClock, type Clock } from './clock.js';
import { microTime } from '../api/time.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeLeaseOptions {
  client: RestClient;
  nodeName: string;
  /** The Node's UID, so the lease goes when the node is deleted. */
  nodeUid?: string;
  durationSeconds?: number;
  renewIntervalMs?: number;
  clock?: Clock;
  onError?: (err: unknown) => void;
}

export class NodeLease {
  readonly #o: NodeLeaseOptions;
  readonly #clock: Clock;
  readonly #renewing: Periodic;

  constructor(opts: NodeLeaseOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#renewing = new Periodic(() => this.renew(), opts.renewIntervalMs ?? 10_000, opts.onError);
  }

  async renew(): Promise<Lease> {
    const { client, nodeName } = this.#o;
    const leases = client.leases;
    const now = microTime(this.#clock.now());
    const spec = { holderIdentity: nodeName, leaseDurationSeconds: this.#o.durationSeconds ?? 40, renewTime: now };
    try {
      const cur = await leases.get(nodeName, { namespace: NODE_LEASE_NAMESPACE });
      return await leases.update({ ...cur, spec: { ...cur.spec, ...spec } }, { namespace: NODE_LEASE_NAMESPACE });
    } catch (e) {
      if (!isApiError(e, 'NotFound')) throw e;
    }
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: nodeName,
        namespace: NODE_LEASE_NAMESPACE,
        ...(this.#o.nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: this.#o.nodeUid }] } : {}),
      },
      spec: { ...spec, acquireTime: now },
    };
    try {
      return await leases.create(lease, { namespace: NODE_LEASE_NAMESPACE });
    } catch (e) {
      // The namespace may not exist on a fresh cluster; make it and try once more.
      if (!isApiError(e, 'NotFound')) throw e;
      await client.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NODE_LEASE_NAMESPACE } }).catch(() => undefined);
      return leases.create(lease, { namespace: NODE_LEASE_NAMESPACE });
    }
  }

  /** Renews now and every renewIntervalMs (client/periodic.ts). */
  start(): void {
    this.#renewing.start();
  }

  stop(): void {
    this.#renewing.stop();
  }
}
