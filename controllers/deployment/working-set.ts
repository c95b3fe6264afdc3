// What one sync of a Deployment decides, kept as plain records: copies of its ReplicaSets that
// the planning steps scale (as Kubernetes' sync works on the objects its updates return), the
// writes those changes need, in the order first decided, and the events to record. The
// controller carries the writes out; a test reads them.
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import { setReplicasAnnotations } from './annotations.js';
import { maxSurge, replicasOf } from './fenceposts.js';
import { specReplicas } from './replica-sets.js';

export type DeploymentAction =
  /** POST a new ReplicaSet. */
  | { kind: 'create'; replicaSet: ReplicaSet }
  /** PUT the ReplicaSet as given (its resourceVersion is the precondition). */
  | { kind: 'update'; replicaSet: ReplicaSet }
  /** DELETE an old ReplicaSet at 0 replicas (uid and resourceVersion as preconditions). */
  | { kind: 'delete'; name: string; uid?: string; resourceVersion?: string };

export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export class WorkingSet {
  readonly deployment: Deployment;
  readonly #copies = new Map<string, ReplicaSet>();
  readonly #created = new Set<string>();
  readonly #touched: string[] = [];
  readonly #deleted: DeploymentAction[] = [];
  readonly events: PlannedEvent[] = [];

  constructor(deployment: Deployment, replicaSets: readonly ReplicaSet[]) {
    this.deployment = deployment;
    for (const rs of replicaSets) this.#copies.set(rs.metadata.name ?? '', rs);
  }

  get(name: string | undefined): ReplicaSet | undefined {
    return name === undefined ? undefined : this.#copies.get(name);
  }

  all(): ReplicaSet[] {
    return [...this.#copies.values()];
  }

  create(rs: ReplicaSet): ReplicaSet {
    const name = rs.metadata.name ?? '';
    this.#copies.set(name, rs);
    this.#created.add(name);
    this.#touched.push(name);
    return rs;
  }

  /** Replaces the copy of a ReplicaSet with a changed one, to be written. */
  change(rs: ReplicaSet): ReplicaSet {
    const name = rs.metadata.name ?? '';
    this.#copies.set(name, rs);
    if (!this.#touched.includes(name)) this.#touched.push(name);
    return rs;
  }

  delete(rs: ReplicaSet): void {
    const name = rs.metadata.name ?? '';
    this.#copies.delete(name);
    this.#deleted.push({ kind: 'delete', name, uid: rs.metadata.uid, resourceVersion: rs.metadata.resourceVersion });
  }

  /**
   * scaleReplicaSet: the new size and the Deployment's current desired and max-replicas
   * annotations. Returns the changed copy, or undefined when neither size nor annotations move.
   */
  scale(rs: ReplicaSet, size: number, operation?: 'up' | 'down'): ReplicaSet | undefined {
    const d = this.deployment;
    const current = this.get(rs.metadata.name) ?? rs;
    const annotations = { ...(current.metadata.annotations ?? {}) };
    const annotationsChanged = setReplicasAnnotations(annotations, replicasOf(d), replicasOf(d) + maxSurge(d));
    const from = specReplicas(current);
    if (from === size && !annotationsChanged) return undefined;
    const next = this.change({ ...current, metadata: { ...current.metadata, annotations }, spec: { ...current.spec, replicas: size } });
    if (from !== size) {
      const op = operation ?? (from < size ? 'up' : 'down');
      this.events.push({ type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled ${op} replica set ${current.metadata.name ?? ''} to ${size} from ${from}` });
    }
    return next;
  }

  /** scaleReplicaSetAndRecordEvent: nothing when the size is already right. True when it scaled. */
  scaleIfNeeded(rs: ReplicaSet, size: number): boolean {
    const current = this.get(rs.metadata.name) ?? rs;
    if (specReplicas(current) === size) return false;
    return this.scale(current, size) !== undefined;
  }

  /** The writes, creates and updates in the order first decided, deletes last. */
  actions(): DeploymentAction[] {
    const writes: DeploymentAction[] = [];
    for (const name of this.#touched) {
      const rs = this.#copies.get(name);
      if (rs) writes.push(this.#created.has(name) ? { kind: 'create', replicaSet: rs } : { kind: 'update', replicaSet: rs });
    }
    return [...writes, ...this.#deleted];
  }
}
