// The garbage collector's graph of owners and dependents (Kubernetes' GraphBuilder,
// pkg/controller/garbagecollector/graph_builder.go): a node per object seen by the informers,
// keyed by uid, with its ownerReferences; the dependents of each owner uid; and "virtual"
// nodes for owners referenced but not (yet) seen, which the collector verifies with a GET.
// Every change returns what it asks of the collector (uids to attempt deleting, owners whose
// dependents to orphan, references to report as pointing into another namespace); the graph
// itself does no I/O, and it is the only owner of this state.
import { isDeletingDependents, isOrphaningDependents } from '../../api/garbage-collection.js';
import type { KubeObject, OwnerReference } from '../../api/types/meta.js';

/** An object's coordinates: the owner reference's fields plus the namespace it is looked up in. */
export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  name: string;
  /** '' for cluster-scoped objects (and for a virtual owner of a cluster-scoped dependent). */
  namespace: string;
  uid: string;
}

export interface GraphNode {
  identity: ObjectIdentity;
  owners: OwnerReference[];
  /** False for a virtual node: known only as someone's owner. */
  observed: boolean;
  /** It has a deletionTimestamp: a one-way trip, its dependents are processed when it goes. */
  beingDeleted: boolean;
  /** Being deleted with the foregroundDeletion finalizer: waits for its blocking dependents. */
  deletingDependents: boolean;
}

/** A dependent whose owner reference names an owner that lives in another namespace (event OwnerRefInvalidNamespace). */
export interface InvalidNamespaceRef {
  dependent: ObjectIdentity;
  owner: OwnerReference;
}

/** What a graph change asks of the collector. */
export interface GraphEffects {
  attemptToDelete: string[];
  attemptToOrphan: string[];
  invalidNamespace: InvalidNamespaceRef[];
}

const noEffects = (): GraphEffects => ({ attemptToDelete: [], attemptToOrphan: [], invalidNamespace: [] });

