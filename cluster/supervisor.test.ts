import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Supervisor, type ComponentState } from './supervisor.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForLog(file: string, text: string): Promise<string> {
  for (;;) {
    const log = await readFile(file, 'utf8').catch(() => '');
    if (log.includes(text)) return log;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function nextEvent(sup: Supervisor, ev: 'start' | 'exit'): Promise<ComponentState> {
  return new Promise((resolve) => sup.once(ev, resolve));
}

describe('Supervisor', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(opts: Partial<ConstructorParameters<typeof Supervisor>[0]> = {}) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-sup-'));
    const sup = new Supervisor({ logDir: dir, initialBackoffMs: 20, maxBackoffMs: 80, ...opts });
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    cleanups.push(() => sup.stopAll());
    return { dir, sup };
  }

  it('restarts a component that dies, with its output in its log file', async () => {
    const { sup } = await setup();
    const first = await sup.start({ name: 'flaky', command: 'sh', args: ['-c', 'echo started $$; exec sleep 30'] });
    const pid1 = first.pid!;
    expect(alive(pid1)).toBe(true);
    await waitForLog(first.logFile, `started ${pid1}`);
    const restarted = nextEvent(sup, 'start');
    process.kill(pid1, 'SIGKILL');
    const second = await restarted;
    expect(second.pid).not.toBe(pid1);
    expect(second.restarts).toBe(1);
    expect(alive(second.pid!)).toBe(true);
    const log = await waitForLog(first.logFile, `started ${second.pid}`);
    expect(log).toContain(`started ${pid1}`);
    expect(log).toContain(`started ${second.pid}`);
    expect(log).toMatch(/flaky exited \(code null, signal SIGKILL\)/);
  });

  it('backs off between restarts of a component that keeps crashing', async () => {
    const { sup } = await setup({ initialBackoffMs: 30, maxBackoffMs: 120 });
    const times: number[] = [];
    sup.on('start', () => times.push(Date.now()));
    await sup.start({ name: 'crasher', command: 'sh', args: ['-c', 'exit 3'] });
    while (times.length < 4) await nextEvent(sup, 'start');
    await sup.stopComponent('crasher');
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // Delays are 30, 60, 120 ms: each gap at least its delay, growing.
    expect(gaps[0]).toBeGreaterThanOrEqual(30);
    expect(gaps[2]).toBeGreaterThanOrEqual(120);
    expect(sup.status()).toEqual([]);
  });

  it('stops by PID with SIGTERM, and SIGKILLs what ignores it after the grace period', async () => {
    const { sup } = await setup();
    const polite = await sup.start({ name: 'polite', command: 'sleep', args: ['30'] });
    const stubborn = await sup.start({
      name: 'stubborn',
      command: 'sh',
      args: ['-c', "trap '' TERM; echo ready; while :; do sleep 0.05; done"],
      stopGraceMs: 200,
    });
    await waitForLog(stubborn.logFile, 'ready');
    const exits: ComponentState[] = [];
    sup.on('exit', (s) => exits.push(s));
    await sup.stopAll();
    expect(alive(polite.pid!)).toBe(false);
    expect(alive(stubborn.pid!)).toBe(false);
    // Reverse order: the last started stops first; it needed SIGKILL, the other went on SIGTERM.
    expect(exits.map((e) => [e.name, e.lastExit?.signal])).toEqual([
      ['stubborn', 'SIGKILL'],
      ['polite', 'SIGTERM'],
    ]);
  });

  it('holds a component stopped without restarting it, and releases it again', async () => {
    const { sup } = await setup();
    const first = await sup.start({ name: 'kubelet-2', command: 'sleep', args: ['30'] });
    await sup.hold('kubelet-2');
    expect(alive(first.pid!)).toBe(false);
    await new Promise((r) => setTimeout(r, 100)); // longer than the backoff: no restart happens
    expect(sup.get('kubelet-2')).toMatchObject({ running: false, restarts: 0 });
    expect(sup.isHeld('kubelet-2')).toBe(true);
    const started = nextEvent(sup, 'start');
    sup.release('kubelet-2');
    const again = await started;
    expect(again.pid).not.toBe(first.pid);
    expect(alive(again.pid!)).toBe(true);
  });
});
