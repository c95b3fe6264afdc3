// The framework of one profile: builds its plugins from the registry and runs each extension
// point in order. Statuses come back tagged with the plugin that produced them; a plugin that
// throws is turned into an Error status here, so one buggy plugin cannot crash the scheduler.
import type { CycleState } from './cycle-state.js';
import {
  isBind,
  isFilter,
  isPostFilter,
  isPreFilter,
  isPreScore,
  isReserve,
  isScore,
  MAX_NODE_SCORE,
  type BindPlugin,
  type FilterPlugin,
  type NodeScore,
  type Plugin,
  type PostFilterPlugin,
  type PostFilterResult,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ReservePlugin,
  type ScorePlugin,
} from './interfaces.js';
import type { NodeInfo, PodInfo } from './node-info.js';
import { EXTENSION_POINTS, resolvePlugins, type ExtensionPoint, type ProfileConfig } from './profile.js';
import type { PluginContext, Registry } from './registry.js';
import { errorStatus, success, unschedulable, type Status } from './status.js';

const IMPLEMENTS: Record<ExtensionPoint, (p: Plugin) => boolean> = {
  preFilter: isPreFilter,
  filter: isFilter,
  postFilter: isPostFilter,
  preScore: isPreScore,
  score: isScore,
  reserve: isReserve,
  bind: isBind,
};

/** One node's total and the weighted contribution of each score plugin. */
export interface NodeScoreDetail {
  name: string;
  total: number;
  byPlugin: Record<string, number>;
}

/** The weighted scores of one cycle: totals per node, and each plugin's share. */
export class ScoreTable {
  constructor(
    readonly nodes: readonly string[],
    readonly totals: Float64Array,
    readonly plugins: readonly string[],
    readonly perPlugin: readonly Float64Array[],
  ) {}

  get length(): number {
    return this.nodes.length;
  }

  detail(i: number): NodeScoreDetail {
    const byPlugin: Record<string, number> = {};
    this.plugins.forEach((p, j) => (byPlugin[p] = (this.perPlugin[j] as Float64Array)[i] as number));
    return { name: this.nodes[i] as string, total: this.totals[i] as number, byPlugin };
  }

  details(): NodeScoreDetail[] {
    return this.nodes.map((_, i) => this.detail(i));
  }

  /** Indices of the `k` highest totals, best first. */
  top(k: number): number[] {
    return [...this.nodes.keys()].sort((a, b) => (this.totals[b] as number) - (this.totals[a] as number)).slice(0, k);
  }
}

function guard(plugin: string, fn: () => Status): Status {
  try {
    return fn().withPlugin(plugin);
  } catch (err) {
    return errorStatus(err).withPlugin(plugin);
  }
}

export class Framework {
  readonly profileName: string;
  readonly percentageOfNodesToScore: number | undefined;
  readonly preFilter: PreFilterPlugin[];
  readonly filter: FilterPlugin[];
  readonly postFilter: PostFilterPlugin[];
  readonly preScore: PreScorePlugin[];
  readonly score: { plugin: ScorePlugin; weight: number }[];
  readonly reserve: ReservePlugin[];
  readonly bind: BindPlugin[];

  constructor(profile: ProfileConfig, registry: Registry, ctx: PluginContext) {
    this.profileName = profile.schedulerName;
    this.percentageOfNodesToScore = profile.percentageOfNodesToScore;
    const args = new Map((profile.pluginConfig ?? []).map((pc) => [pc.name, pc.args]));
    const built = new Map<string, Plugin>();
    const get = (name: string): Plugin => {
      let p = built.get(name);
      if (!p) {
        p = registry.build(name, args.get(name), ctx);
        built.set(name, p);
      }
      return p;
    };
    const refs = resolvePlugins(profile, (name, point) => IMPLEMENTS[point](get(name)));
    for (const point of EXTENSION_POINTS) {
      for (const ref of refs[point]) {
        if (!IMPLEMENTS[point](get(ref.name))) throw new Error(`plugin "${ref.name}" does not implement the ${point} extension point`);
      }
    }
    this.preFilter = refs.preFilter.map((r) => get(r.name) as PreFilterPlugin);
    this.filter = refs.filter.map((r) => get(r.name) as FilterPlugin);
    this.postFilter = refs.postFilter.map((r) => get(r.name) as PostFilterPlugin);
    this.preScore = refs.preScore.map((r) => get(r.name) as PreScorePlugin);
    this.score = refs.score.map((r) => ({ plugin: get(r.name) as ScorePlugin, weight: r.weight ?? 1 }));
    this.reserve = refs.reserve.map((r) => get(r.name) as ReservePlugin);
    this.bind = refs.bind.map((r) => get(r.name) as BindPlugin);
    if (this.bind.length === 0) throw new Error(`profile "${this.profileName}" has no bind plugin`);
  }

