// Kubernetes' AtomicWriter (pkg/volume/util/atomic_writer.go): puts a payload into a volume
// directory so that a reader never sees half of an update. The files live in a hidden
// timestamped directory (`..2026_12_07_12_30_00.XXXXXX`); `..data` is a symlink to it, swapped
// by renaming a fresh `..data_tmp` symlink over it (rename is atomic); the names users see are
// top-level symlinks `key -> ..data/key`. A reader that resolves `..data` once reads one
// whole version. Names starting with `..` are the writer's own; one writer per directory
// (the pod worker's one sync in flight gives that).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Payload } from './volume-payload.js';

const DATA_DIR = '..data';
const NEW_DATA_DIR = '..data_tmp';
const MAX_FILE_NAME = 255;
const MAX_PATH = 4096;

export class AtomicWriteError extends Error {}

/** Kubernetes' validatePath: relative, no `..` element, not starting with `..`, bounded lengths. */
export function validatePath(p: string): void {
  if (p === '') throw new AtomicWriteError(`invalid path: must not be empty: ${JSON.stringify(p)}`);
  if (path.posix.isAbsolute(p)) throw new AtomicWriteError(`invalid path: must be relative path: ${p}`);
  if (p.length > MAX_PATH) throw new AtomicWriteError(`invalid path: must be less than or equal to ${MAX_PATH} characters`);
  const items = p.split('/');
  for (const item of items) {
    if (item === '..') throw new AtomicWriteError(`invalid path: must not contain '..': ${p}`);
    if (Buffer.byteLength(item) > MAX_FILE_NAME) throw new AtomicWriteError(`invalid path: filenames must be less than or equal to ${MAX_FILE_NAME} characters`);
  }
  if (items[0].startsWith('..') && items[0].length > 2) throw new AtomicWriteError(`invalid path: must not start with '..': ${p}`);
}

function cleanPayload(payload: Payload): Payload {
  const out: Payload = new Map();
  for (const [p, f] of payload) {
    validatePath(p);
    out.set(path.posix.normalize(p).replace(/\/+$/, ''), f);
  }
  return out;
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** "..2026_12_07_12_30_00." as Go formats "..2006_01_02_15_04_05." in UTC. */
export function timestampPrefix(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}.`;
}

/** Every path under dir, relative, directories included. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.push(r);
    if (e.isDirectory()) out.push(...(await walk(dir, r)));
  }
  return out;
}

export class AtomicWriter {
  readonly #dir: string;
  readonly #now: () => Date;

  constructor(targetDir: string, opts: { now?: () => Date } = {}) {
    this.#dir = targetDir;
    this.#now = opts.now ?? (() => new Date());
  }

  /** Projects the payload into the directory; false when it already held exactly this. */
  async write(payload: Payload): Promise<boolean> {
    const clean = cleanPayload(payload);
    const dataDir = path.join(this.#dir, DATA_DIR);
    let oldTs = '';
    try {
      oldTs = await fs.readlink(dataDir);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    let toRemove: string[] = [];
    let shouldWrite = true;
    if (oldTs) {
      toRemove = await this.#pathsToRemove(clean, path.join(this.#dir, oldTs));
      if (toRemove.length === 0 && !(await this.#differs(clean, path.join(this.#dir, oldTs)))) {
        // Up to date; the user-visible links are still made sure of below (kubernetes#121472).
        shouldWrite = false;
      }
    }
    if (shouldWrite) {
      const tsDir = await fs.mkdtemp(path.join(this.#dir, timestampPrefix(this.#now())));
      // Group and others must be able to walk it whatever the umask: containers may run as anyone.
      await fs.chmod(tsDir, 0o755);
      try {
        await this.#writeAll(clean, tsDir);
        const tmp = path.join(this.#dir, NEW_DATA_DIR);
        await fs.rm(tmp, { force: true });
        await fs.symlink(path.basename(tsDir), tmp);
        await fs.rename(tmp, dataDir);
      } catch (e) {
        await fs.rm(tsDir, { recursive: true, force: true });
        throw e;
      }
    }
    await this.#createUserVisible(clean);
    for (const p of toRemove) if (!p.includes('/')) await fs.rm(path.join(this.#dir, p), { force: true });
    if (shouldWrite && oldTs) await fs.rm(path.join(this.#dir, oldTs), { recursive: true, force: true });
    return shouldWrite;
  }

  /** Paths of the old version that the new payload no longer has (its files' parent dirs kept). */
  async #pathsToRemove(payload: Payload, oldTsPath: string): Promise<string[]> {
    let old: string[];
    try {
      old = await walk(oldTsPath);
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
    const keep = new Set<string>();
    for (const p of payload.keys()) for (let s = p; s && s !== '.'; s = path.posix.dirname(s)) keep.add(s);
    return old.filter((p) => !keep.has(p));
  }

  /** True when a file is missing or its bytes or mode differ. */
  async #differs(payload: Payload, oldTsPath: string): Promise<boolean> {
    for (const [p, f] of payload) {
      const full = path.join(oldTsPath, p);
      try {
        const st = await fs.lstat(full);
        if (!st.isFile() || (st.mode & 0o7777) !== f.mode) return true;
        if (!(await fs.readFile(full)).equals(f.data)) return true;
      } catch (e) {
        if (isNotFound(e)) return true;
        throw e;
      }
    }
    return false;
  }

  async #writeAll(payload: Payload, dir: string): Promise<void> {
    for (const [p, f] of payload) {
      const full = path.join(dir, p);
      await fs.mkdir(path.dirname(full), { recursive: true, mode: 0o755 });
      await fs.writeFile(full, f.data, { mode: f.mode });
      // writeFile's mode passes through the umask; the payload's mode is what must show.
      await fs.chmod(full, f.mode);
    }
  }

  async #createUserVisible(payload: Payload): Promise<void> {
    const tops = new Set([...payload.keys()].map((p) => p.split('/')[0]));
    for (const top of tops) {
      const link = path.join(this.#dir, top);
      try {
        await fs.readlink(link);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        await fs.symlink(path.join(DATA_DIR, top), link);
      }
    }
  }
}
