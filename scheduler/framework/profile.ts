// Scheduler configuration in the shape of KubeSchedulerConfiguration (v1): profiles by
// schedulerName, plugins enabled/disabled per extension point (multiPoint registers a plugin
// at every point it implements), per-plugin args, score weights, percentageOfNodesToScore.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

export const EXTENSION_POINTS = ['preFilter', 'filter', 'postFilter', 'preScore', 'score', 'reserve', 'bind'] as const;
export type ExtensionPoint = (typeof EXTENSION_POINTS)[number];

export interface PluginRef {
  name: string;
  weight?: number;
}

export interface PluginSet {
  enabled?: PluginRef[];
  /** `{name: '*'}` disables every default at this point. */
  disabled?: { name: string }[];
}

export interface ProfileConfig {
  schedulerName: string;
  plugins?: Partial<Record<ExtensionPoint | 'multiPoint', PluginSet>>;
  pluginConfig?: { name: string; args?: unknown }[];
  /** 0 or unset: adaptive (Kubernetes' 50 - nodes/125, at least 5 %). */
  percentageOfNodesToScore?: number;
}

export interface SchedulerConfig {
  apiVersion?: string;
  kind?: string;
  profiles: ProfileConfig[];
  percentageOfNodesToScore?: number;
  podInitialBackoffSeconds?: number;
  podMaxBackoffSeconds?: number;
}

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** Kubernetes' default plugin set and score weights (minus the ones skiff has no objects for). */
export const DEFAULT_MULTI_POINT: PluginRef[] = [
  { name: 'NodeUnschedulable' },
  { name: 'NodeName' },
  { name: 'TaintToleration', weight: 3 },
  { name: 'NodeAffinity', weight: 2 },
  { name: 'NodePorts' },
  { name: 'NodeResourcesFit', weight: 1 },
  { name: 'BalancedAllocation', weight: 1 },
  { name: 'ImageLocality', weight: 1 },
  { name: 'DefaultBinder' },
];

export function defaultConfig(): SchedulerConfig {
  return { profiles: [{ schedulerName: DEFAULT_SCHEDULER_NAME }], podInitialBackoffSeconds: 1, podMaxBackoffSeconds: 10 };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates and fills in defaults; throws ConfigError naming the bad field. */
export function normalizeConfig(raw: unknown): SchedulerConfig {
  if (raw === null || raw === undefined) return defaultConfig();
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('scheduler config must be a mapping');
  const c = raw as Partial<SchedulerConfig>;
  const pct = (v: unknown, field: string) => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || v < 0 || v > 100) throw new ConfigError(`${field} must be a number between 0 and 100`);
    return v;
  };
  pct(c.percentageOfNodesToScore, 'percentageOfNodesToScore');
  const profiles = c.profiles === undefined ? [{ schedulerName: DEFAULT_SCHEDULER_NAME }] : c.profiles;
  if (!Array.isArray(profiles) || profiles.length === 0) throw new ConfigError('profiles must be a non-empty list');
  const names = new Set<string>();
  profiles.forEach((p, i) => {
    if (typeof p !== 'object' || p === null) throw new ConfigError(`profiles[${i}] must be a mapping`);
    p.schedulerName ??= DEFAULT_SCHEDULER_NAME;
    if (names.has(p.schedulerName)) throw new ConfigError(`profiles[${i}].schedulerName "${p.schedulerName}" is duplicated`);
    names.add(p.schedulerName);
    pct(p.percentageOfNodesToScore, `profiles[${i}].percentageOfNodesToScore`);
    for (const [point, set] of Object.entries(p.plugins ?? {})) {
      if (point !== 'multiPoint' && !(EXTENSION_POINTS as readonly string[]).includes(point))
        throw new ConfigError(`profiles[${i}].plugins.${point} is not an extension point`);
      for (const ref of set?.enabled ?? []) {
        if (typeof ref?.name !== 'string') throw new ConfigError(`profiles[${i}].plugins.${point}.enabled needs names`);
        if (ref.weight !== undefined && (!Number.isInteger(ref.weight) || ref.weight < 0))
          throw new ConfigError(`profiles[${i}].plugins.${point}.enabled[${ref.name}].weight must be a non-negative integer`);
      }
    }
  });
  const backoff = (v: unknown, def: number, field: string) => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || v <= 0) throw new ConfigError(`${field} must be a positive number`);
    return v;
  };
  const initial = backoff(c.podInitialBackoffSeconds, 1, 'podInitialBackoffSeconds');
  const max = backoff(c.podMaxBackoffSeconds, 10, 'podMaxBackoffSeconds');
  if (max < initial) throw new ConfigError('podMaxBackoffSeconds must be at least podInitialBackoffSeconds');
  return { ...c, profiles, podInitialBackoffSeconds: initial, podMaxBackoffSeconds: max };
}

export async function loadConfigFile(file: string): Promise<SchedulerConfig> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot load scheduler config ${file}: ${(err as Error).message}`);
  }
  return normalizeConfig(doc);
}

/**
 * The plugins of each extension point, in order, with weights: multiPoint (defaults unless
 * the profile gives its own) expanded to every point, then each point's disabled/enabled.
 * `implementsPoint` says whether a named plugin has that extension point.
 */
export function resolvePlugins(
  profile: ProfileConfig,
  implementsPoint: (name: string, point: ExtensionPoint) => boolean,
): Record<ExtensionPoint, PluginRef[]> {
  const multi = profile.plugins?.multiPoint;
  const disabledMulti = new Set((multi?.disabled ?? []).map((d) => d.name));
  const multiRefs = [...(disabledMulti.has('*') ? [] : DEFAULT_MULTI_POINT.filter((r) => !disabledMulti.has(r.name)))];
  for (const ref of multi?.enabled ?? []) {
    const i = multiRefs.findIndex((r) => r.name === ref.name);
    if (i >= 0) multiRefs[i] = { ...multiRefs[i], ...ref };
    else multiRefs.push(ref);
  }
  const out = {} as Record<ExtensionPoint, PluginRef[]>;
  for (const point of EXTENSION_POINTS) {
    const set = profile.plugins?.[point];
    const disabled = new Set((set?.disabled ?? []).map((d) => d.name));
    let refs = disabled.has('*') ? [] : multiRefs.filter((r) => !disabled.has(r.name) && implementsPoint(r.name, point));
    for (const ref of set?.enabled ?? []) {
      refs = refs.filter((r) => r.name !== ref.name);
      refs.push(ref);
    }
    out[point] = refs.map((r) => ({ name: r.name, weight: point === 'score' ? (r.weight ?? 1) : undefined }));
  }
  return out;
}