  /** The first PreFilter that does not succeed decides: the pod fits no node. */
  runPreFilter(state: CycleState, pod: PodInfo): Status {
    for (const p of this.preFilter) {
      const s = guard(p.name, () => p.preFilter(state, pod));
      if (s.code === 'Skip') continue;
      if (!s.isSuccess()) return s;
    }
    return success();
  }

  /** Filters in order, stopping at the first that rejects the node (its reasons are the node's). */
  runFilter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    for (const p of this.filter) {
      const s = guard(p.name, () => p.filter(state, pod, node));
      if (!s.isSuccess()) return s;
    }
    return success();
  }

  runPostFilter(state: CycleState, pod: PodInfo, filtered: ReadonlyMap<string, Status>): PostFilterResult {
    let last: PostFilterResult = { status: unschedulable() };
    for (const p of this.postFilter) {
      try {
        const r = p.postFilter(state, pod, filtered);
        r.status.withPlugin(p.name);
        if (r.status.isSuccess() || r.status.code === 'Error') return r;
        last = r;
      } catch (err) {
        return { status: errorStatus(err).withPlugin(p.name) };
      }
    }
    return last;
  }

  runPreScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status {
    for (const p of this.preScore) {
      const s = guard(p.name, () => p.preScore(state, pod, nodes));
      if (!s.isSuccess() && s.code !== 'Skip') return s;
    }
    return success();
  }

  /**
   * Scores every node with every score plugin, normalizes, weights, and sums. Scores are
   * kept in flat arrays (this runs for hundreds of nodes per pod); the per-plugin breakdown
   * of a node is built only when someone asks for it (the explain record).
   */
  runScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): ScoreTable | Status {
    const n = nodes.length;
    const totals = new Float64Array(n);
    const perPlugin: Float64Array[] = [];
    for (const { plugin, weight } of this.score) {
      const raw = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let r: number | Status;
        try {
          r = plugin.score(state, pod, nodes[i] as NodeInfo);
        } catch (err) {
          r = errorStatus(err);
        }
        if (typeof r !== 'number') return r.withPlugin(plugin.name);
        raw[i] = r;
      }
      if (plugin.normalizeScore) {
        // Only normalizing plugins need the name/score records the interface speaks in.
        const scores: NodeScore[] = new Array(n);
        for (let i = 0; i < n; i++) scores[i] = { name: (nodes[i] as NodeInfo).name, score: raw[i] as number };
        const s = guard(plugin.name, () => plugin.normalizeScore?.(state, pod, scores) ?? success());
        if (!s.isSuccess()) return s;
        for (let i = 0; i < n; i++) raw[i] = (scores[i] as NodeScore).score;
      }
      for (let i = 0; i < n; i++) {
        const v = raw[i] as number;
        if (v < 0 || v > MAX_NODE_SCORE) {
          return errorStatus(`plugin "${plugin.name}" returns an invalid score ${v}, it should in the range of [0, ${MAX_NODE_SCORE}] after normalizing`).withPlugin(plugin.name);
        }
        raw[i] = v * weight;
        totals[i] = (totals[i] as number) + v * weight;
      }
      perPlugin.push(raw);
    }
    return new ScoreTable(
      nodes.map((x) => x.name),
      totals,
      this.score.map((s) => s.plugin.name),
      perPlugin,
    );
  }

  /** Reserve in order; on a failure, unreserve everything (in reverse) and report it. */
  runReserve(state: CycleState, pod: PodInfo, nodeName: string): Status {
    for (const p of this.reserve) {
      const s = guard(p.name, () => p.reserve(state, pod, nodeName));
      if (!s.isSuccess()) {
        this.runUnreserve(state, pod, nodeName);
        return s;
      }
    }
    return success();
  }

  runUnreserve(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (const p of [...this.reserve].reverse()) {
      try {
        p.unreserve(state, pod, nodeName);
      } catch {
        // Unreserve must not fail the cleanup of the others.
      }
    }
  }

  /** The first bind plugin that does not Skip binds the pod. */
  async runBind(state: CycleState, pod: PodInfo, nodeName: string, annotations: Record<string, string>): Promise<Status> {
    for (const p of this.bind) {
      let s: Status;
      try {
        s = await p.bind(state, pod, nodeName, annotations);
      } catch (err) {
        s = errorStatus(err);
      }
      s.withPlugin(p.name);
      if (s.code === 'Skip') continue;
      return s;
    }
    return errorStatus('no bind plugin bound the pod');
  }
}
