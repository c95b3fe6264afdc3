// The DaemonSet controller, as kube-controller-manager's daemon_controller.go and update.go: on
// shared informers of DaemonSets, pods, nodes and ControllerRevisions, every DaemonSet runs one
// pod on each node that should run it (plan.ts). A sync claims the DaemonSet's revisions and
// makes or renumbers the current one (history.ts), claims its pods, creates the missing pods
// (pinned to their node by a metadata.name node affinity, so the scheduler places them) in
// slow-start batches and deletes the surplus, then takes one RollingUpdate step once the
// watch has shown its earlier writes (expectations), trims old revisions, and writes the status
// (status.ts). Keys are namespace/name on a work queue with `workers` workers.
import { isApiError } from '../../api/errors.js';
import { labelSelectorFromObject, type LabelSelectorMatcher } from '../../api/selectors/labels.js';
import type { ControllerRevision, DaemonSet, DaemonSetStatus } from '../../api/types/apps.js';
import type { Node, Pod } from '../../api/types/core.js';
import { exponentialBackoffMs } from '../../client/backoff.js';
import { objectKey, type Informer } from '../../client/informer.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { ControllerLoop, LoopController, type ControllerOptions } from '../controller-loop.js';
import { claimObjects, controllerRefOf, recheckOwner } from '../controller-ref.js';
import { ControllerExpectations } from '../expectations.js';
import { deleteOwnedPods, watchOwnedPods, writeStatusOnce } from '../owned-pods.js';
import { BURST_REPLICAS } from '../replicaset/plan.js';
import { slowStartBatch } from '../slow-start.js';
import { newRevision, planHistory, revisionsToDelete } from './history.js';
import { planNodes, planRollingUpdate, podsByNode } from './plan.js';
import { daemonSetStatus, statusChanged } from './status.js';
import { CONTROLLER_REVISION_HASH, DAEMON_SET_KIND, daemonPod, targetNodeName } from './util.js';

export interface DaemonSetControllerOptions extends ControllerOptions {
  /** --concurrent-daemonset-syncs (2). */
  workers?: number;
  burstReplicas?: number;
  now?: () => number;
}

function selectorOf(ds: DaemonSet): LabelSelectorMatcher | undefined {
  try {
    return labelSelectorFromObject(ds.spec.selector);
  } catch {
    return undefined; // validation refuses these; an old stored one selects nothing
  }
}

