// Writes core/v1 Events through the API server for every component (kubelet, scheduler), with
// client-go's EventCorrelator (tools/record/events_cache.go) in front:
//  - aggregation: 10 events within 10 minutes with the same source, object, type and reason
//    but different messages become one Event "(combined from similar events): <msg>";
//  - dedup: an identical event (same source, object, type, reason, message) seen again within
//    10 minutes bumps count and lastTimestamp of the existing Event (PATCH) instead of a new one;
//  - spam filter: a token bucket per source+object (burst 25, one more every 5 minutes)
//    drops what goes beyond it.
// Writes go out in the background (events are informative, never worth stalling a sync),
// in order per Event object, and a repeat still waiting to be sent replaces the older write.
import { isApiError } from '../api/errors.js';
import type { Event, EventSource, ObjectReference } from '../api/types/core.js';
import { Lru } from './lru.js';
import type { RestClient } from './rest.js';
import { metaTime } from '../api/time.js';

export type EventType = 'Normal' | 'Warning';

/** What the recorder needs of the API: create and merge-patch Events (RestClient.events). */
export interface EventSink {
  create(ev: Event, opts: { namespace: string }): Promise<Event>;
  patch(name: string, patch: unknown, opts: { namespace: string }): Promise<Event>;
}

export interface CorrelatorOptions {
  /** ms since epoch (tests move it by hand). */
  now?: () => number;
  /** Window of aggregation and dedup (client-go: 600 s). */
  maxIntervalMs?: number;
  /** Distinct messages before similar events are combined (client-go: 10). */
  maxSimilarEvents?: number;
  spamBurst?: number;
  /** One token back per this many ms (client-go: qps 1/300). */
  spamRefillMs?: number;
  /** Entries kept in each cache (client-go: 4096, LRU). */
  cacheSize?: number;
}

export interface EventRecorderOptions extends CorrelatorOptions {
  client: RestClient | { events: EventSink };
  source: EventSource;
  /** reportingInstance (default: source.host or component). */
  instance?: string;
  logger?: { warn(obj: object, msg: string): void };
  /** Writes in flight at once (default 8). */
  concurrency?: number;
  /** Writes waiting beyond this are dropped, oldest first (default 20000). */
  maxBacklog?: number;
  /**
   * Writes started per second at most, in bursts of up to `burst` (a token bucket, as
   * client-go's rate-limited event client; the kubelet's --event-qps 50 / --event-burst 100).
   * Writes beyond it wait their turn, none is dropped. Default: no limit.
   */
  qps?: number;
  burst?: number;
}

/** The outcome of correlating one event: skip it, create it, or patch an Event already written. */
export type Correlated = { skip: true } | { skip: false; event: Event; patch?: { count: number; lastTimestamp: string; message: string } };

function objectKey(o: ObjectReference): string {
  return [o.kind, o.namespace, o.name, o.uid, o.apiVersion].join('\u0000');
}

// Event times have whole seconds, and events come in bursts: the last second's text is kept.
let isoSecond = NaN;
let isoText = '';
const iso = (ms: number): string => {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoText = metaTime(second * 1000);
  }
  return isoText;
};

/** client-go's EventCorrelator: aggregate, then observe (dedup), then the spam filter. */
export class EventCorrelator {
  readonly #now: () => number;
  readonly #maxInterval: number;
  readonly #maxSimilar: number;
  readonly #burst: number;
  readonly #refill: number;
  readonly #similar: Lru<{ messages: Set<string>; last: number }>;
  readonly #seen: Lru<{ name: string; count: number; first: string; last: number }>;
  readonly #buckets: Lru<{ tokens: number; at: number }>;

  constructor(o: CorrelatorOptions = {}) {
    this.#now = o.now ?? Date.now;
    this.#maxInterval = o.maxIntervalMs ?? 600_000;
    this.#maxSimilar = o.maxSimilarEvents ?? 10;
    this.#burst = o.spamBurst ?? 25;
    this.#refill = o.spamRefillMs ?? 300_000;
    const size = o.cacheSize ?? 4096;
    this.#similar = new Lru(size);
    this.#seen = new Lru(size);
    this.#buckets = new Lru(size);
  }

