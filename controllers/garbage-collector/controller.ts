// The garbage collector (kube-controller-manager's garbagecollector): informers on every kind
// the API serves that can be listed, watched and deleted (as Kubernetes' GetDeletableResources,
// events aside as in its default ignored resources) feed the graph (graph.ts); its effects fill
// two work queues. attemptToDelete deletes a dependent whose owners are all gone, drops
// references to gone owners from one that keeps an owner, and finishes an owner's foreground
// deletion once no dependent blocks it (the decisions are plan.ts's); attemptToOrphan removes an
// owner from its dependents' ownerReferences, then its `orphan` finalizer.
import type { Logger } from 'pino';
import { isApiError } from '../../api/errors.js';
import { ORPHAN_FINALIZER, isDeletingDependents, type FOREGROUND_FINALIZER } from '../../api/garbage-collection.js';
import { KINDS } from '../../api/kinds/index.js';
import { resourceForKind, type ResourceInfo } from '../../api/resources.js';
import type { KubeObject, OwnerReference } from '../../api/types/meta.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { SharedInformers } from '../shared-informers.js';
import { WorkQueue } from '../work-queue.js';
import { DependencyGraph, type GraphEffects, type GraphNode, type InvalidNamespaceRef, type ObjectIdentity } from './graph.js';
import { planAttemptToDelete, planDeletingDependents, type DependentRecord, type GcAction, type OwnerState } from './plan.js';

/** Kinds the collector never watches (Kubernetes' default ignored resources). */
const IGNORED = new Set(['Event']);

/** The kinds the collector watches: listable, watchable, deletable, not ignored. */
export function collectedKinds(): ResourceInfo[] {
  return KINDS.map((k) => k.resource).filter((r) => !IGNORED.has(r.kind) && ['list', 'watch', 'delete'].every((v) => r.verbs.includes(v)));
}

/** A reference to a kind the API server does not serve: retried with backoff, as Kubernetes retries a REST mapping error. */
class UnknownKind extends Error {}
/** A cluster-scoped object naming a namespaced owner: never resolves, so not retried. */
class NamespacedOwnerOfClusterScoped extends Error {}
/** A virtual node found to exist but not yet seen by an informer: checked again later (Kubernetes issue 56121). */
class NotObservedYet extends Error {}

export interface GarbageCollectorOptions {
  client: RestClient;
  logger?: Logger;
  /** The controller-manager's informers, shared with the other controllers (default: the collector's own). */
  informers?: SharedInformers;
  /** Objects deleted or orphaned at once (Kubernetes' --concurrent-gc-syncs, default 20). */
  workers?: number;
  /** Who writes the events (default: an EventRecorder on `client` as garbage-collector-controller). */
  recorder?: Pick<EventRecorder, 'event'>;
}

export class GarbageCollector {
  readonly #client: RestClient;
  readonly #log?: Logger;
  readonly #recorder: Pick<EventRecorder, 'event'>;
  readonly graph = new DependencyGraph();
  readonly informers: Informer<KubeObject>[];
  readonly #shared: SharedInformers;
  /** Whether the informers are the collector's own, to stop with it. */
  readonly #ownsInformers: boolean;
  readonly #deleteQueue: WorkQueue;
  readonly #orphanQueue: WorkQueue;
  /** Keys raised before every informer has listed: queued once the graph is whole. */
  #pending: GraphEffects | undefined = { attemptToDelete: [], attemptToOrphan: [], invalidNamespace: [] };

