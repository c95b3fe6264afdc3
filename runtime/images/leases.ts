// Leases (containerd's word): the blobs and snapshots a pull in progress relies on before
// its image record exists, so garbage collection keeps them. Held in memory for this
// process and mirrored to <root>/leases/<pid>.json for the others (the kubelet pulling
// while `skiff cri prune` runs); files of dead processes are ignored and removed.
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlive } from '../process-alive.js';

export class Leases {
  readonly #dir: string;
  readonly #held = new Map<string, number>();
  #writing: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Holds `keys` (digests, chainIDs) until the returned release is awaited. */
  async hold(keys: string[]): Promise<() => Promise<void>> {
    for (const k of keys) this.#held.set(k, (this.#held.get(k) ?? 0) + 1);
    await this.#persist();
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      for (const k of keys) {
        const n = (this.#held.get(k) ?? 1) - 1;
        if (n <= 0) this.#held.delete(k);
        else this.#held.set(k, n);
      }
      await this.#persist();
    };
  }

  #persist(): Promise<void> {
    // Serialised, so an older snapshot of the set never lands after a newer one.
    this.#writing = this.#writing.then(async () => {
      const file = path.join(this.#dir, `${process.pid}.json`);
      if (this.#held.size === 0) {
        await rm(file, { force: true });
        return;
      }
      await mkdir(this.#dir, { recursive: true });
      const tmp = `${file}.tmp`;
      await writeFile(tmp, JSON.stringify([...this.#held.keys()]));
      await rename(tmp, file);
    });
    return this.#writing;
  }

  /** Every key held by this or any other live process on the root. */
  async all(): Promise<Set<string>> {
    const out = new Set(this.#held.keys());
    for (const n of await readdir(this.#dir).catch(() => [] as string[])) {
      const m = /^(\d+)\.json$/.exec(n);
      if (!m || Number(m[1]) === process.pid) continue;
      const file = path.join(this.#dir, n);
      if (!isAlive(Number(m[1]))) {
        await rm(file, { force: true });
        continue;
      }
      try {
        for (const k of JSON.parse(await readFile(file, 'utf8')) as string[]) out.add(k);
      } catch {
        // being rewritten by its owner right now: the rename makes that rare; the next gc sees it
      }
    }
    return out;
  }
}