  correlate(ev: Event): Correlated {
    const now = this.#now();
    const src = [ev.source?.component, ev.source?.host].join('\u0000');
    const obj = objectKey(ev.involvedObject);
    // Aggregation: the key leaves out the message; past maxSimilar distinct messages the
    // event is rewritten, and all later ones share one Event keyed without the message.
    const aggKey = [src, obj, ev.type, ev.reason, ev.reportingComponent, ev.reportingInstance].join('\u0001');
    let rec = this.#similar.get(aggKey);
    if (!rec || now - rec.last > this.#maxInterval) rec = { messages: new Set(), last: now };
    rec.messages.add(ev.message ?? '');
    rec.last = now;
    this.#similar.touch(aggKey, rec);
    let key = `${aggKey}\u0001${ev.message ?? ''}`;
    let event = ev;
    if (rec.messages.size >= this.#maxSimilar) {
      // client-go pops one message so the set stays bounded and keeps combining.
      rec.messages.delete(rec.messages.values().next().value as string);
      event = { ...ev, message: `(combined from similar events): ${ev.message ?? ''}` };
      key = aggKey;
    }

    // Spam filter on every event, repeats included.
    const bucketKey = `${src}\u0001${obj}`;
    const b = this.#buckets.get(bucketKey) ?? { tokens: this.#burst, at: now };
    b.tokens = Math.min(this.#burst, b.tokens + (now - b.at) / this.#refill);
    b.at = now;
    this.#buckets.touch(bucketKey, b);
    if (b.tokens < 1) return { skip: true };
    b.tokens -= 1;

    // Dedup: a repeat within the window becomes a patch of the Event already written.
    const prior = this.#seen.get(key);
    if (prior && now - prior.last <= this.#maxInterval) {
      prior.count++;
      prior.last = now;
      this.#seen.touch(key, prior);
      const lastTimestamp = iso(now);
      const merged: Event = { ...event, metadata: { ...event.metadata, name: prior.name }, count: prior.count, firstTimestamp: prior.first, lastTimestamp };
      return { skip: false, event: merged, patch: { count: prior.count, lastTimestamp, message: event.message ?? '' } };
    }
    this.#seen.touch(key, { name: event.metadata.name ?? '', count: event.count ?? 1, first: event.firstTimestamp ?? iso(now), last: now });
    return { skip: false, event };
  }

  /** The Event a key was written as is gone (expired in the API server): the next repeat creates anew. */
  forget(name: string): void {
    for (const [k, v] of this.#seen) if (v.name === name) this.#seen.delete(k);
  }
}

interface Write {
  ev: Event;
  namespace: string;
  patch?: { count: number; lastTimestamp: string; message: string };
}

let seq = 0;

export class EventRecorder {
  readonly correlator: EventCorrelator;
  readonly #sink: EventSink;
  readonly #source: EventSource;
  readonly #instance: string;
  readonly #now: () => number;
  readonly #log: EventRecorderOptions['logger'];
  readonly #concurrency: number;
  readonly #maxBacklog: number;
  /** Event name -> writes not yet started, in order (a newer patch replaces a queued one). */
  readonly #queued = new Map<string, Write[]>();
  /** Names with a write in flight: the next write for a name waits for it. */
  readonly #busy = new Set<string>();
  #backlog = 0;
  #running = 0;
  #idle: (() => void)[] = [];
  readonly #qps: number | undefined;
  readonly #burst: number;
  #tokens: number;
  #tokensAt: number;
  /** Pumps again when the next token is due (set while writes wait for one). */
  #tokenTimer: NodeJS.Timeout | undefined;
  /** Writes dropped because the backlog was full. */
  dropped = 0;
  /** Events the spam filter dropped. */
  filtered = 0;

  constructor(o: EventRecorderOptions) {
    this.correlator = new EventCorrelator(o);
    this.#sink = o.client.events;
    this.#source = o.source;
    this.#instance = o.instance ?? o.source.host ?? o.source.component ?? '';
    this.#now = o.now ?? Date.now;
    this.#log = o.logger;
    this.#concurrency = o.concurrency ?? 8;
    this.#maxBacklog = o.maxBacklog ?? 20_000;
    this.#qps = o.qps !== undefined && o.qps > 0 ? o.qps : undefined;
    this.#burst = Math.max(1, o.burst ?? 1);
    this.#tokens = this.#burst;
    this.#tokensAt = this.#now();
  }

  /** Takes a token for one write; without one, arranges a pump for when it is due. */
  #takeToken(): boolean {
    const qps = this.#qps;
    if (qps === undefined) return true;
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#tokensAt) * qps) / 1000);
    this.#tokensAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    if (!this.#tokenTimer) {
      this.#tokenTimer = setTimeout(
        () => {
          this.#tokenTimer = undefined;
          this.#pump();
        },
        Math.ceil(((1 - this.#tokens) * 1000) / qps),
      );
      // Waiting events keep a process alive only while someone waits for them (flush).
      if (this.#idle.length === 0) this.#tokenTimer.unref();
    }
    return false;
  }

  /** Records an event about `ref`; objects without a namespace (Nodes) get their events in "default". */
  event(ref: ObjectReference, type: EventType, reason: string, message: string, action?: string): void {
    const now = this.#now();
    const ts = iso(now);
    const namespace = ref.namespace || 'default';
    // Kubernetes names events <object>.<hex nanoseconds>; the sequence keeps them unique within a process.
    const nanos = BigInt(now) * 1_000_000n + BigInt(seq++ % 1_000_000);
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${ref.name ?? 'object'}.${nanos.toString(16)}`, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      ...(action ? { action } : {}),
      source: this.#source,
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      reportingComponent: this.#source.component ?? '',
      reportingInstance: this.#instance,
    };
    const r = this.correlator.correlate(ev);
    if (r.skip) {
      this.filtered++;
      return;
    }
    this.#enqueue({ ev: r.event, namespace, ...(r.patch ? { patch: r.patch } : {}) });
  }

  #enqueue(w: Write): void {
    const name = w.ev.metadata.name ?? '';
    const q = this.#queued.get(name) ?? [];
    const last = q[q.length - 1];
    if (w.patch && last) {
      // Not sent yet: the newer count and timestamp supersede it (a queued create keeps its place).
      q[q.length - 1] = last.patch ? w : { ...last, ev: { ...last.ev, ...w.patch } };
    } else {
      if (this.#backlog >= this.#maxBacklog) {
        this.dropped++;
        return;
      }
      q.push(w);
      this.#backlog++;
    }
    this.#queued.set(name, q);
    this.#pump();
  }

  #pump(): void {
    for (const [name, q] of this.#queued) {
      if (this.#running >= this.#concurrency) return;
      if (this.#busy.has(name)) continue;
      if (!this.#takeToken()) return;
      const w = q.shift() as Write;
      if (q.length === 0) this.#queued.delete(name);
      this.#backlog--;
      this.#busy.add(name);
      this.#running++;
      void this.#send(w).finally(() => {
        this.#busy.delete(name);
        this.#running--;
        this.#pump();
        if (this.#running === 0 && this.#queued.size === 0) {
          const idle = this.#idle;
          this.#idle = [];
          for (const r of idle) r();
        }
      });
    }
  }

  async #send(w: Write): Promise<void> {
    try {
      if (w.patch) {
        try {
          await this.#sink.patch(w.ev.metadata.name ?? '', w.patch, { namespace: w.namespace });
          return;
        } catch (e) {
          // Gone (expired) or never written: write it whole, as client-go falls back to create.
          if (!isApiError(e, 'NotFound')) throw e;
        }
      }
      await this.#sink.create(w.ev, { namespace: w.namespace });
    } catch (err) {
      this.correlator.forget(w.ev.metadata.name ?? '');
      this.#log?.warn({ err, reason: w.ev.reason, object: `${w.namespace}/${w.ev.involvedObject.name ?? ''}` }, 'could not write event');
    }
  }

  /** Resolves once every recorded event has been sent (or failed). */
  async flush(): Promise<void> {
    if (this.#running === 0 && this.#queued.size === 0) return;
    const done = new Promise<void>((r) => this.#idle.push(r));
    this.#tokenTimer?.ref();
    await done;
  }
}
