// The framework of one profile: builds its plugins from the registry and runs each extension
// point in order. Statuses come back tagged with the plugin that produced them; a plugin that
// throws is turned into an Error status here, so one buggy plugin cannot crash the scheduler.
import { StateKey, type CycleState } from './cycle-state.js';
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
  #names: readonly string[] | undefined;

  constructor(
    /** The scored nodes, in the order of the arrays below. */
    readonly nodeInfos: readonly NodeInfo[],
    readonly totals: readonly number[],
    readonly plugins: readonly string[],
    readonly perPlugin: readonly (readonly number[])[],
  ) {}

  get length(): number {
    return this.nodeInfos.length;
  }

  /** The names of the scored nodes (built when asked: a cycle needs only the winner's). */
  get nodes(): readonly string[] {
    return (this.#names ??= this.nodeInfos.map((n) => n.name));
  }

  nodeName(i: number): string {
    return (this.nodeInfos[i] as NodeInfo).name;
  }

  detail(i: number): NodeScoreDetail {
    const byPlugin: Record<string, number> = {};
    this.plugins.forEach((p, j) => (byPlugin[p] = (this.perPlugin[j] as readonly number[])[i] as number));
    return { name: this.nodeName(i), total: this.totals[i] as number, byPlugin };
  }

  details(): NodeScoreDetail[] {
    return this.nodeInfos.map((_, i) => this.detail(i));
  }

  /** Indices of the `k` highest totals, best first. */
  top(k: number): number[] {
    return [...this.nodeInfos.keys()].sort((a, b) => (this.totals[b] as number) - (this.totals[a] as number)).slice(0, k);
  }
}

/** n zeros, allocated at their size (growing an array push by push cost more than the scoring in it). */
function zeros(n: number): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = 0;
  return a;
}

/** The filters to run this cycle: those whose PreFilter did not answer Skip. */
const ACTIVE_FILTERS = new StateKey<readonly FilterPlugin[]>('ActiveFilterPlugins');

