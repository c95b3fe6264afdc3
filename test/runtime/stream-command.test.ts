// A streaming command started both ways, with the same cases: by the spawn companion (the pipes'
// ends handed over) and by Node's spawn (SKIFF_SPAWN_HELPER=0). Plain commands here; the real
// runtime's exec through it is in test/runtime/streams.test.ts and the CRI contract.
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStreamCommand } from '../../runtime/oci/stream-command.js';
import { eventually } from '../fixtures/eventually.js';

const text = (r: Readable) =>
  new Promise<string>((resolve, reject) => {
    let s = '';
    r.on('data', (d: Buffer) => (s += d.toString()));
    r.once('end', () => resolve(s));
    r.once('error', reject);
  });

const sh = (script: string, stdin = false) => startStreamCommand({ cmd: 'sh', args: ['-c', script], env: process.env, stdin });

const fds = (pid: number | 'self') => readdirSync(`/proc/${pid}/fd`).length;

/** The companion serving this process: the parent of a command it started. */
async function companionPid(): Promise<number> {
  const c = await sh('echo $PPID');
  return Number((await text(c.stdout)).trim());
}

describe.each([
  { how: 'the spawn companion', helper: '1' },
  { how: "Node's spawn", helper: '0' },
])('a streaming command started by $how', ({ helper }) => {
  let saved: { helper?: string; idle?: string };
  beforeAll(() => {
    saved = { helper: process.env.SKIFF_SPAWN_HELPER, idle: process.env.SKIFF_SPAWN_HELPER_IDLE_MS };
    process.env.SKIFF_SPAWN_HELPER = helper;
    // The companion stays up throughout, so descriptors count the same before and after.
    process.env.SKIFF_SPAWN_HELPER_IDLE_MS = '600000';
  });
  afterAll(() => {
    for (const [k, v] of [
      ['SKIFF_SPAWN_HELPER', saved.helper],
      ['SKIFF_SPAWN_HELPER_IDLE_MS', saved.idle],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('is started by the companion, or by this process when it is switched off', async () => {
    const parent = await companionPid();
    if (helper === '0') expect(parent).toBe(process.pid);
    else expect(readlinkSync(`/proc/${parent}/exe`)).toMatch(/\/dist\/bin\/skiff-spawn$/);
  });

  it('keeps stdout and stderr apart, reads stdin until its end, and carries the exit code', async () => {
    const c = await sh('cat; echo to-err >&2; exit 3', true);
    const [out, err] = [text(c.stdout), text(c.stderr)];
    c.stdin?.write('first\n');
    c.stdin?.end('second\n');
    expect(await out).toBe('first\nsecond\n');
    expect(await err).toBe('to-err\n');
    expect(await c.exited).toEqual({ code: 3, signal: null });
  });

  it('carries 4 MiB through stdin and stdout byte for byte', async () => {
    const c = await startStreamCommand({ cmd: 'cat', args: [], env: process.env, stdin: true });
    const chunks: Buffer[] = [];
    c.stdout.on('data', (d: Buffer) => chunks.push(d));
    const ended = new Promise((r) => c.stdout.once('end', r));
    const data = Buffer.alloc(4 << 20, 'skiff-');
    c.stdin?.end(data);
    await ended;
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect((await c.exited).code).toBe(0);
  });

  it('gives a command without stdin /dev/null, and pipes for its output', async () => {
    const c = await sh('readlink /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2');
    const [stdin, stdout, stderr] = (await text(c.stdout)).trim().split('\n');
    expect(stdin).toBe('/dev/null');
    // Node's spawn gives socketpairs, the companion pipes: either is what the runtime passes on.
    expect(stdout).toMatch(helper === '0' ? /^socket:/ : /^pipe:/);
    expect(stderr).toMatch(helper === '0' ? /^socket:/ : /^pipe:/);
    expect(c.stdin).toBeUndefined();
  });

  it('reports a signal, and kill() is SIGKILL', async () => {
    const signalled = await sh('kill -TERM $$');
    void text(signalled.stdout);
    expect(await signalled.exited).toEqual({ code: null, signal: helper === '0' ? 'SIGTERM' : 15 });
    const sleeping = await sh('exec sleep 1000', true);
    sleeping.kill();
    expect(await sleeping.exited).toEqual({ code: null, signal: helper === '0' ? 'SIGKILL' : 9 });
  });

  it('rejects a command that cannot start, saying why', async () => {
    const e = await startStreamCommand({ cmd: '/nonexistent/skiff-binary', args: [], env: process.env, stdin: true }).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/ENOENT/);
  });

  it("takes 10,000 arguments, and refuses a command line past the kernel's limit and goes on serving", async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `a${i}`);
    const c = await startStreamCommand({ cmd: 'sh', args: ['-c', 'echo $# $1 ${10000}', 'sh', ...many], env: process.env, stdin: false });
    expect(await text(c.stdout)).toBe('10000 a0 a9999\n');
    // 20 MiB in one argument: past ARG_MAX for Node's spawn (E2BIG), past the companion's longest line (32 MiB in hex).
    const huge = await startStreamCommand({ cmd: 'true', args: ['x'.repeat(20 << 20)], env: process.env, stdin: false }).catch((e: unknown) => e);
    expect((huge as Error).message).toMatch(helper === '0' ? /E2BIG/ : /longer than/);
    expect(await companionPid()).toBeGreaterThan(0);
  });

  it('leaves no descriptor here or in the companion after 300 commands, 30 at a time', async () => {
    const companion = helper === '0' ? undefined : await companionPid();
    const before = { here: fds('self'), companion: companion && fds(companion) };
    const one = async (i: number) => {
      const c = await sh(i % 3 === 0 ? 'exec sleep 1000' : 'cat; echo done', i % 2 === 0);
      const out = text(c.stdout);
      void text(c.stderr);
      if (i % 3 === 0) c.kill();
      else c.stdin?.end('in\n');
      await c.exited;
      return out;
    };
    for (let i = 0; i < 300; i += 30) await Promise.all(Array.from({ length: 30 }, (_, k) => one(i + k)));
    // Closed sockets leave the descriptor table on the loop's next turns; at most as many as
    // before (a stream of the last test may still have been closing then).
    await eventually(() => fds('self') <= before.here, `this process's descriptors back to ${before.here} (now ${fds('self')})`, 10_000, { intervalMs: 20 });
    if (companion) {
      expect(await companionPid()).toBe(companion);
      expect(fds(companion)).toBe(before.companion);
    }
  });
});

describe("the companion's stream request, read as hostile input", () => {
  it('answers each malformed request with an error, and serves the next one', async () => {
    const program = path.resolve(import.meta.dirname, '../../dist/bin/skiff-spawn');
    const companion = spawn(program, [], { stdio: ['pipe', 'pipe', 'inherit', 'ipc'] });
    try {
      const lines: string[] = [];
      companion.stdout?.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
      const handed: unknown[] = [];
      companion.on('message', (m: unknown, handle: net.Socket | undefined) => {
        handed.push(m);
        handle?.destroy();
      });
      const hex = (s: string) => Buffer.from(s).toString('hex');
      for (const bad of [
        'stream 1',
        'stream 2 1',
        `stream 3 1 ${hex('true')} 99999999999999999999999 x`,
        `stream 4 1 ${hex('true')} -5 0`,
        `stream 5 0 ${hex('true')} 1 ${hex('a')} 9223372036854775807`,
        `stream 6 0 ${hex('true')} 9223372036854775807 0`,
        `stream 7 0 zz 0 0`,
      ])
        companion.stdin?.write(`${bad}\n`);
      companion.stdin?.write(`stream 8 0 ${hex('true')} 0 0\n`);
      await eventually(() => lines.some((l) => l.startsWith('exit 8 ')), 'the valid request served', 10_000);
      const errors = lines.filter((l) => l.startsWith('error ')).map((l) => Number(l.split(' ')[1]));
      expect(errors).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(lines).toContain('exit 8 0 -');
      expect(handed).toEqual([
        { connect: 8, stream: 1 },
        { connect: 8, stream: 2 },
      ]);
    } finally {
      companion.kill('SIGKILL');
    }
  });
});
