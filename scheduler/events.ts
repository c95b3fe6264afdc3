// Events about pods, as kube-scheduler writes them (Scheduled, FailedScheduling), through the
// shared recorder (client/event-recorder.ts): sent in the background so a slow API server never
// stalls scheduling, repeats aggregated into one Event's count as client-go's correlator does,
// and the backlog capped: events are informative, not state.
import type { Logger } from 'pino';
import type { Pod } from '../api/types/core.js';
import { EventRecorder as SharedRecorder, type EventSink } from '../client/event-recorder.js';
import type { RestClient } from '../client/rest.js';

export interface EventRecorderOptions {
  client: RestClient;
  component?: string;
  instance?: string;
  logger?: Logger;
  concurrency?: number;
  maxBacklog?: number;
}

export class EventRecorder {
  readonly #shared: SharedRecorder;

  constructor(o: EventRecorderOptions) {
    const component = o.component ?? 'default-scheduler';
    const events = o.client.events;
    // The recorder never reads what a create answers: skip decoding it (one Event per pod bound).
    const sink: EventSink = {
      create: async (ev, opts) => {
        await events.createOnly(ev, opts);
        return ev;
      },
      patch: (name, patch, opts) => events.patch(name, patch, opts),
    };
    this.#shared = new SharedRecorder({
      client: { events: sink },
      source: { component },
      instance: o.instance ?? component,
      logger: o.logger,
      concurrency: o.concurrency,
      maxBacklog: o.maxBacklog,
    });
  }

  /** Writes dropped because the backlog was full. */
  get dropped(): number {
    return this.#shared.dropped;
  }

  record(pod: Pod, type: 'Normal' | 'Warning', reason: string, action: string, message: string): void {
    const namespace = pod.metadata.namespace ?? 'default';
    this.#shared.event(
      { apiVersion: 'v1', kind: 'Pod', namespace, name: pod.metadata.name, uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion },
      type,
      reason,
      message,
      action,
    );
  }

  /** Resolves once every recorded event has been sent (or failed). */
  flush(): Promise<void> {
    return this.#shared.flush();
  }
}