/** kube-controller-manager's failedPodsBackoff: 1 s doubling to 15 min. */
const FAILED_BACKOFF_INITIAL_MS = 1000;
const FAILED_BACKOFF_MAX_MS = 15 * 60 * 1000;

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class DaemonSetController extends LoopController {
  readonly #client: RestClient;
  readonly #dsClient: ResourceClient<DaemonSet>;
  readonly #revClient: ResourceClient<ControllerRevision>;
  readonly #burst: number;
  readonly #now: () => number;
  readonly daemonSets: Informer<DaemonSet>;
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly revisions: Informer<ControllerRevision>;
  readonly expectations = new ControllerExpectations();
  /** Per DaemonSet key and node: failed pods deleted in a row, and when the last one was. */
  readonly #failedBackoff = new Map<string, { failures: number; at: number }>();

  constructor(o: DaemonSetControllerOptions) {
    super();
    this.#client = o.client;
    this.#dsClient = o.client.resourceByName<DaemonSet>('daemonsets', 'apps');
    this.#revClient = o.client.resourceByName<ControllerRevision>('controllerrevisions', 'apps');
    this.#burst = o.burstReplicas ?? BURST_REPLICAS;
    this.#now = o.now ?? Date.now;
    this.loop = new ControllerLoop({
      ...o,
      workers: o.workers ?? 2,
      name: 'daemonset-controller',
      sync: (key) => this.syncDaemonSet(key),
      synced: () => this.#enqueueAll(),
    });
    const enqueue = (ds: DaemonSet) => this.loop.enqueue(ds);
    const deleted = (ds: DaemonSet) => {
      this.expectations.delete(objectKey(ds));
      for (const k of this.#failedBackoff.keys()) if (k.startsWith(`${objectKey(ds)}/`)) this.#failedBackoff.delete(k);
      enqueue(ds);
    };
    this.daemonSets = this.loop.informer(this.#dsClient, { add: enqueue, update: enqueue, delete: deleted });
    this.pods = this.loop.informer(o.client.pods);
    watchOwnedPods(this.pods, { kind: DAEMON_SET_KIND, owners: this.daemonSets, selectorOf, expectations: this.expectations, enqueue });
    // shouldIgnoreNodeUpdate: only what decides where daemon pods run.
    const decides = (n: Node) => JSON.stringify([n.metadata.labels, n.spec?.taints, n.spec?.unschedulable]);
    const all = () => this.#enqueueAll();
    const nodeUpdated = (node: Node, old: Node) => {
      if (decides(node) !== decides(old)) all();
    };
    this.nodes = this.loop.informer(o.client.nodes, { add: all, update: nodeUpdated, delete: all });
    this.revisions = this.loop.informer(this.#revClient);
  }

  #enqueueAll(): void {
    this.loop.enqueueAll(this.daemonSets);
  }

  /** One DaemonSet: its revisions, its pods node by node, one rolling-update step, its status. */
  async syncDaemonSet(key: string): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const ds = this.daemonSets.get(name, namespace);
    if (!ds) {
      this.expectations.delete(key);
      return;
    }
    const selector = selectorOf(ds);
    // An empty selector would select every pod of the namespace: Kubernetes does nothing then.
    if (!selector || selector.isEmpty() || ds.metadata.deletionTimestamp) return;
    const canAdopt = () => recheckOwner(ds, DAEMON_SET_KIND, () => this.#dsClient.get(name, { namespace }));
    const claim = { owner: ds, ownerKind: DAEMON_SET_KIND, selector, canAdopt };

    const revs = await claimObjects(this.revisions.list(namespace), { ...claim, resource: this.#revClient });
    if (revs.errors.length > 0) throw revs.errors[0];
    const history = planHistory(ds, revs.claimed);
    const current = await this.#currentRevision(ds, history.current, history.revision);
    for (const dup of history.duplicates) await this.#deleteRevision(dup);
    const hash = current.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? '';

    const pods = await claimObjects(this.pods.list(namespace), { ...claim, resource: this.#client.pods });
    if (pods.errors.length > 0) throw pods.errors[0];
    const byNode = podsByNode(pods.claimed);
    const nodes = this.nodes.list();
    const now = this.#now();

    let manageError: unknown;
    if (this.expectations.satisfied(key)) {
      const plan = planNodes(ds, nodes, byNode, hash, now, (node) => this.#failedBackoffMs(key, node, now));
      this.#failedPodsSeen(key, ds, plan.failed ?? [], now);
      if (plan.retryAfterMs !== undefined) this.loop.queue.addAfter(key, plan.retryAfterMs);
      manageError = await this.#syncNodes(key, ds, plan.create, plan.delete, hash);
      // A rolling step only on what the watch already shows.
      if (manageError === undefined && this.expectations.satisfied(key) && (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
        const step = planRollingUpdate(ds, nodes, byNode, hash, now);
        manageError = await this.#syncNodes(key, ds, step.create, step.delete, hash);
      }
      if (manageError === undefined) for (const r of revisionsToDelete(ds, history.old, pods.claimed)) await this.#deleteRevision(r);
    }

    const status = daemonSetStatus(ds, nodes, byNode, hash, now);
    await this.#writeStatus(ds, status);
    // A ready pod becomes available after minReadySeconds with no event to say so.
    const minReady = ds.spec.minReadySeconds ?? 0;
    if (minReady > 0 && status.numberReady !== status.numberAvailable) this.loop.queue.addAfter(key, minReady * 1000);
    if (manageError !== undefined) throw manageError;
  }

  /** failedPodsBackoff: what the node's last failed pod deletion still asks to wait. */
  #failedBackoffMs(key: string, node: string, now: number): number {
    const e = this.#failedBackoff.get(`${key}/${node}`);
    if (!e) return 0;
    return Math.max(0, e.at + exponentialBackoffMs(e.failures, FAILED_BACKOFF_INITIAL_MS, FAILED_BACKOFF_MAX_MS) - now);
  }

  #failedPodsSeen(key: string, ds: DaemonSet, failed: readonly Pod[], now: number): void {
    const ref = { apiVersion: DAEMON_SET_KIND.apiVersion, kind: DAEMON_SET_KIND.kind, name: ds.metadata.name, namespace: ds.metadata.namespace, uid: ds.metadata.uid };
    for (const pod of failed) {
      const node = targetNodeName(pod) ?? '';
      const e = this.#failedBackoff.get(`${key}/${node}`);
      // An entry quiet for twice the longest wait starts over (flowcontrol.Backoff's hasExpired).
      const fresh = !e || now - e.at > 2 * FAILED_BACKOFF_MAX_MS;
      this.#failedBackoff.set(`${key}/${node}`, { failures: fresh ? 1 : e.failures + 1, at: now });
      this.loop.events.event(ref, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} on node ${node}, will try to kill it`);
    }
  }

  /** The revision of the current template: found (renumbered when older revisions outrank it) or snapshot. */
  async #currentRevision(ds: DaemonSet, found: ControllerRevision | undefined, revision: number): Promise<ControllerRevision> {
    if (found) {
      if (found.revision >= revision) return found;
      return this.#revClient.update({ ...found, revision }, { namespace: ds.metadata.namespace });
    }
    const wanted = newRevision(ds, revision);
    try {
      return await this.#revClient.create(wanted, { namespace: ds.metadata.namespace });
    } catch (err) {
      if (!isApiError(err, 'AlreadyExists')) throw err;
    }
    // The name is taken: ours from a sync the cache does not show yet, or a hash collision.
    const existing = await this.#revClient.get(wanted.metadata.name ?? '', { namespace: ds.metadata.namespace });
    const ours = controllerRefOf(existing)?.uid === ds.metadata.uid;
    if (ours && planHistory(ds, [existing]).current) {
      return existing.revision >= revision ? existing : this.#revClient.update({ ...existing, revision }, { namespace: ds.metadata.namespace });
    }
    // A collision: the next sync hashes with collisionCount one higher.
    const collisionCount = (ds.status?.collisionCount ?? 0) + 1;
    await this.#dsClient.updateStatus({ ...ds, status: { ...ds.status, collisionCount } });
    throw new Error(`found a stale ControllerRevision ${wanted.metadata.name ?? ''} for DaemonSet ${ds.metadata.name ?? ''}: collisionCount is now ${collisionCount}`);
  }

  async #deleteRevision(r: ControllerRevision): Promise<void> {
    try {
      await this.#revClient.delete(r.metadata.name ?? '', { namespace: r.metadata.namespace });
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err;
    }
  }

  /** syncNodes: pods made for `nodes`, `remove` deleted, each at most burstReplicas; the first error. */
  async #syncNodes(key: string, ds: DaemonSet, nodes: readonly string[], remove: readonly Pod[], hash: string): Promise<unknown> {
    if (nodes.length === 0 && remove.length === 0) return undefined;
    const create = nodes.slice(0, this.#burst);
    const gone = remove.slice(0, this.#burst);
    const namespace = ds.metadata.namespace ?? '';
    const ref = { apiVersion: DAEMON_SET_KIND.apiVersion, kind: DAEMON_SET_KIND.kind, name: ds.metadata.name, namespace, uid: ds.metadata.uid, resourceVersion: ds.metadata.resourceVersion };
    this.expectations.expect(key, create.length, gone.map(objectKey));

    const deletes = deleteOwnedPods(gone, { pods: this.#client.pods, key, expectations: this.expectations, events: this.loop.events, ref });
    const { successes, error } = await slowStartBatch(create.length, 1, async (i) => {
      if (this.loop.stopping.aborted) throw new Error('the controller is stopping');
      try {
        const pod = await this.#client.pods.create(daemonPod(ds, create[i] ?? '', hash), { namespace });
        this.loop.events.event(ref, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`);
      } catch (err) {
        if (isApiError(err, 'Forbidden') && /being terminated/.test(err.message)) return;
        this.loop.events.event(ref, 'Warning', 'FailedCreate', `Error creating: ${errorText(err)}`);
        throw err;
      }
    });
    // The creates not made will never show on the watch.
    for (let i = successes; i < create.length; i++) this.expectations.creationObserved(key);
    const failedDelete = await deletes;
    return error ?? failedDelete;
  }

  /** PUT /status when it changed; the collisionCount a fresh read holds is kept. */
  async #writeStatus(ds: DaemonSet, status: DaemonSetStatus): Promise<void> {
    if (!statusChanged(ds, status)) return;
    await writeStatusOnce(this.#dsClient, ds, status, (fresh, s) => ({ ...s, collisionCount: fresh.status?.collisionCount }));
  }
}
