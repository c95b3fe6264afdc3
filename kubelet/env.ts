// Container environment as the kubelet makes it (makeEnvironmentVariables): values in
// order, $(VAR) references to earlier variables expanded ($$ escapes), and downward-API
// fieldRef / resourceFieldRef values from the pod.
import { effectiveRequests } from '../api/pod-resources.js';
import { parseQuantity } from '../api/quantity.js';
import type { Container, EnvVar, Pod } from '../api/types/core.js';

export interface EnvContext {
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  /** Used for resourceFieldRef when the container sets no limit (as Kubernetes uses allocatable). */
  nodeAllocatable?: { milliCPU: number; memory: number };
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

function fieldValue(pod: Pod, path: string, ctx: EnvContext): string {
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

function resourceValue(pod: Pod, self: Container, ref: NonNullable<EnvVar['valueFrom']>['resourceFieldRef'], ctx: EnvContext): string {
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

/** The container's environment in order, as KEY/value pairs for the CRI. */
export function makeEnvironment(pod: Pod, c: Container, ctx: EnvContext): { key: string; value: string }[] {
  const vars = new Map<string, string>();
  for (const e of c.env ?? []) {
    let value: string;
    if (e.valueFrom?.fieldRef) value = fieldValue(pod, e.valueFrom.fieldRef.fieldPath, ctx);
    else if (e.valueFrom?.resourceFieldRef) value = resourceValue(pod, c, e.valueFrom.resourceFieldRef, ctx);
    else value = expand(e.value ?? '', (n) => vars.get(n));
    // Re-setting a name moves nothing: Kubernetes keeps first-seen order with the last value.
    vars.set(e.name, value);
  }
  return [...vars].map(([key, value]) => ({ key, value }));
}

/** command and args with $(VAR) expanded from the container's environment. */
export function expandCommand(list: string[] | undefined, env: { key: string; value: string }[]): string[] | undefined {
  if (!list) return undefined;
  const m = new Map(env.map((e) => [e.key, e.value]));
  return list.map((s) => expand(s, (n) => m.get(n)));
}
