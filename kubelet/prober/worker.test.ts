import { describe, expect, it } from 'vitest';
import type { Container, Probe } from '../../api/types/core.js';
import { FakeClock } from '../clock.js';
import { makePod } from '../testing/builders.js';
import { FakeRuntime } from '../../runtime/fake/fake-runtime.js';
import { ResultsManager } from './results.js';
import type { ProbeOutcome, ProbeType } from './types.js';
import { ProbeWorker, type ContainerView } from './worker.js';

function setup(type: ProbeType, probe: Probe, extra: Partial<Container> = {}) {
  const clock = new FakeClock();
  const container: Container = { name: 'app', image: 'x', ...extra };
  const pod = makePod({ containers: [container] });
  const results = new ResultsManager();
  const startup = new ResultsManager();
  let view: ContainerView | undefined = { id: 'c1', running: true, terminated: false, startedAt: clock.now() };
  let next: ProbeOutcome = { result: 'Success', output: '' };
  const probed: string[] = [];
  const failures: string[] = [];
  const w = new ProbeWorker({
    pod,
    container,
    type,
    probe,
    runtime: new FakeRuntime(),
    results,
    started: (id) => startup.get(id) === 'Success',
    view: () => view,
    podIP: () => '10.0.0.1',
    clock,
    onFailure: (o) => failures.push(o.output),
    run: async (_p, t) => {
      probed.push(t.containerId);
      return next;
    },
  });
  return {
    w,
    clock,
    results,
    startup,
    probed,
    failures,
    setView: (v: ContainerView | undefined) => (view = v),
    respond: (r: ProbeOutcome['result'], output = '') => (next = { result: r, output }),
  };
}

describe('ProbeWorker', () => {
  it('readiness starts as Failure and turns Success after successThreshold successes', async () => {
    const t = setup('readiness', { exec: { command: ['x'] }, successThreshold: 2 });
    await t.w.tick();
    expect(t.results.get('c1')).toBe('Failure');
    await t.w.tick();
    expect(t.results.get('c1')).toBe('Success');
  });

  it('liveness starts as Success and turns Failure only after failureThreshold failures, then holds', async () => {
    const t = setup('liveness', { exec: { command: ['x'] }, failureThreshold: 3 });
    t.respond('Failure', 'boom');
    await t.w.tick();
    await t.w.tick();
    expect(t.results.get('c1')).toBe('Success');
    await t.w.tick();
    expect(t.results.get('c1')).toBe('Failure');
    expect(t.failures).toEqual(['boom', 'boom', 'boom']);
    await t.w.tick();
    expect(t.probed).toHaveLength(3);
    // A new instance of the container lifts the hold and starts from Success again.
    t.setView({ id: 'c2', running: true, terminated: false, startedAt: t.clock.now() });
    t.respond('Success');
    await t.w.tick();
    expect(t.results.get('c2')).toBe('Success');
    expect(t.results.get('c1')).toBeUndefined();
    expect(t.probed.at(-1)).toBe('c2');
  });

  it('a success in between restarts the failure count', async () => {
    const t = setup('liveness', { exec: { command: ['x'] }, failureThreshold: 2 });
    t.respond('Failure');
    await t.w.tick();
    t.respond('Success');
    await t.w.tick();
    t.respond('Failure');
    await t.w.tick();
    expect(t.results.get('c1')).toBe('Success');
    await t.w.tick();
    expect(t.results.get('c1')).toBe('Failure');
  });

  it('does not probe before initialDelaySeconds have passed since the container started', async () => {
    const t = setup('liveness', { exec: { command: ['x'] }, initialDelaySeconds: 5 });
    await t.w.tick();
    t.clock.advance(4_999);
    await t.w.tick();
    expect(t.probed).toHaveLength(0);
    t.clock.advance(1);
    await t.w.tick();
    expect(t.probed).toHaveLength(1);
  });

  it('liveness waits for the startup probe; the startup worker stops once started', async () => {
    const live = setup('liveness', { exec: { command: ['x'] } }, { startupProbe: { exec: { command: ['s'] } } });
    await live.w.tick();
    expect(live.probed).toHaveLength(0);
    live.startup.set('c1', 'Success', 'uid-web');
    await live.w.tick();
    expect(live.probed).toHaveLength(1);

    const st = setup('startup', { exec: { command: ['s'] } }, { startupProbe: { exec: { command: ['s'] } } });
    await st.w.tick();
    expect(st.results.get('c1')).toBe('Success');
    expect(st.probed).toHaveLength(1);
  });

  it('a container that is not running reads as not ready', async () => {
    const t = setup('readiness', { exec: { command: ['x'] } });
    await t.w.tick();
    await t.w.tick();
    expect(t.results.get('c1')).toBe('Success');
    t.setView({ id: 'c1', running: false, terminated: true, startedAt: 0 });
    expect(await t.w.tick()).toBe(true);
    expect(t.results.get('c1')).toBe('Failure');
  });
});
