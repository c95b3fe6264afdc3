// Container environment as the kubelet makes it (makeEnvironmentVariables): envFrom's
// ConfigMaps and Secrets first (prefixed, keys that are no variable name skipped with a
// warning), then env in order, $(VAR) references to variables already set expanded ($$
// escapes), downward-API fieldRef / resourceFieldRef values from the pod, and
// configMapKeyRef / secretKeyRef values. A missing object or key that is not optional is an
// EnvError with Kubernetes' message (the container's CreateContainerConfigError).
import { envVarNameErrors } from '../api/names.js';
import { effectiveRequests } from '../api/pod-resources.js';
import { parseQuantity } from '../api/quantity.js';
import type { ConfigMap, Container, EnvVar, Pod, Secret } from '../api/types/core.js';
import { notFoundMessage, secretBytes, staticLookup, type ConfigKind, type ConfigLookup } from './config-lookup.js';

export interface EnvContext {
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  /** Used for resourceFieldRef when the container sets no limit (as Kubernetes uses allocatable). */
  nodeAllocatable?: { milliCPU: number; memory: number };
  /** The ConfigMaps and Secrets the pod names, as read for this sync (none found when unset). */
  config?: ConfigLookup;
  /** The pod's service-link variables (service-env.ts): $(VAR) may name them; set last, unless the container sets them. */
  serviceEnv?: ReadonlyMap<string, string>;
  /** A Warning event on the pod (envFrom keys skipped as invalid names). */
  warn?: (reason: string, message: string) => void;
}

export class EnvError extends Error {}

/** Kubernetes' expansion.Expand: $(NAME) from `lookup`, $$ for a literal $, unknown refs left as written. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const end = input.indexOf(')', i + 2);
      if (end < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, end);
      const v = lookup(name);
      out += v ?? `$(${name})`;
      i = end;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Kubernetes' downward API field paths, shared by env and downwardAPI volumes. */
export function fieldValue(pod: Pod, path: string, ctx: EnvContext): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[m[2]] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? 'default';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
      return ctx.podIP ?? '';
    case 'status.podIPs':
      return (ctx.podIPs ?? (ctx.podIP ? [ctx.podIP] : [])).join(',');
    case 'status.hostIP':
      return ctx.hostIP ?? '';
    default:
      throw new EnvError(`unsupported fieldRef ${JSON.stringify(path)}`);
  }
}

export function resourceValue(pod: Pod, self: Container, ref: NonNullable<EnvVar['valueFrom']>['resourceFieldRef'], ctx: EnvContext): string {
  if (!ref) return '';
  const c = ref.containerName ? pod.spec.containers.find((x) => x.name === ref.containerName) : self;
  if (!c) throw new EnvError(`resourceFieldRef: no container ${JSON.stringify(ref.containerName)}`);
  const [kind, res] = ref.resource.split('.') as ['limits' | 'requests', string];
  const isCpu = res === 'cpu';
  // Requests as defaulting leaves them (a limit stands in for a missing request).
  const q = (kind === 'requests' ? effectiveRequests(c) : c.resources?.limits)?.[res];
  let amount: number;
  if (q !== undefined) amount = isCpu ? parseQuantity(q).milliValue() : parseQuantity(q).value();
  else if (kind === 'limits' && ctx.nodeAllocatable) amount = isCpu ? ctx.nodeAllocatable.milliCPU : ctx.nodeAllocatable.memory;
  else amount = 0;
  const divisor = ref.divisor !== undefined ? parseQuantity(ref.divisor) : parseQuantity(1);
  const div = isCpu ? divisor.milliValue() : divisor.value();
  return String(Math.ceil(amount / (div || 1)));
}

/** The object named, undefined when it is missing and optional; throws otherwise. */
function fetchObject<K extends ConfigKind>(lookup: ConfigLookup, kind: K, name: string, optional: boolean | undefined): (K extends 'ConfigMap' ? ConfigMap : Secret) | undefined {
  const r = kind === 'ConfigMap' ? lookup.configMap(name) : lookup.secret(name);
  if ('found' in r) return r.found as K extends 'ConfigMap' ? ConfigMap : Secret;
  if ('error' in r) throw new EnvError(r.error);
  if (optional) return undefined;
  throw new EnvError(notFoundMessage(kind, name));
}

