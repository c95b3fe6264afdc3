// The layer cache, keyed the way Docker's is: the parent (the chain of layers below, plus the
// config a step sees: env, args, workdir, user) + the instruction + for COPY/ADD the content of
// what is copied. A hit gives the layer the step made last time, so a change anywhere
// invalidates that step and, since the parent chain changes, every later one.
// Kept in <root>/build/cache.json next to the content store that holds the layers; an entry
// whose blob has since been pruned is a miss.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256 } from '../runtime/images/digest.js';
import { withFileLock } from '../runtime/images/lock.js';
import type { Descriptor } from '../runtime/images/media-types.js';

export interface CacheEntry {
  /** The layer the step made; absent when it changed nothing. */
  layer?: Descriptor;
  diffId?: string;
  /** When the step first ran (history "created"). */
  created: string;
}

export class LayerCache {
  readonly #file: string;
  readonly #lock: string;

  constructor(root: string) {
    this.#file = path.join(root, 'build', 'cache.json');
    this.#lock = path.join(root, 'build', 'cache.lock');
  }

  static key(parts: unknown): string {
    return sha256(JSON.stringify(parts));
  }

  async #read(): Promise<Record<string, CacheEntry>> {
    try {
      return JSON.parse(await readFile(this.#file, 'utf8')) as Record<string, CacheEntry>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`build cache ${this.#file} is unreadable: ${(e as Error).message}`, { cause: e });
    }
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    return (await this.#read())[key];
  }

  async put(key: string, entry: CacheEntry): Promise<void> {
    await mkdir(path.dirname(this.#file), { recursive: true });
    await withFileLock(this.#lock, async () => {
      const all = await this.#read();
      all[key] = entry;
      const tmp = `${this.#file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(all));
      await rename(tmp, this.#file);
    });
  }
}