/** Score plugins whose PreScore answered Skip this cycle. */
const SKIP_SCORE = new StateKey<ReadonlySet<string>>('SkipScorePlugins');

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

  /**
   * The first PreFilter that does not succeed decides: the pod fits no node. A plugin that
   * answers Skip has nothing to check for this pod: its Filter is not run this cycle
   * (Kubernetes' SkipFilterPlugins), which saves a call per node.
   */
  runPreFilter(state: CycleState, pod: PodInfo): Status {
    let skipped: Set<string> | undefined;
    for (const p of this.preFilter) {
      const s = guard(p.name, () => p.preFilter(state, pod));
      if (s.code === 'Skip') {
        (skipped ??= new Set()).add(p.name);
        continue;
      }
      if (!s.isSuccess()) return s;
    }
    if (skipped) {
      const names = skipped;
      state.write(ACTIVE_FILTERS, this.filter.filter((f) => !names.has(f.name)));
    }
    return success();
  }

  /** The Filter plugins of this cycle: the profile's, less those whose PreFilter answered Skip. */
  activeFilters(state: CycleState): readonly FilterPlugin[] {
    return state.read(ACTIVE_FILTERS) ?? this.filter;
  }

  /**
   * Filters in order, stopping at the first that rejects the node (its reasons are the node's).
   * `filters`: activeFilters(state), which a loop over many nodes looks up once.
   * This runs per node per pod (thousands of times a cycle), so it is `guard` written out:
   * no closure per call.
   */
  runFilter(state: CycleState, pod: PodInfo, node: NodeInfo, filters: readonly FilterPlugin[] = this.activeFilters(state)): Status {
    for (let i = 0; i < filters.length; i++) {
      const p = filters[i] as FilterPlugin;
      let s: Status;
      try {
        s = p.filter(state, pod, node);
      } catch (err) {
        return errorStatus(err).withPlugin(p.name);
      }
      if (s.code !== 'Success') return s.withPlugin(p.name);
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

  /**
   * PreScore in order. A plugin that answers Skip has nothing to score for this pod: its
   * Score is not run this cycle (Kubernetes' SkipScorePlugins), which adds 0 on every node.
   */
  runPreScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status {
    let skipped: Set<string> | undefined;
    for (const p of this.preScore) {
      const s = guard(p.name, () => p.preScore(state, pod, nodes));
      if (s.code === 'Skip') (skipped ??= new Set()).add(p.name);
      else if (!s.isSuccess()) return s;
    }
    if (skipped) state.write(SKIP_SCORE, skipped);
    return success();
  }

  /**
   * Scores every node with every score plugin, normalizes, weights, and sums. Scores are
   * kept in flat arrays (this runs for hundreds of nodes per pod); the per-plugin breakdown
   * of a node is built only when someone asks for it (the explain record).
   */
  runScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): ScoreTable | Status {
    const n = nodes.length;
    const skipped = state.read(SKIP_SCORE);
    const plugins = this.score.map(({ plugin }) => (skipped?.has(plugin.name) ? undefined : plugin));
    // Plain arrays rather than Float64Arrays: a typed array this size gets its memory outside
    // the heap, and allocating six per cycle cost more than the sums in them.
    // Plugins skipped this cycle score 0 everywhere: they share one array of zeros.
    let none: number[] | undefined;
    const raws = plugins.map((p) => (p === undefined ? (none ??= zeros(n)) : zeros(n)));
    /** The first failed score of each plugin (in node order), reported in plugin order below. */
    const failed: (Status | undefined)[] = new Array(plugins.length);
    // Plugins that score all nodes at once do so first; the others node by node, every plugin
    // in turn (each node's objects read once per cycle rather than once per plugin).
    let perNode = false;
    for (let j = 0; j < plugins.length; j++) {
      const plugin = plugins[j];
      if (plugin === undefined) continue;
      if (!plugin.scoreNodes) {
        perNode = true;
        continue;
      }
      try {
        failed[j] = plugin.scoreNodes(state, pod, nodes, raws[j] as number[]);
      } catch (err) {
        failed[j] = errorStatus(err);
      }
    }
    for (let i = 0; perNode && i < n; i++) {
      const node = nodes[i] as NodeInfo;
      for (let j = 0; j < plugins.length; j++) {
        const plugin = plugins[j];
        if (plugin === undefined || plugin.scoreNodes || failed[j] !== undefined) continue;
        let r: number | Status;
        try {
          r = plugin.score(state, pod, node);
        } catch (err) {
          r = errorStatus(err);
        }
        if (typeof r === 'number') (raws[j] as number[])[i] = r;
        else failed[j] = r;
      }
    }
    const totals = zeros(n);
    for (let j = 0; j < plugins.length; j++) {
      const plugin = plugins[j];
      const raw = raws[j] as number[];
      if (plugin === undefined) continue;
      const f = failed[j];
      if (f !== undefined) return f.withPlugin(plugin.name);
      if (plugin.normalizeScoreValues) {
        const normalize = plugin.normalizeScoreValues.bind(plugin);
        const s = guard(plugin.name, () => normalize(state, pod, raw) ?? success());
        if (!s.isSuccess()) return s;
      } else if (plugin.normalizeScore) {
        // Only normalizing plugins need the name/score records the interface speaks in.
        const scores: NodeScore[] = new Array(n);
        for (let i = 0; i < n; i++) scores[i] = { name: (nodes[i] as NodeInfo).name, score: raw[i] as number };
        const s = guard(plugin.name, () => plugin.normalizeScore?.(state, pod, scores) ?? success());
        if (!s.isSuccess()) return s;
        for (let i = 0; i < n; i++) raw[i] = (scores[i] as NodeScore).score;
      }
      const weight = (this.score[j] as { weight: number }).weight;
      for (let i = 0; i < n; i++) {
        const v = raw[i] as number;
        if (v < 0 || v > MAX_NODE_SCORE) {
          return errorStatus(`plugin "${plugin.name}" returns an invalid score ${v}, it should in the range of [0, ${MAX_NODE_SCORE}] after normalizing`).withPlugin(plugin.name);
        }
        raw[i] = v * weight;
        totals[i] = (totals[i] as number) + v * weight;
      }
    }
    return new ScoreTable(
      nodes,
      totals,
      this.score.map((s) => s.plugin.name),
      raws,
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
