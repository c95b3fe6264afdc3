// The iptables commands the proxy runs: iptables-save to read, one iptables-restore --noflush
// to write. `prefix` runs them elsewhere (`ip netns exec NAME` in tests); a lab node's agent
// already runs inside its node's network namespace.
import { spawn } from 'node:child_process';
import { cleanupPayload } from './cleanup.js';

export interface Iptables {
  /** iptables-save of the nat and filter tables. */
  save(): Promise<string>;
  restore(payload: string): Promise<void>;
}

/** Runs a command with `input` on stdin; rejects with its stderr when it fails. */
export function runCommand(argv: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new Error(`${argv.join(' ')}: exit ${code}: ${Buffer.concat(err).toString().trim()}`));
    });
    child.stdin.on('error', () => undefined); // the exit code tells
    child.stdin.end(input ?? '');
  });
}

export function iptables(prefix: string[] = []): Iptables {
  return {
    save: async () => (await runCommand([...prefix, 'iptables-save', '-t', 'nat'])) + (await runCommand([...prefix, 'iptables-save', '-t', 'filter'])),
    restore: async (payload) => {
      await runCommand([...prefix, 'iptables-restore', '--noflush', '--wait=10'], payload);
    },
  };
}

/** Removes every chain of `tag` and every jump into one; returns what it did, for `down`'s report. */
export async function removeProxyChains(tag: string, prefix: string[] = []): Promise<string> {
  const ipt = iptables(prefix);
  let save: string;
  try {
    save = await ipt.save();
  } catch (e) {
    return `could not read iptables for the proxy's ${tag}-* chains: ${(e as Error).message}`;
  }
  const payload = cleanupPayload(save, tag);
  if (!payload) return `no proxy chains ${tag}-* to remove`;
  await ipt.restore(payload);
  return `removed the proxy's ${tag}-* iptables chains`;
}
