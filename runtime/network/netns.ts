// Pinned network namespaces: `ip netns add` creates the namespace and bind-mounts it at
// /run/netns/<name>, so it lives on with no process inside (the role a pause container plays
// elsewhere). Names are unique per sandbox, so several skiff runtimes can share a machine.
import fs from 'node:fs';
import { RuntimeError } from '../cri.js';
import { runCommand } from '../oci/command.js';

export const NETNS_DIR = '/run/netns';

export const netnsPath = (name: string) => `${NETNS_DIR}/${name}`;

export async function createNetns(name: string): Promise<string> {
  const r = await runCommand('ip', ['netns', 'add', name]);
  if (r.code !== 0 && !/File exists/.test(r.stderr)) throw new RuntimeError('Internal', `ip netns add ${name}: ${r.stderr.trim()}`);
  // lo comes up with the loopback CNI plugin; nothing else to do here.
  return netnsPath(name);
}

/**
 * True when the path is a pinned namespace (an nsfs bind mount), false for the empty
 * placeholder file `ip netns add` leaves when it is killed before it mounts.
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
  const r = await runCommand('ip', ['netns', 'delete', name]);
  if (r.code !== 0 && fs.existsSync(p)) throw new RuntimeError('Internal', `ip netns delete ${name}: ${r.stderr.trim()}`);
}

export function netnsExists(name: string): boolean {
  return fs.existsSync(netnsPath(name));
}
