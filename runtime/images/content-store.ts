// The content store shared by all images (containerd's core/content): blobs addressed by
// digest under blobs/sha256/<hex>. A blob is written to ingest/<hex>, hashed as it goes, and
// renamed into blobs/ only after its size and digest check out, so a half-written or corrupt
// blob is never trusted. A partial ingest survives a crash (kill -9) and the next writer
// resumes it (re-hashing what is there). A lock file per ingest keeps two processes apart.
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Hash } from 'node:crypto';
import { RuntimeError } from '../cri.js';
import { digestHex, hashDigest, newHash, sha256 } from './digest.js';
import { isAlive } from '../process-alive.js';

export interface BlobInfo {
  digest: string;
  size: number;
}

export class ContentStore {
  readonly root: string;
  readonly #blobs: string;
  readonly #ingest: string;

  constructor(root: string) {
    this.root = root;
    this.#blobs = path.join(root, 'blobs', 'sha256');
    this.#ingest = path.join(root, 'ingest');
  }

  async init(): Promise<void> {
    await mkdir(this.#blobs, { recursive: true });
    await mkdir(this.#ingest, { recursive: true });
  }

  blobPath(digest: string): string {
    return path.join(this.#blobs, digestHex(digest));
  }

  async info(digest: string): Promise<BlobInfo | undefined> {
    try {
      const st = await stat(this.blobPath(digest));
      return { digest, size: st.size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async has(digest: string): Promise<boolean> {
    return (await this.info(digest)) !== undefined;
  }

  async readBuffer(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.blobPath(digest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new RuntimeError('NotFound', `blob ${digest} not in the content store`);
      throw e;
    }
  }

  async readJson<T>(digest: string): Promise<T> {
    const buf = await this.readBuffer(digest);
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch (e) {
      throw new RuntimeError('InvalidArgument', `blob ${digest} is not valid JSON`, { cause: e });
    }
  }

  createReadStream(digest: string, start = 0): ReadStream {
    return createReadStream(this.blobPath(digest), { start, highWaterMark: 1 << 20 });
  }

  /** Stores a small blob held in memory; checks it against `expected` when given. */
  async writeBuffer(data: Buffer, expected?: string): Promise<string> {
    const digest = sha256(data);
    if (expected !== undefined && expected !== digest) throw new RuntimeError('InvalidArgument', `digest mismatch: expected ${expected}, content is ${digest}`);
    if (await this.has(digest)) return digest;
    const tmp = path.join(this.#ingest, `${digestHex(digest)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    await writeFile(tmp, data);
    await rename(tmp, this.blobPath(digest));
    return digest;
  }

  /** Stores a stream whose digest is not known in advance (the image writer's layers). */
  async writeStream(source: AsyncIterable<Buffer>): Promise<BlobInfo> {
    const tmp = path.join(this.#ingest, `${'0'.repeat(64)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    const fh = await open(tmp, 'w');
    const hash = newHash();
    let size = 0;
    try {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        let done = 0;
        while (done < chunk.length) done += (await fh.write(chunk, done, chunk.length - done)).bytesWritten;
      }
    } catch (e) {
      await fh.close();
      await rm(tmp, { force: true });
      throw e;
    }
    await fh.close();
    const digest = hashDigest(hash);
    await rename(tmp, this.blobPath(digest));
    return { digest, size };
  }

  /** Stores a stream that must have digest `digest` (copies between stores, imports). */
  async writeStreamVerified(digest: string, source: AsyncIterable<Buffer>): Promise<void> {
    const ingest = await this.ingest(digest);
    if (!ingest) return;
    try {
      if (ingest.offset > 0) await ingest.reset();
      for await (const chunk of source) await ingest.write(chunk);
      await ingest.commit();
    } catch (e) {
      await ingest.close(true);
      throw e;
    }
  }

  /**
   * Opens (or resumes) the ingest of `digest`. Returns undefined when the blob is already
   * committed (possibly by another process that held the lock meanwhile).
   */
  async ingest(digest: string, expectedSize?: number): Promise<Ingest | undefined> {
    const hex = digestHex(digest);
    const lock = path.join(this.#ingest, `${hex}.lock`);
    for (;;) {
      if (await this.has(digest)) return undefined;
      try {
        await writeFile(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = Number((await readFile(lock, 'utf8').catch(() => '')) || 0);
      if (owner > 0 && owner !== process.pid && isAlive(owner)) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      // The lock of a dead process (or a torn lock file): take it over.
      await unlink(lock).catch(() => undefined);
    }
    const partial = path.join(this.#ingest, hex);
    let fh: FileHandle | undefined;
    try {
      fh = await open(partial, 'a+');
      const hash = newHash();
      const { size } = await fh.stat();
      let offset = 0;
      if (expectedSize !== undefined && size > expectedSize) {
        await fh.truncate(0);
      } else if (size > 0) {
        // Resume: what is already there goes through the hash again; it is still verified at commit.
        for await (const chunk of createReadStream(partial, { highWaterMark: 1 << 20 })) {
          hash.update(chunk as Buffer);
          offset += (chunk as Buffer).length;
        }
      }
      return new Ingest(this, digest, partial, lock, fh, hash, offset, expectedSize);
    } catch (e) {
      await fh?.close().catch(() => undefined);
      await unlink(lock).catch(() => undefined);
      throw e;
    }
  }

  /** Every committed blob. */
  async list(): Promise<BlobInfo[]> {
    const names = await readdir(this.#blobs).catch(() => [] as string[]);
    const out: BlobInfo[] = [];
    for (const n of names) {
      if (!/^[a-f0-9]{64}$/.test(n)) continue;
      const st = await stat(path.join(this.#blobs, n)).catch(() => undefined);
      if (st) out.push({ digest: `sha256:${n}`, size: st.size });
    }
    return out;
  }

  /** Deletes a blob; returns the bytes freed. */
  async delete(digest: string): Promise<number> {
    const p = this.blobPath(digest);
    const st = await stat(p).catch(() => undefined);
    if (!st) return 0;
    await rm(p, { force: true });
    return st.size;
  }

  /** Removes ingests no live process holds (left by a crash); returns bytes freed. */
  async cleanIngests(): Promise<number> {
    let freed = 0;
    const names = await readdir(this.#ingest).catch(() => [] as string[]);
    for (const n of names) {
      const full = path.join(this.#ingest, n);
      const m = /^([a-f0-9]{64})(?:\.(\d+)\..*\.tmp)?$/.exec(n);
      if (!m) continue;
      if (m[2] !== undefined) {
        if (isAlive(Number(m[2]))) continue;
      } else {
        const owner = Number((await readFile(`${full}.lock`, 'utf8').catch(() => '')) || 0);
        if (owner > 0 && isAlive(owner)) continue;
        await rm(`${full}.lock`, { force: true });
      }
      const st = await stat(full).catch(() => undefined);
      freed += st?.size ?? 0;
      await rm(full, { force: true });
    }
    return freed;
  }
}

/** One blob being written: append, then commit (verify + rename) or close (keep the partial for a resume). */
export class Ingest {
  readonly digest: string;
  #store: ContentStore;
  #partial: string;
  #lock: string;
  #fh: FileHandle;
  #hash: Hash;
  #offset: number;
  #expectedSize: number | undefined;
  #closed = false;
  readonly #resumedFrom: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(store: ContentStore, digest: string, partial: string, lock: string, fh: FileHandle, hash: Hash, offset: number, expectedSize: number | undefined) {
    this.#store = store;
    this.digest = digest;
    this.#partial = partial;
    this.#lock = lock;
    this.#fh = fh;
    this.#hash = hash;
    this.#offset = offset;
    this.#resumedFrom = offset;
    this.#expectedSize = expectedSize;
  }

  /** Bytes found from an earlier, interrupted ingest when this one opened. */
  get resumedFrom(): number {
    return this.#resumedFrom;
  }

  /** Bytes already written (where a resumed transfer starts). */
  get offset(): number {
    return this.#offset;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.#expectedSize !== undefined && this.#offset + chunk.length > this.#expectedSize) {
      throw new RuntimeError('InvalidArgument', `blob ${this.digest} is larger than its descriptor says (${this.#expectedSize} bytes)`);
    }
    this.#hash.update(chunk);
    this.#offset += chunk.length;
    // Network chunks are small (16-64 kB): gathering them into ~1 MB writes halves the cost of a pull.
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= 1 << 20) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const buf = this.#pending.length === 1 ? this.#pending[0] : Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    let done = 0;
    while (done < buf.length) done += (await this.#fh.write(buf, done, buf.length - done)).bytesWritten;
  }

  /** Starts over (the server ignored a Range request). */
  async reset(): Promise<void> {
    this.#pending = [];
    this.#pendingBytes = 0;
    await this.#fh.truncate(0);
    this.#hash = newHash();
    this.#offset = 0;
  }

  /** Verifies size and digest and moves the blob into place. A mismatch discards the partial. */
  async commit(): Promise<void> {
    const got = hashDigest(this.#hash);
    await this.#flush();
    await this.#fh.close();
    this.#closed = true;
    try {
      if (this.#expectedSize !== undefined && this.#offset !== this.#expectedSize) {
        await rm(this.#partial, { force: true });
        throw new RuntimeError('InvalidArgument', `blob ${this.digest}: got ${this.#offset} bytes, descriptor says ${this.#expectedSize}`);
      }
      if (got !== this.digest) {
        await rm(this.#partial, { force: true });
        throw new RuntimeError('InvalidArgument', `blob digest mismatch: expected ${this.digest}, content is ${got}`);
      }
      await rename(this.#partial, this.#store.blobPath(this.digest));
    } finally {
      await unlink(this.#lock).catch(() => undefined);
    }
  }

  /** Stops writing; the partial stays for the next attempt unless `discard`. */
  async close(discard = false): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      // What arrived intact stays for a resume (unless discarded anyway).
      if (!discard) await this.#flush().catch(() => undefined);
      await this.#fh.close().catch(() => undefined);
    }
    if (discard) await rm(this.#partial, { force: true });
    await unlink(this.#lock).catch(() => undefined);
  }
}

