// The pod phase from its container statuses (Kubernetes' getPhase), including the
// restartPolicy rules for finished containers and failed init containers.
import type { ContainerStatus, Pod, PodPhase } from '../../api/types/core.js';

export function getPhase(pod: Pod, init: ContainerStatus[], app: ContainerStatus[], podIsTerminal = false): PodPhase {
  const byName = (list: ContainerStatus[], name: string) => list.find((s) => s.name === name);
  const policy = pod.spec.restartPolicy ?? 'Always';

  let pendingInit = 0;
  let failedInit = 0;
  for (const c of pod.spec.initContainers ?? []) {
    const s = byName(init, c.name);
    if (!s?.state) {
      pendingInit++;
    } else if (s.state.running) {
      pendingInit++;
    } else if (s.state.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInit++;
      } else {
        pendingInit++;
      }
    } else {
      pendingInit++;
    }
  }

  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  let failed = 0;
  for (const c of pod.spec.containers) {
    const s = byName(app, c.name);
    if (!s?.state) {
      unknown++;
    } else if (s.state.running) {
      running++;
    } else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
      else failed++;
    } else if (s.state.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else {
      unknown++;
    }
  }

  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return failed > 0 ? 'Failed' : 'Succeeded';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}