export function identityOf(obj: KubeObject): ObjectIdentity {
  const m = obj.metadata;
  return { apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', name: m.name ?? '', namespace: m.namespace ?? '', uid: m.uid ?? '' };
}

/** The key of an identity in the absent-owner cache. */
export function identityKey(i: ObjectIdentity): string {
  return `${i.apiVersion}/${i.kind}/${i.namespace}/${i.name}/${i.uid}`;
}

const sameCoordinates = (ref: OwnerReference, i: ObjectIdentity) => ref.apiVersion === i.apiVersion && ref.kind === i.kind && ref.name === i.name;

/** A deletion that has just started with `finalizer` (it was not there, or the object was not being deleted, before). */
function startsWith(test: (m: KubeObject['metadata']) => boolean, obj: KubeObject, old: KubeObject | undefined): boolean {
  return test(obj.metadata) && !(old && test(old.metadata));
}

/** Owners whose absence was verified, so their other dependents need no GET (Kubernetes keeps 500, LRU). */
class AbsentOwners {
  readonly #keys = new Set<string>();
  constructor(readonly max = 500) {}
  add(i: ObjectIdentity): void {
    const k = identityKey(i);
    this.#keys.delete(k);
    this.#keys.add(k);
    if (this.#keys.size > this.max) this.#keys.delete(this.#keys.values().next().value as string);
  }
  has(i: ObjectIdentity): boolean {
    return this.#keys.has(identityKey(i));
  }
}

export class DependencyGraph {
  readonly #nodes = new Map<string, GraphNode>();
  /** owner uid → the uids of the objects whose ownerReferences name it */
  readonly #dependents = new Map<string, Set<string>>();
  readonly absentOwners = new AbsentOwners();

  node(uid: string): GraphNode | undefined {
    return this.#nodes.get(uid);
  }

  get size(): number {
    return this.#nodes.size;
  }

  /** The nodes of the objects that name `uid` as an owner. */
  dependents(uid: string): GraphNode[] {
    return [...(this.#dependents.get(uid) ?? [])].flatMap((d) => this.#nodes.get(d) ?? []);
  }

  /** Dependents whose reference to `uid` has blockOwnerDeletion: a foreground deletion waits for them. */
  blockingDependents(uid: string): GraphNode[] {
    return this.dependents(uid).filter((d) => d.owners.some((r) => r.uid === uid && r.blockOwnerDeletion === true));
  }

  /** An add or update seen by an informer (`old` is the informer's previous copy, if any). */
  observe(obj: KubeObject, old?: KubeObject): GraphEffects {
    const fx = noEffects();
    const observed = identityOf(obj);
    const uid = observed.uid;
    if (!uid) return fx;
    const owners = obj.metadata.ownerReferences ?? [];
    const beingDeleted = obj.metadata.deletionTimestamp !== undefined;
    const deletingDependents = isDeletingDependents(obj.metadata);
    let node = this.#nodes.get(uid);
    if (node && !node.observed) {
      // A virtual node turns real: dependents that named it by other coordinates, or from
      // another namespace, are checked again (the bad child -> good parent order).
      for (const dep of this.dependents(uid)) {
        const ref = dep.owners.find((r) => r.uid === uid);
        if (!ref || (sameCoordinates(ref, observed) && (observed.namespace === '' || dep.identity.namespace === observed.namespace))) continue;
        if (observed.namespace !== '' && dep.identity.namespace !== observed.namespace) fx.invalidNamespace.push({ dependent: dep.identity, owner: ref });
        fx.attemptToDelete.push(dep.identity.uid);
      }
      node.identity = observed;
      node.observed = true;
    }
    if (!node) {
      node = { identity: observed, owners: [], observed: true, beingDeleted, deletingDependents };
      this.#nodes.set(uid, node);
      this.#setOwners(node, owners, fx);
    } else {
      this.#setOwners(node, owners, fx);
      node.beingDeleted = beingDeleted;
      node.deletingDependents = deletingDependents;
    }
    if (startsWith(isOrphaningDependents, obj, old)) {
      fx.attemptToOrphan.push(uid);
    } else if (startsWith(isDeletingDependents, obj, old)) {
      fx.attemptToDelete.push(...this.dependents(uid).map((d) => d.identity.uid), uid);
    }
    return fx;
  }

  /** A delete seen by an informer: the node goes, its dependents and the owners waiting on it are checked. */
  remove(obj: KubeObject): GraphEffects {
    const fx = noEffects();
    const uid = obj.metadata.uid ?? '';
    const node = this.#nodes.get(uid);
    if (!node) return fx;
    this.#removeNode(node, fx);
    return fx;
  }

  /**
   * The collector found no object with this identity (a GET answered 404 or another uid).
   * A virtual node goes, and its dependents are checked; a node an informer has seen stays
   * (the informer will tell), but the dependents that name it by these coordinates are checked.
   */
  virtualDelete(identity: ObjectIdentity): GraphEffects {
    const fx = noEffects();
    const node = this.#nodes.get(identity.uid);
    if (!node) return fx;
    if (!node.observed) {
      this.#removeNode(node, fx);
      return fx;
    }
    const matching = this.dependents(identity.uid).filter((d) => d.owners.some((r) => r.uid === identity.uid && sameCoordinates(r, identity)));
    if (matching.length > 0) this.absentOwners.add(identity);
    fx.attemptToDelete.push(...matching.map((d) => d.identity.uid));
    return fx;
  }

  #removeNode(node: GraphNode, fx: GraphEffects): void {
    const uid = node.identity.uid;
    this.#nodes.delete(uid);
    const dependents = this.dependents(uid);
    if (dependents.length > 0) this.absentOwners.add(node.identity);
    fx.attemptToDelete.push(...dependents.map((d) => d.identity.uid));
    for (const ref of node.owners) {
      const owner = this.#nodes.get(ref.uid);
      // An owner waiting for its dependents may now have none left.
      if (owner?.deletingDependents) fx.attemptToDelete.push(owner.identity.uid);
    }
    this.#setOwners(node, [], fx, false);
  }

  /** Replaces a node's owner references, keeping the dependents index and virtual owners in step. */
  #setOwners(node: GraphNode, owners: OwnerReference[], fx: GraphEffects, link = true): void {
    const uid = node.identity.uid;
    const before = new Map(node.owners.map((r) => [r.uid, r]));
    const after = new Map(owners.map((r) => [r.uid, r]));
    for (const [ownerUid, ref] of before) {
      const now = after.get(ownerUid);
      // A reference that stops blocking (removed, or blockOwnerDeletion dropped) may unblock an owner in foreground deletion.
      if (ref.blockOwnerDeletion && !now?.blockOwnerDeletion) {
        const owner = this.#nodes.get(ownerUid);
        if (owner?.deletingDependents) fx.attemptToDelete.push(ownerUid);
      }
      if (!now) this.#unlink(ownerUid, uid);
    }
    node.owners = owners;
    if (!link) return;
    let suspect = false;
    for (const ref of owners) {
      if (before.has(ref.uid)) continue;
      let set = this.#dependents.get(ref.uid);
      if (!set) this.#dependents.set(ref.uid, (set = new Set()));
      set.add(uid);
      const owner = this.#nodes.get(ref.uid);
      if (!owner) {
        // Not seen yet: a virtual node, verified by the collector.
        const identity = { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, namespace: node.identity.namespace, uid: ref.uid };
        this.#nodes.set(ref.uid, { identity, owners: [], observed: false, beingDeleted: false, deletingDependents: false });
        fx.attemptToDelete.push(ref.uid);
        continue;
      }
      const ownerNamespaced = owner.identity.namespace !== '';
      if (ownerNamespaced && owner.identity.namespace !== node.identity.namespace) {
        if (owner.observed) fx.invalidNamespace.push({ dependent: node.identity, owner: ref });
        suspect = true;
      } else if (!sameCoordinates(ref, owner.identity)) {
        suspect = true;
      } else if (!ownerNamespaced && !owner.observed && node.identity.namespace !== '') {
        // A virtual owner first named by a cluster-scoped dependent may be a namespaced object (Kubernetes issue 98040).
        suspect = true;
      }
    }
    // The collector checks each reference against the API server and deletes it if all are dangling.
    if (suspect) fx.attemptToDelete.push(uid);
  }

  #unlink(ownerUid: string, dependentUid: string): void {
    const set = this.#dependents.get(ownerUid);
    if (!set) return;
    set.delete(dependentUid);
    if (set.size > 0) return;
    this.#dependents.delete(ownerUid);
    // A virtual owner nobody names any more is forgotten.
    const owner = this.#nodes.get(ownerUid);
    if (owner && !owner.observed) this.#nodes.delete(ownerUid);
  }
}
