// The kubelet's small injected interfaces (PodStatusWriter, EventRecorder) on the REST
// client: status as a merge patch of pods/<name>/status, events as core/v1 Events.
import { randomBytes } from 'node:crypto';
import type { Event, Pod, PodStatus } from '../api/types/core.js';
import type { RestClient } from '../client/rest.js';
import type { EventRecorder, EventType } from './events.js';
import type { PodStatusWriter } from './status/status-manager.js';

const STATUS_KEYS: (keyof PodStatus)[] = [
  'phase',
  'conditions',
  'message',
  'reason',
  'hostIP',
  'hostIPs',
  'podIP',
  'podIPs',
  'startTime',
  'initContainerStatuses',
  'containerStatuses',
  'qosClass',
];

/** A merge patch replaces what it names; keys the kubelet no longer sets are nulled so they go. */
export function statusPatch(uid: string, status: PodStatus): { metadata: { uid: string }; status: Record<string, unknown> } {
  const s: Record<string, unknown> = { ...status };
  for (const k of STATUS_KEYS) if (!(k in s) || s[k] === undefined) s[k] = null;
  return { metadata: { uid }, status: s };
}

export function restStatusWriter(client: RestClient): PodStatusWriter {
  return {
    async writeStatus(namespace, name, uid, status) {
      return client.pods.patchStatus(name, statusPatch(uid, status), { namespace, type: 'merge' });
    },
  };
}

export interface RestEventRecorderOptions {
  client: RestClient;
  nodeName: string;
  onError?: (err: unknown) => void;
  now?: () => number;
}

/** Posts each event without waiting: a lost event must never slow or fail a pod sync. */
export class RestEventRecorder implements EventRecorder {
  readonly #o: RestEventRecorderOptions;
  #pending = new Set<Promise<unknown>>();

  constructor(opts: RestEventRecorderOptions) {
    this.#o = opts;
  }

  event(pod: Pod, type: EventType, reason: string, message: string, fieldPath?: string): void {
    const namespace = pod.metadata.namespace ?? 'default';
    const ts = new Date(this.#o.now?.() ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod.metadata.name ?? 'pod'}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        name: pod.metadata.name,
        namespace,
        uid: pod.metadata.uid,
        ...(fieldPath ? { fieldPath } : {}),
      },
      reason,
      message,
      type,
      source: { component: 'kubelet', host: this.#o.nodeName },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      reportingComponent: 'kubelet',
      reportingInstance: this.#o.nodeName,
    };
    const p = this.#o.client.events
      .create(ev, { namespace })
      .catch((e: unknown) => this.#o.onError?.(e))
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Waits for events in flight (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }
}
