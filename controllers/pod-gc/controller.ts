// The pod garbage collector, as kube-controller-manager's podgc: every gcCheckPeriod (20 s) one
// pass over the pods and nodes of the shared informers plans what goes (plan.ts) and carries
// it out. A node the pods name but the cache lacks is quarantined for 40 s, then read live: only
// a NotFound then makes its pods orphans (a node cache that lags a moment must not cost a
// node its pods). The pass is the work queue's one key, so two passes never overlap and a
// failed one is retried with backoff.
import type { Logger } from 'pino';
import { disruptionTarget } from '../../api/disruption.js';
import { isApiError } from '../../api/errors.js';
import type { Node, Pod } from '../../api/types/core.js';
import type { Informer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { ControllerLoop } from '../controller-loop.js';
import type { SharedInformers } from '../shared-informers.js';
import { DEFAULT_TERMINATED_POD_GC_THRESHOLD, GC_CHECK_PERIOD_MS, planPodGc, QUARANTINE_MS, type PodGcDeletion } from './plan.js';

const PASS = 'pod-gc';

export interface PodGcControllerOptions {
  client: RestClient;
  informers?: SharedInformers;
  /** --terminated-pod-gc-threshold (12500); 0 or less keeps every terminated pod. */
  terminatedPodThreshold?: number;
  /** How often a pass runs (20 s). */
  periodMs?: number;
  /** How long a node must be missing before its pods are orphans (40 s). */
  quarantineMs?: number;
  now?: () => number;
  logger?: Logger;
}

export class PodGcController {
  readonly #o: PodGcControllerOptions;
  readonly #client: RestClient;
  readonly #now: () => number;
  readonly #loop: ControllerLoop;
  /** Node name -> when the pass first saw it missing from the cache. */
  readonly #missingSince = new Map<string, number>();
  #passes = 0;
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;

  constructor(o: PodGcControllerOptions) {
    this.#o = o;
    this.#client = o.client;
    this.#now = o.now ?? Date.now;
    this.#loop = new ControllerLoop({
      client: o.client,
      informers: o.informers,
      logger: o.logger,
      workers: 1,
      name: 'pod-garbage-collector',
      sync: () => this.#pass(),
      synced: () => this.#loop.queue.add(PASS),
    });
    this.pods = this.#loop.informer(o.client.pods);
    this.nodes = this.#loop.informer(o.client.nodes);
  }

  start(signal?: AbortSignal): Promise<void> {
    return this.#loop.start(signal);
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Passes finished so far. For tests: "after N more passes nothing happened". */
  get passes(): number {
    return this.#passes;
  }

  async #pass(): Promise<void> {
    const pods = this.pods.list();
    const input = { pods, nodes: this.nodes.list(), terminatedThreshold: this.#o.terminatedPodThreshold ?? DEFAULT_TERMINATED_POD_GC_THRESHOLD };
    const first = planPodGc({ ...input, deletedNodes: new Set() });
    const deletedNodes = await this.#confirmDeleted(first.missingNodes);
    const plan = deletedNodes.size ? planPodGc({ ...input, deletedNodes }) : first;
    // One pod's failure does not hold back the others; it is tried again next pass.
    await Promise.all(
      plan.deletions.map((d) =>
        this.#collect(d).catch((err: unknown) => {
          this.#o.logger?.warn({ err, pod: `${d.pod.metadata.namespace}/${d.pod.metadata.name}`, reason: d.reason }, 'pod-gc could not delete a pod');
        }),
      ),
    );
    this.#passes++;
    if (!this.#loop.stopping.aborted) this.#loop.queue.addAfter(PASS, this.#o.periodMs ?? GC_CHECK_PERIOD_MS);
  }

  /** The missing nodes whose quarantine is over and that a live read does not find. */
  async #confirmDeleted(missing: string[]): Promise<Set<string>> {
    const now = this.#now();
    const still = new Set(missing);
    for (const name of this.#missingSince.keys()) if (!still.has(name)) this.#missingSince.delete(name);
    const deleted = new Set<string>();
    for (const name of missing) {
      const since = this.#missingSince.get(name);
      if (since === undefined) {
        this.#missingSince.set(name, now);
        continue;
      }
      if (now - since < (this.#o.quarantineMs ?? QUARANTINE_MS)) continue;
      // Checked once per quarantine: a node that exists after all (or an error) starts a new one.
      this.#missingSince.delete(name);
      try {
        await this.#client.nodes.get(name);
      } catch (err) {
        if (isApiError(err, 'NotFound')) deleted.add(name);
        else this.#o.logger?.warn({ err, node: name }, 'pod-gc could not read a missing node');
      }
    }
    return deleted;
  }

  /** markFailedAndDeletePod: Failed (with the DisruptionTarget condition) unless terminal, then deleted with grace 0. */
  async #collect(d: PodGcDeletion): Promise<void> {
    const { name = '', namespace, uid } = d.pod.metadata;
    this.#o.logger?.info({ pod: `${namespace}/${name}`, reason: d.reason }, 'PodGC is force deleting Pod');
    try {
      if (d.markFailed) {
        const conditions = d.disruption ? [disruptionTarget(d.disruption.reason, d.disruption.message, new Date(this.#now()))] : undefined;
        await this.#client.pods.patchStatus(name, { status: { phase: 'Failed', ...(conditions ? { conditions } : {}) } }, { namespace, type: 'strategic' });
      }
      await this.#client.pods.delete(name, { namespace, gracePeriodSeconds: 0, preconditions: uid ? { uid } : undefined });
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err;
    }
  }
}
