// Image records: a normalised reference ("docker.io/library/busybox:latest" or
// "repo@sha256:...") -> the manifest it names, the config digest (the image ID, as Docker
// shows it) and the index digest it was resolved through. Kept in <root>/images.json,
// rewritten atomically under a lock file, so a crash leaves either the old or the new index.
import { statSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeError } from '../cri.js';
import { withFileLock } from './lock.js';

export interface ImageRecord {
  /** The normalised reference this record answers to. */
  name: string;
  manifestDigest: string;
  manifestMediaType: string;
  /** The image ID: "sha256:<config digest hex>". */
  id: string;
  indexDigest?: string;
  /** When skiff stored it (pull or import). */
  stored: string;
}

interface Index {
  images: Record<string, ImageRecord>;
}

export class ImageStore {
  readonly #file: string;
  readonly #lock: string;
  #cached: { key: string; index: Index } | undefined;

  constructor(root: string) {
    this.#file = path.join(root, 'images.json');
    this.#lock = path.join(root, 'images.lock');
  }

  /**
   * The index as on disk. Every write replaces the file (a new inode), so one stat tells
   * whether the copy read last is still current: a pod start asks for its image several times.
   * The cached copy is never handed out (callers get copies of the records) nor mutated.
   */
  async #read(forUpdate = false): Promise<Index> {
    let key: string;
    try {
      const st = statSync(this.#file);
      key = `${st.ino}:${st.mtimeMs}:${st.ctimeMs}:${st.size}`;
      if (!forUpdate && this.#cached?.key === key) return this.#cached.index;
      const index = JSON.parse(await readFile(this.#file, 'utf8')) as Index;
      if (!forUpdate) this.#cached = { key, index };
      return index;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { images: {} };
      throw new RuntimeError('Internal', `image index ${this.#file} is unreadable: ${(e as Error).message}`, { cause: e });
    }
  }

  async list(): Promise<ImageRecord[]> {
    return Object.values((await this.#read()).images).map((r) => ({ ...r }));
  }

  async get(name: string): Promise<ImageRecord | undefined> {
    const r = (await this.#read()).images[name];
    return r && { ...r };
  }

  async put(rec: ImageRecord): Promise<void> {
    await this.#mutate((i) => {
      i.images[rec.name] = rec;
    });
  }

  /** Deletes records by name; returns the records removed. */
  async delete(names: string[]): Promise<ImageRecord[]> {
    return this.#mutate((i) => {
      const out: ImageRecord[] = [];
      for (const n of names) {
        const r = i.images[n];
        if (r) out.push(r);
        delete i.images[n];
      }
      return out;
    });
  }

  #mutate<T>(fn: (index: Index) => T): Promise<T> {
    return withFileLock(this.#lock, async () => {
      const index = await this.#read(true);
      const out = fn(index);
      const tmp = `${this.#file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(index, null, 1));
      await rename(tmp, this.#file);
      return out;
    });
  }
}
