// Pinned network namespaces: a namespace bind-mounted at /run/netns/<name>, as `ip netns add`
// makes them, so it lives on with no process inside (the role a pause container plays
// elsewhere), with lo up. The spawn companion makes and removes them itself (a few system
// calls instead of `ip` and the loopback CNI plugin); without it, `ip` does. Names are unique
// per sandbox, so several skiff runtimes can share a machine.
import fs from 'node:fs';
import { RuntimeError } from '../cri.js';
import { runCommand, runOperation } from '../oci/command.js';

export const NETNS_DIR = '/run/netns';

export const netnsPath = (name: string) => `${NETNS_DIR}/${name}`;

/** A new pinned namespace with lo up; its path. */
export async function createNetns(name: string): Promise<string> {
  const p = netnsPath(name);
  const r = await runOperation('netns-add', [p], async () => {
    const added = await runCommand('ip', ['netns', 'add', name]);
    return added.code === 0 ? runCommand('ip', ['-n', name, 'link', 'set', 'lo', 'up']) : added;
  });
  if (r.code !== 0) throw new RuntimeError('Internal', `network namespace ${name}: ${r.stderr.trim()}`);
  return p;
}

/**
 * True when the path is a pinned namespace (an nsfs bind mount), false for the empty
 * placeholder file left when its maker is killed before it mounts.
 */
export function isNetnsMounted(p: string): boolean {
  try {
    return fs.statSync(p).dev !== fs.statSync(NETNS_DIR).dev;
  } catch {
    return false;
  }
}

/** Removes the namespace (idempotent), or the placeholder of one whose creation was cut short. */
export async function deleteNetns(name: string): Promise<void> {
  const p = netnsPath(name);
  if (!fs.existsSync(p)) return;
  if (!isNetnsMounted(p)) {
    fs.rmSync(p, { force: true });
    return;
  }
  const r = await runOperation('netns-del', [p], () => runCommand('ip', ['netns', 'delete', name]));
  if (r.code !== 0 && fs.existsSync(p)) throw new RuntimeError('Internal', `removing network namespace ${name}: ${r.stderr.trim()}`);
}

export function netnsExists(name: string): boolean {
  return fs.existsSync(netnsPath(name));
}
