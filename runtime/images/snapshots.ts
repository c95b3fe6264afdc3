// Overlay snapshots (containerd's snapshotter vocabulary): a committed snapshot per layer
// chain, named by its chainID and shared by every image with that chain; an active
// snapshot per container, named by its key, a writable upper over its parent's layers.
// The snapshotter returns mounts and mounts nothing itself (mount.ts does).
//
// On disk: <root>/l/<n> is committed snapshot n (short numeric names keep many lowerdirs
// under the one-page limit of mount options), <root>/a/<n>/{upper,work} active snapshot n,
// <root>/snapshots.<n>.json the index (numbered-json.ts). A layer is unpacked into
// <root>/l/tmp-<pid>-<rand> and renamed to its number only after its diffID checks out, so no
// partial snapshot is ever recorded; temporary dirs of dead processes are removed by gc().
import { mkdirSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeError, type RuntimeErrorKind } from '../cri.js';
import type { RootfsMount } from '../image-provider.js';
import { isAlive } from '../process-alive.js';
import { sha256 } from './digest.js';
import { withFileLock } from './lock.js';
import { readNumberedJson, writeNumberedJson } from '../numbered-json.js';
import { duBytes } from './disk-usage.js';

export interface CommittedSnapshot {
  id: number;
  chainId: string;
  parent?: string;
  diffId: string;
  /** Bytes of file content unpacked. */
  size: number;
  created: string;
}

export interface ActiveSnapshot {
  key: string;
  id: number;
  /** chainID of the image's top layer */
  parent: string;
  created: string;
}

interface Index {
  nextId: number;
  committed: Record<string, CommittedSnapshot>;
  active: Record<string, ActiveSnapshot>;
}

/** chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)) (image-spec config.md). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256(`${out[out.length - 1]} ${d}`));
  return out;
}

export class Snapshotter {
  readonly root: string;
  readonly #lockFile: string;
  readonly #inflight = new Map<string, Promise<CommittedSnapshot>>();

  constructor(root: string) {
    this.root = root;
    this.#lockFile = path.join(root, 'snapshots.lock');
  }

  async init(): Promise<void> {
    await mkdir(path.join(this.root, 'l'), { recursive: true });
    await mkdir(path.join(this.root, 'a'), { recursive: true });
  }

  layerDir(id: number): string {
    return path.join(this.root, 'l', String(id));
  }

  // The index is a small local file read and written on every container create: synchronous
  // calls cost less than the thread-pool round trips of the asynchronous ones. It is a numbered
  // file (snapshots.<n>.json, see numbered-json.ts): no rename over it on every create.
  async #read(): Promise<Index> {
    try {
      return readNumberedJson<Index>(this.root, 'snapshots') ?? { nextId: 1, committed: {}, active: {} };
    } catch (e) {
      throw new RuntimeError('Internal', `snapshot index in ${this.root} is unreadable: ${(e as Error).message}`, { cause: e });
    }
  }

  async #write(index: Index): Promise<void> {
    writeNumberedJson(this.root, 'snapshots', index);
  }

  #mutate<T>(fn: (index: Index) => Promise<T> | T): Promise<T> {
    return withFileLock(this.#lockFile, async () => {
      const index = await this.#read();
      const out = await fn(index);
      await this.#write(index);
      return out;
    });
  }

  async committed(chainId: string): Promise<CommittedSnapshot | undefined> {
    return (await this.#read()).committed[chainId];
  }

  async list(): Promise<{ committed: CommittedSnapshot[]; active: ActiveSnapshot[] }> {
    const i = await this.#read();
    return { committed: Object.values(i.committed), active: Object.values(i.active) };
  }

  /**
   * Returns the committed snapshot `chainId`, creating it with `fill(dir)` (an unpack into an
   * empty temporary dir) when it is missing. Concurrent callers for one chainID share one fill.
   */
  ensureCommitted(chainId: string, parent: string | undefined, diffId: string, fill: (dir: string) => Promise<{ size: number }>): Promise<CommittedSnapshot> {
    const running = this.#inflight.get(chainId);
    if (running) return running;
    const p = (async () => {
      const have = await this.committed(chainId);
      if (have) return have;
      const tmp = path.join(this.root, 'l', `tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
      await mkdir(tmp, { mode: 0o755 });
      let size: number;
      try {
        ({ size } = await fill(tmp));
      } catch (e) {
        await rm(tmp, { recursive: true, force: true });
        throw e;
      }
      return this.#mutate(async (index) => {
        const again = index.committed[chainId];
        if (again) {
          await rm(tmp, { recursive: true, force: true });
          return again;
        }
        const id = index.nextId++;
        // A dir already there is an orphan of a crash between rename and index write.
        await rm(this.layerDir(id), { recursive: true, force: true });
        await rename(tmp, this.layerDir(id));
        const snap: CommittedSnapshot = { id, chainId, diffId, size, created: new Date().toISOString() };
        if (parent !== undefined) snap.parent = parent;
        index.committed[chainId] = snap;
        return snap;
      });
    })();
    this.#inflight.set(chainId, p);
    const done = () => this.#inflight.delete(chainId);
    p.then(done, done);
    return p;
  }

  /** The layer dirs of a chain, topmost first (overlay's lowerdir order). */
  async lowerDirs(topChainId: string): Promise<string[]> {
    const index = await this.#read();
    return lowersOf(index, topChainId, (id) => this.layerDir(id));
  }

  /** Creates (idempotently) active snapshot `key` over the chain `parent`; returns its mounts. */
  async prepare(key: string, parent: string): Promise<RootfsMount[]> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(key)) throw new RuntimeError('InvalidArgument', `snapshot key ${JSON.stringify(key)}: letters, digits, "_", "." and "-" only`);
    return this.#mutate(async (index) => {
      let a = index.active[key];
      if (a && a.parent !== parent) throw new RuntimeError('AlreadyExists', `snapshot ${key} exists on a different image`);
      const lowers = lowersOf(index, parent, (id) => this.layerDir(id));
      if (!a) {
        a = { key, id: index.nextId++, parent, created: new Date().toISOString() };
        mkdirSync(path.join(this.root, 'a', String(a.id), 'upper'), { recursive: true, mode: 0o755 });
        mkdirSync(path.join(this.root, 'a', String(a.id), 'work'), { recursive: true, mode: 0o700 });
        index.active[key] = a;
      }
      const dir = path.join(this.root, 'a', String(a.id));
      return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lowers.join(':')}`, `upperdir=${dir}/upper`, `workdir=${dir}/work`] }];
    });
  }

  /** Mounts of an existing active snapshot (NotFound otherwise). */
  async mounts(key: string): Promise<RootfsMount[]> {
    const index = await this.#read();
    const a = index.active[key];
    if (!a) throw new RuntimeError('NotFound', `no active snapshot ${key}`);
    const dir = path.join(this.root, 'a', String(a.id));
    return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lowersOf(index, a.parent, (id) => this.layerDir(id)).join(':')}`, `upperdir=${dir}/upper`, `workdir=${dir}/work`] }];
  }

  async remove(key: string): Promise<void> {
    await this.#mutate(async (index) => {
      const a = index.active[key];
      if (!a) return;
      await rm(path.join(this.root, 'a', String(a.id)), { recursive: true, force: true });
      delete index.active[key];
    });
  }

  /**
   * Removes committed snapshots outside `keep` (chainIDs of images still present) that no
   * active snapshot stands on, and temporary dirs of dead processes. Returns bytes freed.
   */
  async gc(keep: Set<string>): Promise<number> {
    return this.#mutate(async (index) => {
      const live = new Set<string>();
      const mark = (c: string | undefined) => {
        while (c !== undefined && !live.has(c)) {
          live.add(c);
          c = index.committed[c]?.parent;
        }
      };
      for (const c of keep) mark(c);
      for (const a of Object.values(index.active)) mark(a.parent);
      let freed = 0;
      for (const [chainId, snap] of Object.entries(index.committed)) {
        if (live.has(chainId)) continue;
        freed += await duBytes(this.layerDir(snap.id));
        await rm(this.layerDir(snap.id), { recursive: true, force: true });
        delete index.committed[chainId];
      }
      const known = new Set(Object.values(index.committed).map((s) => String(s.id)));
      for (const n of await readdir(path.join(this.root, 'l'))) {
        const tmp = /^tmp-(\d+)-/.exec(n);
        if (tmp ? isAlive(Number(tmp[1])) : known.has(n)) continue;
        // A crashed unpack, or a dir whose index entry never got written.
        if (!tmp && /^\d+$/.test(n) && Number(n) >= index.nextId) continue;
        freed += await duBytes(path.join(this.root, 'l', n));
        await rm(path.join(this.root, 'l', n), { recursive: true, force: true });
      }
      return freed;
    });
  }
}

function lowersOf(index: Index, top: string, dirOf: (id: number) => string): string[] {
  const out: string[] = [];
  let c: string | undefined = top;
  while (c !== undefined) {
    const s: CommittedSnapshot | undefined = index.committed[c];
    if (!s) throw new RuntimeError('NotFound' satisfies RuntimeErrorKind, `snapshot ${c} is missing (the image needs to be pulled again)`);
    out.push(dirOf(s.id));
    c = s.parent;
  }
  return out;
}
