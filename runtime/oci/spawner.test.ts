import { readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { isRuntimeError } from '../cri.js';
import { isAlive } from '../process-alive.js';
import { runCommand } from './command.js';
import { connectViaCompanion } from './spawner.js';

describe('commands through the spawn companion', () => {
  it('starts commands from the companion, not from this process, with their output and exit code', async () => {
    const r = await runCommand('sh', ['-c', 'echo $PPID; echo oops >&2; exit 3']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('oops\n');
    const parent = Number(r.stdout.trim());
    expect(parent).toBeGreaterThan(0);
    expect(parent).not.toBe(process.pid);
    // the compiled companion (dist/bin/skiff-spawn), not a fallback
    expect(readlinkSync(`/proc/${parent}/exe`)).toMatch(/\/dist\/bin\/skiff-spawn$/);
    // the same companion serves the next command
    expect(Number((await runCommand('sh', ['-c', 'echo $PPID'])).stdout.trim())).toBe(parent);
  });

  it('passes input (also input known only later), environment, and many commands at once', async () => {
    expect((await runCommand('cat', [], { input: 'given\n' })).stdout).toBe('given\n');
    const later = new Promise<string>((r) => setTimeout(() => r('later\n'), 50));
    expect((await runCommand('cat', [], { input: later })).stdout).toBe('later\n');
    expect((await runCommand('sh', ['-c', 'echo $ONLY_HERE'], { env: { PATH: process.env.PATH, ONLY_HERE: 'yes' } })).stdout).toBe('yes\n');
    const many = await Promise.all(Array.from({ length: 40 }, (_, i) => runCommand('sh', ['-c', `echo ${i}`])));
    expect(many.map((r) => Number(r.stdout))).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('kills at the timeout, kills when the input fails, and reports a missing binary', async () => {
    const slow = await runCommand('sleep', ['30'], { timeoutMs: 100 });
    expect(slow.code).not.toBe(0);
    const err = await runCommand('cat', [], { input: Promise.reject(new Error('no input for you')) }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('no input for you');
    const missing = await runCommand('/nonexistent/skiff-binary', []).catch((e: unknown) => e);
    expect(isRuntimeError(missing, 'Unavailable')).toBe(true);
    expect((missing as Error).message).toMatch(/cannot run \/nonexistent\/skiff-binary/);
  });

  it('lets an idle companion go and starts a new one for the next command', async () => {
    process.env.SKIFF_SPAWN_HELPER_IDLE_MS = '100';
    try {
      const first = Number((await runCommand('sh', ['-c', 'echo $PPID'])).stdout.trim());
      await new Promise((r) => setTimeout(r, 500));
      expect(isAlive(first)).toBe(false);
      const second = Number((await runCommand('sh', ['-c', 'echo $PPID'])).stdout.trim());
      expect(second).not.toBe(first);
      expect(second).not.toBe(process.pid);
    } finally {
      delete process.env.SKIFF_SPAWN_HELPER_IDLE_MS;
    }
  });

  it('hands back a socket connected to localhost:PORT (here in its own namespace), and says why one fails', async () => {
    const server = net.createServer((c) => c.end('from the server'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const sockets = await Promise.all(Array.from({ length: 10 }, () => connectViaCompanion(undefined, port)));
      const read = (s: net.Socket | undefined) => new Promise<string>((r) => s?.once('data', (d: Buffer) => r(d.toString())));
      expect(await Promise.all(sockets.map(read))).toEqual(Array(10).fill('from the server'));
      // The companion closed its copies: nothing of the connections is left in it.
      const companion = Number((await runCommand('sh', ['-c', 'echo $PPID'])).stdout.trim());
      const sockFds = readdirSync(`/proc/${companion}/fd`).filter((fd) => Number(fd) > 2 && /^socket:/.test(readlinkSync(`/proc/${companion}/fd/${fd}`)));
      expect(sockFds).toHaveLength(1); // beyond its stdio, only the IPC channel
      for (const s of sockets) s?.destroy();
    } finally {
      server.close();
    }
    const refused = await connectViaCompanion(undefined, port)?.catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/connect to localhost:\d+ .*Connection refused/);
    const noNs = await connectViaCompanion('/nonexistent/netns', port)?.catch((e: unknown) => e);
    expect((noNs as Error).message).toMatch(/open \/nonexistent\/netns/);
  });

  it('starts commands directly when switched off', async () => {
    process.env.SKIFF_SPAWN_HELPER = '0';
    try {
      expect(Number((await runCommand('sh', ['-c', 'echo $PPID'])).stdout.trim())).toBe(process.pid);
    } finally {
      delete process.env.SKIFF_SPAWN_HELPER;
    }
  });
});
