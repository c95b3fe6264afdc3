import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import type { Event } from '../api/types/core.js';
import { EventCorrelator, EventRecorder, type EventSink } from './event-recorder.js';

/** An in-memory Events API: what the recorder wrote, as the API server would hold it. */
class MemorySink implements EventSink {
  readonly events = new Map<string, Event>();
  readonly calls: string[] = [];
  readonly namespaces: string[] = [];
  async create(ev: Event, opts: { namespace: string }): Promise<Event> {
    this.calls.push(`create ${ev.metadata.name}`);
    this.namespaces.push(opts.namespace);
    this.events.set(ev.metadata.name ?? '', structuredClone(ev));
    return ev;
  }
  async patch(name: string, patch: unknown): Promise<Event> {
    this.calls.push(`patch ${name}`);
    const cur = this.events.get(name);
    if (!cur) throw new ApiError(404, 'NotFound', `events "${name}" not found`);
    Object.assign(cur, patch);
    return cur;
  }
}

function clock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const pod = { apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: 'web', uid: 'u1' };

function setup() {
  const c = clock();
  const sink = new MemorySink();
  const rec = new EventRecorder({ client: { events: sink }, source: { component: 'kubelet', host: 'n1' }, now: c.now });
  return { c, sink, rec };
}

describe('EventRecorder', () => {
  it('writes one Event for identical repeats within 10 minutes, with count and lastTimestamp', async () => {
    const { c, sink, rec } = setup();
    for (let i = 0; i < 5; i++) {
      rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container', undefined);
      await rec.flush();
      c.advance(30_000);
    }
    expect(sink.events.size).toBe(1);
    const [ev] = sink.events.values();
    expect(ev).toMatchObject({ count: 5, reason: 'BackOff', type: 'Warning', source: { component: 'kubelet', host: 'n1' }, involvedObject: pod });
    expect(ev.firstTimestamp).toBe('2026-01-01T00:00:00Z');
    expect(ev.lastTimestamp).toBe('2026-01-01T00:02:00Z');
    expect(sink.calls.filter((x) => x.startsWith('patch'))).toHaveLength(4);
  });

  it('starts a new Event when the repeat comes after the 10-minute window', async () => {
    const { c, sink, rec } = setup();
    rec.event(pod, 'Normal', 'Pulled', 'pulled');
    c.advance(11 * 60_000);
    rec.event(pod, 'Normal', 'Pulled', 'pulled');
    await rec.flush();
    expect([...sink.events.values()].map((e) => e.count)).toEqual([1, 1]);
  });

  it('keeps different objects, reasons and messages apart', async () => {
    const { sink, rec } = setup();
    rec.event(pod, 'Normal', 'Pulled', 'a');
    rec.event({ ...pod, name: 'other', uid: 'u2' }, 'Normal', 'Pulled', 'a');
    rec.event(pod, 'Normal', 'Created', 'a');
    rec.event(pod, 'Normal', 'Pulled', 'b');
    await rec.flush();
    expect(sink.events.size).toBe(4);
  });

  it('repeats recorded while the create is in flight end up as the count of that Event', async () => {
    const { sink, rec } = setup();
    for (let i = 0; i < 7; i++) rec.event(pod, 'Warning', 'Unhealthy', 'Liveness probe failed');
    await rec.flush();
    expect(sink.events.size).toBe(1);
    expect([...sink.events.values()][0].count).toBe(7);
  });

  it('combines 10 similar events (other messages) into one "(combined from similar events)" Event', async () => {
    const { sink, rec } = setup();
    for (let i = 0; i < 12; i++) rec.event(pod, 'Warning', 'FailedMount', `volume v${i} not ready`);
    await rec.flush();
    const all = [...sink.events.values()];
    // Nine stand alone; the 10th, 11th and 12th share one combined Event.
    expect(all).toHaveLength(10);
    const combined = all.filter((e) => e.message?.startsWith('(combined from similar events): '));
    expect(combined).toHaveLength(1);
    expect(combined[0]).toMatchObject({ count: 3, message: '(combined from similar events): volume v11 not ready' });
  });

  it('drops events past a burst of 25 per source+object and lets one through per 5 minutes', async () => {
    const { c, sink, rec } = setup();
    for (let i = 0; i < 40; i++) rec.event(pod, 'Normal', `R${i % 5}`, `m${i}`);
    await rec.flush();
    const total = () => [...sink.events.values()].reduce((n, e) => n + (e.count ?? 0), 0);
    expect(total()).toBe(25);
    expect(rec.filtered).toBe(15);
    // Another object has its own bucket.
    rec.event({ ...pod, name: 'other', uid: 'u2' }, 'Normal', 'Pulled', 'x');
    rec.event(pod, 'Normal', 'R0', 'm0');
    await rec.flush();
    expect(total()).toBe(26);
    c.advance(5 * 60_000);
    rec.event(pod, 'Normal', 'R0', 'm0');
    rec.event(pod, 'Normal', 'R0', 'm0');
    await rec.flush();
    expect(total()).toBe(27);
  });

  it('creates the Event again when the one it would patch is gone', async () => {
    const { sink, rec } = setup();
    rec.event(pod, 'Warning', 'BackOff', 'x');
    await rec.flush();
    sink.events.clear();
    rec.event(pod, 'Warning', 'BackOff', 'x');
    await rec.flush();
    expect([...sink.events.values()].map((e) => e.count)).toEqual([2]);
  });

  it('with qps/burst, writes past the burst wait for tokens and none is dropped', async () => {
    const c = clock();
    const sink = new MemorySink();
    const rec = new EventRecorder({ client: { events: sink }, source: { component: 'kubelet', host: 'n1' }, now: c.now, qps: 50, burst: 2 });
    for (let i = 0; i < 5; i++) rec.event({ ...pod, name: `web-${i}`, uid: `u-${i}` }, 'Normal', 'Started', 'Started container app');
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.calls).toHaveLength(2); // the burst; the clock has not moved, so no token came back
    c.advance(20); // one token at 50 per second
    await new Promise((r) => setTimeout(r, 100));
    expect(sink.calls).toHaveLength(3);
    c.advance(1000);
    await rec.flush();
    expect(sink.calls).toHaveLength(5);
    expect(rec.dropped).toBe(0);
  });

  it('puts events of objects without a namespace (Nodes) in "default"', async () => {
    const { sink, rec } = setup();
    rec.event({ kind: 'Node', name: 'n1', uid: 'n1' }, 'Warning', 'ImageGCFailed', 'x');
    await rec.flush();
    expect(sink.namespaces).toEqual(['default']);
  });
});

describe('EventCorrelator', () => {
  it('returns a patch with the bumped count for a repeat', () => {
    const c = clock();
    const cor = new EventCorrelator({ now: c.now });
    const ev: Event = { metadata: { name: 'web.1', namespace: 'ns' }, involvedObject: pod, reason: 'BackOff', message: 'm', type: 'Warning', source: { component: 'kubelet' }, count: 1 };
    expect(cor.correlate(ev)).toEqual({ skip: false, event: ev });
    c.advance(1000);
    const again = cor.correlate({ ...ev, metadata: { name: 'web.2', namespace: 'ns' } });
    expect(again).toMatchObject({ skip: false, event: { metadata: { name: 'web.1' }, count: 2 }, patch: { count: 2, lastTimestamp: '2026-01-01T00:00:01Z', message: 'm' } });
  });
});
