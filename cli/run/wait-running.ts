// `skiff run --wait`: after creating the pod, show its events as they happen and return
// once it runs (or has finished), like watching `docker run -d` come up. A container
// stuck in ErrImagePull, ImagePullBackOff, CrashLoopBackOff or a create error ends the
// wait with that reason, as does the pod failing.
import type { Event, Pod } from '../../api/types/core.js';
import type { RestClient } from '../../client/rest.js';
import { CliError } from '../errors.js';
import { podSummary } from '../printers/pod-status.js';

const STUCK = new Set(['ErrImagePull', 'ImagePullBackOff', 'CrashLoopBackOff', 'CreateContainerError', 'CreateContainerConfigError', 'InvalidImageName', 'RunContainerError']);

export type WaitVerdict = { done: false } | { done: true; ok: boolean; message: string };

/** Whether the wait is over for this state of the pod. */
export function verdict(pod: Pod): WaitVerdict {
  const name = pod.metadata.name ?? '';
  const s = podSummary(pod);
  const phase = pod.status?.phase;
  if (phase === 'Running' && pod.status?.containerStatuses?.every((c) => c.state?.running)) return { done: true, ok: true, message: `pod/${name} is running (${s.ready} ready)` };
  if (phase === 'Succeeded') return { done: true, ok: true, message: `pod/${name} completed` };
  if (phase === 'Failed') return { done: true, ok: false, message: `pod/${name} failed: ${s.status}` };
  if (STUCK.has(s.status) || STUCK.has(s.status.replace(/^Init:/, ''))) {
    const waiting = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((c) => c.state?.waiting?.reason && STUCK.has(c.state.waiting.reason));
    const detail = waiting?.state?.waiting?.message ? `: ${waiting.state.waiting.message}` : '';
    return { done: true, ok: false, message: `pod/${name} is not running: ${s.status}${detail}` };
  }
  return { done: false };
}

const POLL_MS = 500;

/**
 * Polls the pod and its events until a verdict (polling, not a watch: events of a pod are
 * few and a poll needs no field-selector support for involvedObject on the server).
 */
export async function waitRunning(rest: RestClient, namespace: string, name: string, print: (line: string) => void, timeoutMs: number): Promise<void> {
  const seen = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = (await rest.events.listAll({ namespace })).items.filter((e: Event) => e.involvedObject?.kind === 'Pod' && e.involvedObject.name === name);
    events.sort((a, b) => Date.parse(a.lastTimestamp ?? a.eventTime ?? '') - Date.parse(b.lastTimestamp ?? b.eventTime ?? ''));
    for (const e of events) {
      const key = `${e.metadata.name}/${e.count ?? 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      print(`${e.type ?? 'Normal'}\t${e.reason ?? ''}\t${(e.message ?? '').trim()}`);
    }
    const v = verdict(await rest.pods.get(name, { namespace }));
    if (v.done) {
      if (!v.ok) throw new CliError(v.message);
      print(v.message);
      return;
    }
    if (Date.now() > deadline) throw new CliError(`timed out waiting for pod/${name} to run`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
