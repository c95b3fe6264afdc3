// Content hashes of context files, remembered between builds the way BuildKit's content-hash
// cache and git's index do it: a file whose lstat facts (device, inode, size, mtime and ctime
// in ns) are what they were when it was hashed has the content it had then, so a rebuild
// reads nothing it has read before. ctime cannot be set by users (any write, chmod or rename
// moves it), which is what makes the check sound. "Racy" files — changed within the clock
// tick before they were hashed — are not remembered: a later write in the same tick could
// keep every stat field. One JSON file per context directory under <root>/build/file-hashes,
// holding the files the last build of that context hashed.
import { createHash } from 'node:crypto';
import { createReadStream, type BigIntStats } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** How long a file must have been left alone before its hash is remembered (ms). */
const RACY_MS = 100n;

interface Remembered {
  /** "dev:ino:size:mtimeNs:ctimeNs" */
  stat: string;
  sha256: string;
}

function statKey(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export class FileHashes {
  readonly #file: string | undefined;
  readonly #old: Record<string, Remembered>;
  readonly #now: Record<string, Remembered> = {};
  #changed = false;

  private constructor(file: string | undefined, old: Record<string, Remembered>) {
    this.#file = file;
    this.#old = old;
  }

  /** The remembered hashes of files under `contextDir` (none kept when `root` is undefined). */
  static async open(root: string | undefined, contextDir: string): Promise<FileHashes> {
    if (root === undefined) return new FileHashes(undefined, {});
    const file = path.join(root, 'build', 'file-hashes', `${createHash('sha256').update(contextDir).digest('hex')}.json`);
    const old = await readFile(file, 'utf8').then(
      (t) => JSON.parse(t) as Record<string, Remembered>,
      () => ({}), // missing or torn: hash everything again
    );
    return new FileHashes(file, old);
  }

  /** The sha256 (hex) of `abs`, whose lstat (bigint) is `st`. */
  async hash(abs: string, st: BigIntStats): Promise<string> {
    const key = statKey(st);
    const was = this.#old[abs];
    if (was && was.stat === key) {
      this.#now[abs] = was;
      return was.sha256;
    }
    const startedNs = BigInt(Date.now()) * 1_000_000n;
    const sha = await sha256File(abs);
    // Not remembered when the file changed just before: a write in the same tick could go unseen.
    if (st.ctimeNs < startedNs - RACY_MS * 1_000_000n && st.mtimeNs < startedNs - RACY_MS * 1_000_000n) {
      this.#now[abs] = { stat: key, sha256: sha };
      this.#changed = true;
    }
    return sha;
  }

  /** Writes what this build hashed (a cache: failing to write only costs time later). */
  async save(): Promise<void> {
    if (!this.#file) return;
    if (!this.#changed && Object.keys(this.#now).length === Object.keys(this.#old).length) return;
    try {
      await mkdir(path.dirname(this.#file), { recursive: true });
      const tmp = `${this.#file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(this.#now));
      await rename(tmp, this.#file);
    } catch {
      // see above
    }
  }
}
