// The kubelet's events (Created, Started, Killing, BackOff, Unhealthy, Pulling, Pulled,
// Failed, ...), sent through an injected recorder so the API client plugs in at wiring time
// and tests read them back as plain records.
import type { Pod } from '../api/types/core.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** `fieldPath` points into the pod, e.g. "spec.containers{app}". */
  event(pod: Pod, type: EventType, reason: string, message: string, fieldPath?: string): void;
}

export const discardEvents: EventRecorder = { event: () => {} };

export interface RecordedEvent {
  pod: string;
  type: EventType;
  reason: string;
  message: string;
  fieldPath?: string;
}

/** Keeps every event in memory (tests; and the kubelet's own log). */
export class MemoryEventRecorder implements EventRecorder {
  readonly events: RecordedEvent[] = [];
  event(pod: Pod, type: EventType, reason: string, message: string, fieldPath?: string): void {
    this.events.push({ pod: pod.metadata.name ?? '', type, reason, message, ...(fieldPath ? { fieldPath } : {}) });
  }
  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}

export function containerFieldPath(name: string, init: boolean): string {
  return `${init ? 'spec.initContainers' : 'spec.containers'}{${name}}`;
}
