// One small interface per extension point, each with only `name` and its method(s), as in
// Kubernetes' framework. A plugin implements the points it needs; the runner drives them and
// plugins never call each other. Plugins see NodeInfos from an immutable per-cycle snapshot.
import type { Pod } from '../../api/types/core.js';
import type { CycleState } from './cycle-state.js';
import type { NodeInfo, PodInfo } from './node-info.js';
import type { Status } from './status.js';

export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

/** What plugins may read about the whole cluster during a cycle. */
export interface SnapshotLister {
  /** Nodes in a stable order (the order filtering walks them in). */
  list(): readonly NodeInfo[];
  get(name: string): NodeInfo | undefined;
  /** On how many nodes an image (normalized name) is present: ImageLocality spreads by it. */
  imageNodeCount(image: string): number;
}

/** Handed to plugin factories: access to the snapshot of the cycle in progress. */
export interface Handle {
  snapshot(): SnapshotLister;
}

/** Binding is the only step that talks to the API server; the scheduler hands this in. */
export interface PodBinder {
  bind(pod: Pod, nodeName: string, annotations?: Record<string, string>): Promise<void>;
}

export interface Plugin {
  readonly name: string;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: PodInfo): Status;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

export interface PostFilterResult {
  status: Status;
  nominatedNodeName?: string;
  /** Appended to the FailedScheduling message (Kubernetes' "preemption: ..."). */
  message?: string;
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: PodInfo, filtered: ReadonlyMap<string, Status>): PostFilterResult;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status;
}

export interface NodeScore {
  name: string;
  score: number;
}

export interface ScorePlugin extends Plugin {
  /** A score for one node, or a Status when scoring failed. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number | Status;
  /** Rescales this plugin's scores to [0, MAX_NODE_SCORE] in place (optional). */
  normalizeScore?(state: CycleState, pod: PodInfo, scores: NodeScore[]): Status | void;
  /**
   * Optional: `score` for every node at once, into `out[i]` for `nodes[i]`; answers the first
   * failure (in node order) or undefined. Same results as calling `score` node by node; it
   * exists because the runner calls it for hundreds of nodes per pod, and one loop inside the
   * plugin runs on one type where the runner's call per node sees every plugin.
   */
  scoreNodes?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], out: number[]): Status | undefined;
  /** Optional: `normalizeScore` on the bare scores (node i's at i), without a record per node. */
  normalizeScoreValues?(state: CycleState, pod: PodInfo, scores: number[]): Status | void;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface BindPlugin extends Plugin {
  /** Skip to let the next bind plugin handle it; Success once bound. */
  bind(state: CycleState, pod: PodInfo, nodeName: string, annotations: Record<string, string>): Promise<Status>;
}

export const isPreFilter = (p: Plugin): p is PreFilterPlugin => typeof (p as PreFilterPlugin).preFilter === 'function';
export const isFilter = (p: Plugin): p is FilterPlugin => typeof (p as FilterPlugin).filter === 'function';
export const isPostFilter = (p: Plugin): p is PostFilterPlugin => typeof (p as PostFilterPlugin).postFilter === 'function';
export const isPreScore = (p: Plugin): p is PreScorePlugin => typeof (p as PreScorePlugin).preScore === 'function';
export const isScore = (p: Plugin): p is ScorePlugin => typeof (p as ScorePlugin).score === 'function';
export const isReserve = (p: Plugin): p is ReservePlugin => typeof (p as ReservePlugin).reserve === 'function';
export const isBind = (p: Plugin): p is BindPlugin => typeof (p as BindPlugin).bind === 'function';

/** Kubernetes' DefaultNormalizeScore: scale to [0, max] by the highest score, optionally reversed. */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: NodeScore[]): void {
  const values = scores.map((s) => s.score);
  defaultNormalizeValues(maxPriority, reverse, values);
  for (let i = 0; i < scores.length; i++) (scores[i] as NodeScore).score = values[i] as number;
}

/**
 * `scoreNodes` written as calls of `score`, node by node: the fallback of a plugin whose batch
 * loop covers only its common case.
 */
export function scoreEach(plugin: ScorePlugin, state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], out: number[]): Status | undefined {
  for (let i = 0; i < nodes.length; i++) {
    const r = plugin.score(state, pod, nodes[i] as NodeInfo);
    if (typeof r !== 'number') return r;
    out[i] = r;
  }
  return undefined;
}

/** defaultNormalizeScore on bare scores, in place. */
export function defaultNormalizeValues(maxPriority: number, reverse: boolean, scores: number[]): void {
  let max = 0;
  for (const v of scores) max = Math.max(max, v);
  if (max === 0) {
    if (reverse) scores.fill(maxPriority);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const v = Math.floor((maxPriority * (scores[i] as number)) / max);
    scores[i] = reverse ? maxPriority - v : v;
  }
}
