// What every CRI call of skiff's runtime shares: the directories under the runtime root, the
// OCI runtime and CNI network, the image provider, and the sandbox and container records.
// Records are JSON files in the state dir (state-dir.ts: a tmpfs, since they hold pods' env),
// so a new runtime instance on the same root and state dir re-adopts everything; live state (running, exited, exit code, OOM) is always read
// back from conmon's exit files and the OCI runtime, never trusted from memory.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ContainerConfig, ContainerState, PodSandboxConfig, PodSandboxState } from './cri.js';
import type { ImageProvider } from './image-provider.js';
import type { BridgeOwner } from './network/bridge-owner.js';
import type { CniNetwork, CniResult } from './network/cni.js';
import type { OciRuntime } from './oci/oci-runtime.js';
import type { ResolvedUser } from './oci/user.js';
import { readNumberedJson, writeNumberedJson } from './numbered-json.js';
import { stateDirs, type StateDirs } from './state-dir.js';

export interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  state: PodSandboxState;
  createdAt: number; // ns
  hostname: string;
  /** Pinned netns name (absent on the host network). */
  netnsName?: string;
  netnsPath?: string;
  ip?: string;
  cniResult?: CniResult;
  /** The pod cgroup; `ownCgroup` when skiff made up the path and so removes it. */
  cgroupParent: string;
  ownCgroup: boolean;
  logDirectory: string;
  /** The network the sandbox was attached to: DEL must use the same configuration as ADD. */
  network?: NodeNetwork;
}

/** A node's pod network; kept in `<root>/network.json` so later instances on the root reuse it. */
export interface NodeNetwork {
  bridge: string;
  podCidr: string;
}

export interface ContainerRecord {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  imageId: string;
  imageRef: string;
  stopSignal?: string;
  state: ContainerState;
  createdAt: number; // ns
  startedAt: number; // ns
  finishedAt: number; // ns
  exitCode: number;
  reason: string;
  message: string;
  pid: number;
  conmonPid: number;
  bundle: string;
  cgroupsPath: string;
  logPath: string;
}

/** The state dir's directories (on a tmpfs, state-dir.ts) and the root's own (on disk). */
export interface RuntimeDirs extends StateDirs {
  /** Containers' CRI-format logs, unless the sandbox names its own log directory (the kubelet's). */
  logs: string;
  /** host-local IPAM allocations: addresses and the sandbox IDs holding them, no pod data. */
  ipam: string;
}

export interface RuntimeContext {
  root: string;
  /** Where records, bundles and the OCI runtime's state live (state-dir.ts). */
  stateDir: string;
  dirs: RuntimeDirs;
  images: ImageProvider;
  oci: OciRuntime;
  network: CniNetwork;
  nodeNetwork: NodeNetwork;
  /** Whether the node bridge is this root's to use (network/bridge-owner.ts). */
  bridgeOwner: BridgeOwner;
  /** The CNI network for a (possibly older) configuration. */
  networkFor(n: NodeNetwork | undefined): CniNetwork;
  cgroupParent: string;
  logger: Logger;
  logSizeMax?: number;
  sandboxes: Map<string, SandboxRecord>;
  containers: Map<string, ContainerRecord>;
  locks: Map<string, Promise<unknown>>;
  /** Users resolved per image and request (containers/image-user.ts). */
  imageUsers: Map<string, ResolvedUser>;
}

export function runtimeDirs(root: string, stateDir: string): RuntimeDirs {
  return {
    ...stateDirs(stateDir),
    logs: path.join(root, 'logs'),
    ipam: path.join(root, 'cni'),
  };
}

export const nowNs = () => Date.now() * 1_000_000;

/** The newest whole record in `dir` (meta.<n>.json, see numbered-json.ts), or undefined. */
export function readRecord<T>(dir: string): T | undefined {
  try {
    return readNumberedJson<T>(dir, 'meta');
  } catch {
    // only a record cut short before its first whole write: nothing to adopt
    return undefined;
  }
}

/**
 * Records are small (a few KB) and written on every step of a pod's start (five times per
 * pod). Written with synchronous calls: each is a page-cache write of microseconds, where the
 * async form costs a round trip through libuv's thread pool per call, which on a busy node
 * waits for a CPU each time. No fsync: a write cut short leaves the record before it, and
 * re-adoption takes the newest whole one (numbered-json.ts, also for why not a rename).
 */
function writeRecord(dir: string, value: unknown): void {
  writeNumberedJson(dir, 'meta', value, 2);
}

export async function saveSandbox(ctx: RuntimeContext, rec: SandboxRecord): Promise<void> {
  ctx.sandboxes.set(rec.id, rec);
  writeRecord(path.join(ctx.dirs.sandboxes, rec.id), rec);
}

export async function saveContainer(ctx: RuntimeContext, rec: ContainerRecord): Promise<void> {
  ctx.containers.set(rec.id, rec);
  writeRecord(rec.bundle, rec);
}

function loadDir<T>(dir: string): T[] {
  const out: T[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    // A directory without a whole record (a crash before the first write): nothing to adopt;
    // removal cleans the directory.
    const rec = readRecord<T>(path.join(dir, n));
    if (rec) out.push(rec);
  }
  return out;
}

/** Re-adopts every sandbox and container recorded in the state dir. */
export function loadRecords(ctx: RuntimeContext): void {
  for (const s of loadDir<SandboxRecord>(ctx.dirs.sandboxes)) ctx.sandboxes.set(s.id, s);
  for (const c of loadDir<ContainerRecord>(ctx.dirs.containers)) ctx.containers.set(c.id, c);
}

/** Runs `fn` with no other locked operation on `key` in flight (stop/remove/start races). */
export async function withLock<T>(ctx: RuntimeContext, key: string, fn: () => Promise<T>): Promise<T> {
  const prev = ctx.locks.get(key) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(fn);
  const tail = run.catch(() => undefined);
  ctx.locks.set(key, tail);
  try {
    return await run;
  } finally {
    if (ctx.locks.get(key) === tail) ctx.locks.delete(key);
  }
}

/** Resolves a full ID or a unique prefix (as crictl and docker accept). */
export function resolveId<T>(map: Map<string, T>, idOrPrefix: string): string | undefined {
  if (map.has(idOrPrefix)) return idOrPrefix;
  if (idOrPrefix.length < 3) return undefined;
  const hits = [...map.keys()].filter((k) => k.startsWith(idOrPrefix));
  return hits.length === 1 ? hits[0] : undefined;
}

export function matchesLabels(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