/** envFrom: each source's keys in key order (Kubernetes iterates a map; order there is none). */
function addEnvFrom(pod: Pod, c: Container, lookup: ConfigLookup, vars: Map<string, string>, ctx: EnvContext): void {
  const ns = pod.metadata.namespace ?? 'default';
  for (const f of c.envFrom ?? []) {
    let entries: [string, string][];
    let what: string;
    let name: string;
    if (f.configMapRef) {
      name = f.configMapRef.name;
      const cm = fetchObject(lookup, 'ConfigMap', name, f.configMapRef.optional);
      if (!cm) continue;
      what = 'configMap';
      entries = Object.entries(cm.data ?? {});
    } else if (f.secretRef) {
      name = f.secretRef.name;
      const s = fetchObject(lookup, 'Secret', name, f.secretRef.optional);
      if (!s) continue;
      what = 'secret';
      entries = Object.entries(s.data ?? {}).map(([k, v]) => [k, secretBytes(v).toString()]);
    } else continue;
    const invalid: string[] = [];
    for (const [key, value] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const k = (f.prefix ?? '') + key;
      if (envVarNameErrors(k).length > 0) invalid.push(k);
      else vars.set(k, value);
    }
    if (invalid.length > 0) {
      ctx.warn?.(
        'InvalidEnvironmentVariableNames',
        `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${what} ${ns}/${name} were skipped since they are considered invalid environment variable names.`,
      );
    }
  }
}

/** One env entry's value; undefined when an optional reference is missing (the variable is not set). */
function envValue(pod: Pod, c: Container, e: EnvVar, lookup: ConfigLookup, vars: Map<string, string>, ctx: EnvContext): string | undefined {
  const ns = pod.metadata.namespace ?? 'default';
  const from = e.valueFrom;
  if (e.value || !from) return expand(e.value ?? '', (n) => vars.get(n) ?? ctx.serviceEnv?.get(n));
  if (from.fieldRef) return fieldValue(pod, from.fieldRef.fieldPath, ctx);
  if (from.resourceFieldRef) return resourceValue(pod, c, from.resourceFieldRef, ctx);
  if (from.configMapKeyRef) {
    const { name, key, optional } = from.configMapKeyRef;
    const cm = fetchObject(lookup, 'ConfigMap', name, optional);
    if (!cm) return undefined;
    const v = cm.data?.[key];
    if (v !== undefined) return v;
    if (optional) return undefined;
    throw new EnvError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
  }
  if (from.secretKeyRef) {
    const { name, key, optional } = from.secretKeyRef;
    const s = fetchObject(lookup, 'Secret', name, optional);
    if (!s) return undefined;
    const v = s.data?.[key];
    if (v !== undefined) return secretBytes(v).toString();
    if (optional) return undefined;
    throw new EnvError(`couldn't find key ${key} in Secret ${ns}/${name}`);
  }
  return '';
}

/** The container's environment in order, as KEY/value pairs for the CRI. */
export function makeEnvironment(pod: Pod, c: Container, ctx: EnvContext): { key: string; value: string }[] {
  const lookup = ctx.config ?? staticLookup();
  const vars = new Map<string, string>();
  addEnvFrom(pod, c, lookup, vars, ctx);
  for (const e of c.env ?? []) {
    const value = envValue(pod, c, e, lookup, vars, ctx);
    if (value === undefined) continue;
    // Re-setting a name moves nothing: Kubernetes keeps first-seen order with the last value.
    vars.set(e.name, value);
  }
  for (const [k, v] of ctx.serviceEnv ?? []) if (!vars.has(k)) vars.set(k, v);
  return [...vars].map(([key, value]) => ({ key, value }));
}

/** command and args with $(VAR) expanded from the container's environment. */
export function expandCommand(list: string[] | undefined, env: { key: string; value: string }[]): string[] | undefined {
  if (!list) return undefined;
  const m = new Map(env.map((e) => [e.key, e.value]));
  return list.map((s) => expand(s, (n) => m.get(n)));
}
