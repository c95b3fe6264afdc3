// The pod conditions the kubelet owns (PodScheduled, Initialized, ContainersReady, Ready),
// with Kubernetes' reasons and messages, and lastTransitionTime carried over from the old
// status whenever a condition's status did not change.
import type { ContainerStatus, Pod, PodCondition, PodPhase } from '../../api/types/core.js';

function listNames(names: string[]): string {
  return `[${names.join(' ')}]`;
}

function initialized(pod: Pod, init: ContainerStatus[], phase: PodPhase): PodCondition {
  const specs = pod.spec.initContainers ?? [];
  if (specs.length === 0) return { type: 'Initialized', status: 'True' };
  if (phase === 'Succeeded' && init.length === 0) return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  const incomplete = specs
    .filter((c) => {
      const s = init.find((x) => x.name === c.name);
      return !(s?.state?.terminated && s.state.terminated.exitCode === 0);
    })
    .map((c) => c.name);
  // An app container already running means initialisation is over, whatever the runtime kept.
  if (incomplete.length === 0) return { type: 'Initialized', status: 'True' };
  return { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: ${listNames(incomplete)}` };
}

function containersReady(type: 'ContainersReady' | 'Ready', pod: Pod, app: ContainerStatus[], phase: PodPhase): PodCondition {
  if (phase === 'Succeeded') return { type, status: 'False', reason: 'PodCompleted' };
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const c of pod.spec.containers) {
    const s = app.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (unknown.length === 0 && unready.length === 0) return { type, status: 'True' };
  const parts: string[] = [];
  if (unknown.length) parts.push(`containers with unknown status: ${listNames(unknown)}`);
  if (unready.length) parts.push(`containers with unready status: ${listNames(unready)}`);
  return { type, status: 'False', reason: 'ContainersNotReady', message: parts.join(', ') };
}

export function generateConditions(pod: Pod, init: ContainerStatus[], app: ContainerStatus[], phase: PodPhase): PodCondition[] {
  // An app container that ran means the init containers finished, even if they are gone now
  // (the runtime removed them, or the kubelet restarted without their statuses).
  const appRan = app.some((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated);
  const init_ = appRan ? ({ type: 'Initialized', status: 'True' } as const) : initialized(pod, init, phase);
  return [
    init_,
    containersReady('Ready', pod, app, phase),
    containersReady('ContainersReady', pod, app, phase),
    { type: 'PodScheduled', status: 'True' },
  ];
}

/**
 * Stamps lastTransitionTime: the old one when the condition's status is unchanged, `now`
 * otherwise. Conditions the kubelet does not own (set by others) are kept as they were.
 */
export function mergeConditions(old: PodCondition[] | undefined, next: PodCondition[], now: string): PodCondition[] {
  const prev = new Map((old ?? []).map((c) => [c.type, c]));
  const out: PodCondition[] = next.map((c) => {
    const was = prev.get(c.type);
    const lastTransitionTime = was && was.status === c.status && was.lastTransitionTime ? was.lastTransitionTime : now;
    return { ...c, lastProbeTime: null, lastTransitionTime };
  });
  const owned = new Set(next.map((c) => c.type));
  for (const c of old ?? []) if (!owned.has(c.type)) out.push(c);
  return out;
}
