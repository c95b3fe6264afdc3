// One scheduling decision (Kubernetes' schedulePod): PreFilter, Filter over the nodes (only
// until enough feasible ones are found, starting where the last cycle stopped so every node
// gets its turn), PreScore and Score over the feasible ones, then the highest total wins,
// ties broken at random. No I/O: it works on the snapshot and the profile's framework.
import type { Snapshot } from './cache/snapshot.js';
import { CycleState } from './framework/cycle-state.js';
import { FitError, newDiagnosis, type Diagnosis } from './framework/fit-error.js';
import type { NodeInfo, PodInfo } from './framework/node-info.js';
import { ScoreTable, type Framework } from './framework/runner.js';
import type { Status } from './framework/status.js';

export const MIN_FEASIBLE_NODES_TO_FIND = 100;
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
export const DEFAULT_PERCENTAGE_OF_NODES_TO_SCORE = 0;

/**
 * How many feasible nodes to look for: all below 100 nodes; above, a percentage that is
 * adaptive by default (50 - nodes/125, at least 5 %) or configured, but never under 100.
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentage?: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage ?? DEFAULT_PERCENTAGE_OF_NODES_TO_SCORE;
  if (pct >= 100) return numAllNodes;
  if (pct <= 0) {
    pct = Math.trunc(50 - numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

export interface ScheduleSuccess {
  ok: true;
  nodeName: string;
  evaluatedNodes: number;
  feasibleNodes: number;
  numAllNodes: number;
  /** Undefined when only one node was feasible (nothing to compare, nothing scored). */
  scores?: ScoreTable;
  diagnosis: Diagnosis;
  state: CycleState;
}

export interface ScheduleFailure {
  ok: false;
  /** Set when no node fits; otherwise `error` says what broke. */
  fitError?: FitError;
  error?: Status;
  evaluatedNodes: number;
  numAllNodes: number;
  diagnosis: Diagnosis;
  state: CycleState;
}

export type ScheduleResult = ScheduleSuccess | ScheduleFailure;

export interface AlgorithmOptions {
  /** Global default; a profile's own value wins. */
  percentageOfNodesToScore?: number;
  /** For tie-breaking; injectable so tests are deterministic. */
  random?: () => number;
}

export class ScheduleAlgorithm {
  #nextStartNodeIndex = 0;
  readonly #percentage: number | undefined;
  readonly #random: () => number;

  constructor(options: AlgorithmOptions = {}) {
    this.#percentage = options.percentageOfNodesToScore;
    this.#random = options.random ?? Math.random;
  }

  schedule(fwk: Framework, pod: PodInfo, snapshot: Snapshot): ScheduleResult {
    const state = new CycleState();
    const nodes = snapshot.list();
    const diagnosis = newDiagnosis();
    const fail = (evaluatedNodes: number, error?: Status): ScheduleFailure => ({
      ok: false,
      fitError: error ? undefined : new FitError(nodes.length, diagnosis),
      error,
      evaluatedNodes,
      numAllNodes: nodes.length,
      diagnosis,
      state,
    });
    if (nodes.length === 0) return fail(0);

    const pre = fwk.runPreFilter(state, pod);
    if (!pre.isSuccess()) {
      if (!pre.isRejected()) return fail(0, pre);
      diagnosis.preFilterMsg = pre.message();
      diagnosis.unschedulablePlugins.add(pre.plugin);
      for (const n of nodes) diagnosis.nodeToStatus.set(n.name, pre);
      return fail(0);
    }

    const want = numFeasibleNodesToFind(nodes.length, fwk.percentageOfNodesToScore ?? this.#percentage);
    const feasible: NodeInfo[] = [];
    const start = this.#nextStartNodeIndex % nodes.length;
    const filters = fwk.activeFilters(state);
    let processed = 0;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[(start + i) % nodes.length] as NodeInfo;
      processed++;
      const s = fwk.runFilter(state, pod, node, filters);
      if (s.isSuccess()) {
        feasible.push(node);
        if (feasible.length >= want) break;
      } else if (s.isRejected()) {
        diagnosis.nodeToStatus.set(node.name, s);
        diagnosis.unschedulablePlugins.add(s.plugin);
      } else {
        return fail(processed, s);
      }
    }
    this.#nextStartNodeIndex = (start + processed) % nodes.length;

    if (feasible.length === 0) {
      const post = fwk.runPostFilter(state, pod, diagnosis.nodeToStatus);
      if (post.message) diagnosis.postFilterMsg = post.message;
      return fail(processed);
    }

    const base = { evaluatedNodes: processed, feasibleNodes: feasible.length, numAllNodes: nodes.length, diagnosis, state };
    if (feasible.length === 1) {
      // Nothing to compare: Kubernetes skips scoring here too.
      const only = feasible[0] as NodeInfo;
      return { ok: true, nodeName: only.name, ...base };
    }
    const preScore = fwk.runPreScore(state, pod, feasible);
    if (!preScore.isSuccess()) return fail(processed, preScore);
    const scores = fwk.runScore(state, pod, feasible);
    if (!(scores instanceof ScoreTable)) return fail(processed, scores);
    return { ok: true, nodeName: this.#selectHost(scores), scores, ...base };
  }

  /** The highest total; among equals each has the same chance (reservoir sampling). */
  #selectHost(scores: ScoreTable): string {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < scores.length; i++) {
      const total = scores.totals[i] as number;
      const bestTotal = scores.totals[best] as number;
      if (total > bestTotal) {
        best = i;
        ties = 1;
      } else if (total === bestTotal) {
        ties++;
        if (this.#random() * ties < 1) best = i;
      }
    }
    return scores.nodeName(best);
  }
}
