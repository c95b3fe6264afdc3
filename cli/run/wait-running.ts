// `skiff run --wait`: after creating the pod, show its events as they happen (Scheduled,
// Pulling, Pulled with size and time, Created, Started, BackOff, ...) and return once it
// runs or has finished, like watching `docker run` come up. Both the pod and its events are
// watched (events by fieldSelector involvedObject.name/uid), so lines appear as the kubelet
// records them. A container stuck in ErrImagePull, ImagePullBackOff, CrashLoopBackOff or a
// create error ends the wait with that reason, as does the pod failing. When the kubelet
// records Pulling, the pull itself is followed on its node (see pull-progress.ts) and shown
// per layer as `skiff pull` shows it.
import { isApiError } from '../../api/errors.js';
import type { Event, Pod } from '../../api/types/core.js';
import type { KubeObject } from '../../api/types/meta.js';
import type { ResourceClient, RestClient } from '../../client/rest.js';
import { isExpired } from '../../client/watch.js';
import { CliError } from '../errors.js';
import { podSummary } from '../../api/kinds/pod-status.js';
import { PullProgressFollower, type ProgressStream } from './pull-progress.js';

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

/** One event as a line: type, reason, message; tabs part the cells. */
export function eventLine(e: Event): string {
  return `${e.type ?? 'Normal'}\t${e.reason ?? ''}\t${(e.message ?? '').trim()}`;
}

function eventTime(e: Event): number {
  return Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '') || 0;
}

/**
 * Lists, then watches from the list's resourceVersion, handing every object to `seen`;
 * a watch the server ends is resumed, and a compacted version starts over with a list.
 * Returns when `seen` answers true or the signal aborts.
 */
async function listWatch<T extends KubeObject>(
  client: ResourceClient<T>,
  opts: { namespace: string; fieldSelector: string },
  seen: (obj: T, type: string) => boolean,
  signal: AbortSignal,
  order: (items: T[]) => T[] = (items) => items,
): Promise<void> {
  let rv: string | undefined;
  while (!signal.aborted) {
    if (rv === undefined) {
      const list = await client.listAll({ ...opts, signal });
      for (const o of order([...list.items])) if (seen(o, 'ADDED')) return;
      rv = list.metadata.resourceVersion;
    }
    try {
      for await (const ev of await client.watch({ ...opts, resourceVersion: rv, allowWatchBookmarks: true, signal })) {
        if (ev.type === 'ERROR') {
          if (isExpired(ev.object)) rv = undefined;
          break;
        }
        rv = ev.object.metadata.resourceVersion ?? rv;
        if (ev.type !== 'BOOKMARK' && seen(ev.object, ev.type)) return;
      }
    } catch (err) {
      if (signal.aborted) return;
      if (isApiError(err) && isExpired(err)) rv = undefined;
      else throw err;
    }
  }
}

export interface WaitRunningOptions {
  /** Where pull progress is drawn: bars on a terminal; without it, plain lines through `print`. */
  progressStream?: ProgressStream;
}

/** Watches the pod and its events until a verdict; the pod's uid narrows the events to this pod. */
export async function waitRunning(
  rest: RestClient,
  namespace: string,
  name: string,
  print: (line: string) => void,
  timeoutMs: number,
  uid?: string,
  opts: WaitRunningOptions = {},
): Promise<void> {
  const abort = new AbortController();
  const printed = new Set<string>();
  const pulls = new PullProgressFollower(rest, print, abort.signal, opts.progressStream);
  let latest: Pod | undefined;
  const show = (e: Event) => {
    // A repeated event (BackOff) comes back with a higher count: print it again then.
    const key = `${e.metadata.name}/${e.count ?? 1}`;
    if (printed.has(key)) return false;
    printed.add(key);
    pulls.print(eventLine(e));
    if (e.reason === 'Pulling') pulls.follow(e, latest);
    return false;
  };
  const fieldSelector = `involvedObject.kind=Pod,involvedObject.name=${name}${uid ? `,involvedObject.uid=${uid}` : ''}`;
  const state: { outcome: WaitVerdict } = { outcome: { done: false } };
  const byTime = (items: Event[]) => items.sort((a, b) => eventTime(a) - eventTime(b));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`timed out waiting for pod/${name} to run`)), timeoutMs);
  });
  try {
    const events = listWatch(rest.events, { namespace, fieldSelector }, show, abort.signal, byTime);
    const pod = listWatch(
      rest.pods,
      { namespace, fieldSelector: `metadata.name=${name}` },
      (p, type) => {
        if (type === 'DELETED') throw new CliError(`pod/${name} was deleted while waiting for it to run`);
        latest = p;
        state.outcome = verdict(p);
        return state.outcome.done;
      },
      abort.signal,
    );
    // The events' watch only ends on an error: a failure there must not go unnoticed.
    await Promise.race([pod, events.then(() => new Promise<never>(() => undefined)), timedOut]);
    abort.abort();
    await events.catch(() => undefined);
    await pulls.settle();
    const outcome = state.outcome;
    if (!outcome.done) throw new CliError(`stopped watching pod/${name} before it ran`);
    // Events recorded together with the last status change may trail it: one last look.
    for (const e of byTime((await rest.events.listAll({ namespace, fieldSelector })).items)) show(e);
    if (!outcome.ok) throw new CliError(outcome.message);
    print(outcome.message);
  } finally {
    abort.abort();
    clearTimeout(timer);
    await pulls.settle();
  }
}