  constructor(o: GarbageCollectorOptions) {
    this.#client = o.client;
    this.#log = o.logger;
    this.#recorder = o.recorder ?? new EventRecorder({ client: o.client, source: { component: 'garbage-collector-controller' }, logger: o.logger });
    this.#ownsInformers = o.informers === undefined;
    this.#shared = o.informers ?? new SharedInformers();
    this.informers = collectedKinds().map((r) => this.#shared.informer(o.client.resource<KubeObject>(r)));
    // Handlers before any informer starts (a shared one may be started by another controller
    // first): the graph sees every object's first add.
    for (const inf of this.informers) {
      inf.on('add', (obj) => this.#apply(this.graph.observe(obj)));
      inf.on('update', (obj, old) => this.#apply(this.graph.observe(obj, old)));
      inf.on('delete', (obj) => this.#apply(this.graph.remove(obj)));
      inf.on('error', (err) => this.#log?.warn({ err }, 'garbage collector informer error'));
    }
    const onError = (what: string) => (uid: string, err: unknown) => {
      if (err instanceof NotObservedYet) return;
      const level = err instanceof UnknownKind ? 'debug' : 'warn';
      this.#log?.[level]({ err, uid, node: this.graph.node(uid)?.identity }, `garbage collector: ${what} failed; retrying`);
    };
    const workers = o.workers ?? 20;
    this.#deleteQueue = new WorkQueue({ workers, sync: (uid) => this.attemptToDelete(uid), onError: onError('attemptToDelete') });
    this.#orphanQueue = new WorkQueue({ workers, sync: (uid) => this.attemptToOrphan(uid), onError: onError('attemptToOrphan') });
  }

  async start(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    // As Kubernetes' collector waits for its monitors to sync: no decision on half a graph.
    await this.#shared.start(signal);
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) this.#apply(pending);
  }

  async stop(): Promise<void> {
    this.#pending = undefined;
    await Promise.all([this.#deleteQueue.stop(), this.#orphanQueue.stop()]);
    if (this.#ownsInformers) await this.#shared.stop();
  }

  /** Resolves once both queues are empty (retries waiting on their backoff aside). For tests. */
  async idle(): Promise<void> {
    await Promise.all([this.#deleteQueue.idle(), this.#orphanQueue.idle()]);
  }

  #apply(fx: GraphEffects): void {
    for (const bad of fx.invalidNamespace) this.#reportInvalidNamespace(bad);
    if (this.#pending) {
      this.#pending.attemptToDelete.push(...fx.attemptToDelete);
      this.#pending.attemptToOrphan.push(...fx.attemptToOrphan);
      return;
    }
    for (const uid of fx.attemptToDelete) this.#deleteQueue.add(uid);
    for (const uid of fx.attemptToOrphan) this.#orphanQueue.add(uid);
  }

  #reportInvalidNamespace({ dependent: d, owner: o }: InvalidNamespaceRef): void {
    const ref = { apiVersion: d.apiVersion, kind: d.kind, namespace: d.namespace || undefined, name: d.name, uid: d.uid };
    const owner = `[${o.apiVersion}/${o.kind}, namespace: ${d.namespace}, name: ${o.name}, uid: ${o.uid}]`;
    this.#recorder.event(ref, 'Warning', 'OwnerRefInvalidNamespace', `ownerRef ${owner} does not exist in namespace "${d.namespace}"`);
  }

  /** One object: delete it, drop references to gone owners, or finish its foreground deletion. */
  async attemptToDelete(uid: string): Promise<void> {
    const node = this.graph.node(uid);
    if (!node) return;
    // Being deleted is a one-way trip: its dependents are processed when it is gone.
    if (node.beingDeleted && !node.deletingDependents) return;
    const latest = await this.#get(node.identity);
    if (!latest || latest.metadata.uid !== uid) {
      this.#apply(this.graph.virtualDelete(node.identity));
      return;
    }
    let action: GcAction;
    if (isDeletingDependents(latest.metadata) || node.deletingDependents) {
      action = planDeletingDependents(this.graph.dependents(uid).map((d) => this.#record(d, uid)));
    } else {
      const refs = latest.metadata.ownerReferences ?? [];
      let references: { ref: OwnerReference; state: OwnerState }[];
      try {
        references = await Promise.all(refs.map(async (ref) => ({ ref, state: await this.#classify(ref, node.identity) })));
      } catch (err) {
        if (!(err instanceof NamespacedOwnerOfClusterScoped)) throw err;
        this.#log?.info({ item: node.identity }, err.message);
        return;
      }
      const dependents = this.graph.dependents(uid).map((d) => this.#record(d, uid));
      action = planAttemptToDelete({ finalizers: latest.metadata.finalizers ?? [], references, dependents });
    }
    await this.#carryOut(action, node, latest);
    // Found by a GET but not yet seen by an informer: looked at again until it is (Kubernetes issue 56121).
    const now = this.graph.node(uid);
    if (now && !now.observed) throw new NotObservedYet(uid);
  }

  #record(d: GraphNode, ownerUid: string): DependentRecord {
    return { uid: d.identity.uid, blocking: d.owners.some((r) => r.uid === ownerUid && r.blockOwnerDeletion === true), deletingDependents: d.deletingDependents };
  }

  async #carryOut(action: GcAction, node: GraphNode, latest: KubeObject): Promise<void> {
    const id = node.identity;
    switch (action.type) {
      case 'none':
        return;
      case 'attemptToDelete':
        for (const uid of action.uids) this.#deleteQueue.add(uid);
        return;
      case 'removeFinalizer':
        this.#log?.info({ item: id }, 'garbage collector: dependents deleted, removing the foregroundDeletion finalizer');
        return this.#removeFinalizer(id, action.finalizer);
      case 'removeOwnerReferences':
        this.#log?.info({ item: id, owners: action.uids }, 'garbage collector: removing references to owners that are gone or waiting');
        return this.#patchOwnerReferences(id, action.uids.map((uid) => ({ $patch: 'delete', uid })));
      case 'delete': {
        if (action.unblock) {
          const blocking = (latest.metadata.ownerReferences ?? []).filter((r) => r.blockOwnerDeletion);
          await this.#patchOwnerReferences(id, blocking.map((r) => ({ uid: r.uid, blockOwnerDeletion: false })));
        }
        this.#log?.info({ item: id, propagationPolicy: action.propagationPolicy }, 'garbage collector: deleting an object whose owners are gone');
        try {
          await this.#resource(id).delete(id.name, {
            namespace: id.namespace || undefined,
            propagationPolicy: action.propagationPolicy,
            // Not another object of the same name, and not one changed since it was judged.
            preconditions: { uid: id.uid, resourceVersion: action.unblock ? undefined : latest.metadata.resourceVersion },
          });
        } catch (err) {
          if (!isApiError(err, 'NotFound')) throw err;
        }
        return;
      }
    }
  }

  /** An owner deleted with propagationPolicy Orphan: its dependents forget it, then it goes. */
  async attemptToOrphan(uid: string): Promise<void> {
    const node = this.graph.node(uid);
    if (!node) return;
    for (const dep of this.graph.dependents(uid)) {
      try {
        await this.#patchOwnerReferences(dep.identity, [{ $patch: 'delete', uid }]);
      } catch (err) {
        if (!isApiError(err, 'NotFound')) throw err;
      }
    }
    await this.#removeFinalizer(node.identity, ORPHAN_FINALIZER);
  }

  /** What the API server says of one owner reference of `item` (Kubernetes' isDangling and classifyReferences). */
  async #classify(ref: OwnerReference, item: ObjectIdentity): Promise<OwnerState> {
    const coordinates = { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid };
    const absent = this.graph.absentOwners;
    if (absent.has({ ...coordinates, namespace: '' }) || absent.has({ ...coordinates, namespace: item.namespace })) return 'dangling';
    const r = resourceForKind(ref.apiVersion, ref.kind);
    if (!r) throw new UnknownKind(`no resource of kind ${ref.kind} in ${ref.apiVersion} (owner ${ref.name} of ${item.kind} ${item.name})`);
    if (r.namespaced && item.namespace === '') {
      throw new NamespacedOwnerOfClusterScoped(`${item.kind} ${item.name} is cluster-scoped, but refers to a namespaced owner of type ${ref.apiVersion}/${ref.kind}`);
    }
    const owner = await this.#get({ ...coordinates, namespace: r.namespaced ? item.namespace : '' });
    if (!owner || owner.metadata.uid !== ref.uid) {
      absent.add({ ...coordinates, namespace: r.namespaced ? item.namespace : '' });
      return 'dangling';
    }
    return isDeletingDependents(owner.metadata) ? 'waitingForDependentsDeletion' : 'solid';
  }

  #resource(id: ObjectIdentity) {
    const r = resourceForKind(id.apiVersion, id.kind);
    if (!r) throw new UnknownKind(`no resource of kind ${id.kind} in ${id.apiVersion}`);
    return this.#client.resource<KubeObject>(r);
  }

  /** The live object, or undefined when there is none under these coordinates. */
  async #get(id: ObjectIdentity): Promise<KubeObject | undefined> {
    const resource = this.#resource(id);
    // A namespaced kind named without a namespace (by a cluster-scoped dependent) names nothing.
    if (resource.info.namespaced && !id.namespace) return undefined;
    try {
      return await resource.get(id.name, { namespace: id.namespace || undefined });
    } catch (err) {
      if (isApiError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  /** A strategic merge patch of ownerReferences (merged by uid), with the object's uid as precondition. */
  async #patchOwnerReferences(id: ObjectIdentity, ownerReferences: object[]): Promise<void> {
    if (ownerReferences.length === 0) return;
    await this.#resource(id).patch(id.name, { metadata: { uid: id.uid, ownerReferences } }, { type: 'strategic', namespace: id.namespace || undefined });
  }

  /** Removes one finalizer, read-modify-write on the resourceVersion (retried on conflict); nothing when the object is gone. */
  async #removeFinalizer(id: ObjectIdentity, finalizer: typeof FOREGROUND_FINALIZER | typeof ORPHAN_FINALIZER): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const latest = await this.#get(id);
      if (!latest || latest.metadata.uid !== id.uid) return;
      const finalizers = latest.metadata.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return;
      const rest = finalizers.filter((f) => f !== finalizer);
      try {
        await this.#resource(id).patch(id.name, { metadata: { resourceVersion: latest.metadata.resourceVersion, finalizers: rest.length ? rest : null } }, { type: 'merge', namespace: id.namespace || undefined });
        return;
      } catch (err) {
        if (isApiError(err, 'NotFound')) return;
        if (!isApiError(err, 'Conflict') || attempt >= 4) throw err;
      }
    }
  }
}
