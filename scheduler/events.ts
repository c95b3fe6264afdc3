// Events about pods, as kube-scheduler writes them (Scheduled, FailedScheduling), sent in the
// background so a slow API server never stalls scheduling. A repeat of the same event for the
// same pod bumps the count of the existing Event instead of creating another (client-go's
// correlator does the same), and the backlog is capped: events are informative, not state.
import type { Logger } from 'pino';
import type { Event, Pod } from '../api/types/core.js';
import type { RestClient } from '../client/rest.js';

export interface EventRecorderOptions {
  client: RestClient;
  component?: string;
  instance?: string;
  logger?: Logger;
  concurrency?: number;
  maxBacklog?: number;
}

interface Pending {
  pod: Pod;
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  message: string;
}

let seq = 0;

/** Kubernetes names events <object>.<hex nanoseconds>; the sequence keeps them unique within a process. */
function eventName(pod: Pod): string {
  const nanos = BigInt(Date.now()) * 1_000_000n + BigInt(seq++ % 1_000_000);
  return `${pod.metadata.name ?? 'pod'}.${nanos.toString(16)}`;
}

export class EventRecorder {
  readonly #client: RestClient;
  readonly #component: string;
  readonly #instance: string;
  readonly #log: Logger | undefined;
  readonly #concurrency: number;
  readonly #maxBacklog: number;
  readonly #backlog: Pending[] = [];
  /** uid|reason|message -> the Event we created, to bump its count */
  readonly #seen = new Map<string, { name: string; namespace: string; count: number; first: string }>();
  #running = 0;
  #idle: (() => void)[] = [];
  dropped = 0;

  constructor(o: EventRecorderOptions) {
    this.#client = o.client;
    this.#component = o.component ?? 'default-scheduler';
    this.#instance = o.instance ?? this.#component;
    this.#log = o.logger;
    this.#concurrency = o.concurrency ?? 8;
    this.#maxBacklog = o.maxBacklog ?? 20_000;
  }

  record(pod: Pod, type: 'Normal' | 'Warning', reason: string, action: string, message: string): void {
    if (this.#backlog.length >= this.#maxBacklog) {
      this.#backlog.shift();
      this.dropped++;
    }
    this.#backlog.push({ pod, type, reason, action, message });
    this.#pump();
  }

  /** Resolves once every recorded event has been sent (or failed). */
  async flush(): Promise<void> {
    if (this.#running === 0 && this.#backlog.length === 0) return;
    await new Promise<void>((r) => this.#idle.push(r));
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#backlog.length > 0) {
      const p = this.#backlog.shift() as Pending;
      this.#running++;
      void this.#send(p).finally(() => {
        this.#running--;
        this.#pump();
        if (this.#running === 0 && this.#backlog.length === 0) {
          const idle = this.#idle;
          this.#idle = [];
          for (const r of idle) r();
        }
      });
    }
  }

  async #send(p: Pending): Promise<void> {
    const namespace = p.pod.metadata.namespace ?? 'default';
    const now = new Date().toISOString();
    const key = `${p.pod.metadata.uid ?? ''}|${p.reason}|${p.message}`;
    const prior = this.#seen.get(key);
    try {
      if (prior) {
        prior.count++;
        await this.#client.events.patch(prior.name, { count: prior.count, lastTimestamp: now }, { namespace: prior.namespace });
        return;
      }
      const ev: Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: eventName(p.pod), namespace },
        involvedObject: {
          apiVersion: 'v1',
          kind: 'Pod',
          namespace,
          name: p.pod.metadata.name,
          uid: p.pod.metadata.uid,
          resourceVersion: p.pod.metadata.resourceVersion,
        },
        reason: p.reason,
        message: p.message,
        type: p.type,
        action: p.action,
        source: { component: this.#component },
        reportingComponent: this.#component,
        reportingInstance: this.#instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      const created = await this.#client.events.create(ev, { namespace });
      // Only repeats can be aggregated, and only Warning events repeat in practice.
      if (p.type === 'Warning') {
        if (this.#seen.size > 10_000) this.#seen.clear();
        this.#seen.set(key, { name: created.metadata.name ?? '', namespace, count: 1, first: now });
      }
    } catch (err) {
      if (prior) this.#seen.delete(key);
      this.#log?.warn({ err, reason: p.reason, pod: `${namespace}/${p.pod.metadata.name}` }, 'could not write event');
    }
  }
}
