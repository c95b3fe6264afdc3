// Image records: a normalised reference ("docker.io/library/busybox:latest" or
// "repo@sha256:...") -> the manifest it names, the config digest (the image ID, as Docker
// shows it) and the index digest it was resolved through. Kept in <root>/images.json,
// rewritten atomically under a lock file, so a crash leaves either the old or the new index.
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

  constructor(root: string) {
    this.#file = path.join(root, 'images.json');
    this.#lock = path.join(root, 'images.lock');
  }

  async #read(): Promise<Index> {
    try {
      return JSON.parse(await readFile(this.#file, 'utf8')) as Index;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { images: {} };
      throw new RuntimeError('Internal', `image index ${this.#file} is unreadable: ${(e as Error).message}`, { cause: e });
    }
  }

  async list(): Promise<ImageRecord[]> {
    return Object.values((await this.#read()).images);
  }

  async get(name: string): Promise<ImageRecord | undefined> {
    return (await this.#read()).images[name];
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
      const index = await this.#read();
      const out = fn(index);
      const tmp = `${this.#file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(index, null, 1));
      await rename(tmp, this.#file);
      return out;
    });
  }
}
