// The kubelet's image garbage collection (Kubernetes' ImageGCManager): when the image file
// system is above --image-gc-high-threshold percent used, remove images no container uses
// (running or exited, in any sandbox), least recently used first, never one younger than
// --image-minimum-gc-age, until usage is at or below --image-gc-low-threshold. It runs at
// start-up and then every period. Freeing too little is a Warning ImageGCFailed on the node.
import type { Image, ImageService, RuntimeService } from '../../runtime/cri.js';
import { isRuntimeError } from '../../runtime/cri.js';
import { systemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import { statFs, usagePercent, type FsStats } from './fs-stats.js';

export interface ImageGCPolicy {
  /** Usage (percent) at or above which GC runs; 100 turns it off (Kubernetes default 85). */
  highThresholdPercent: number;
  /** Usage GC frees down to (default 80). */
  lowThresholdPercent: number;
  /** Images detected more recently than this are never removed (default 2 minutes). */
  minAgeMs: number;
}

export const DEFAULT_IMAGE_GC_POLICY: ImageGCPolicy = { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 120_000 };
/** Kubernetes' ImageGCPeriod. */
export const DEFAULT_IMAGE_GC_PERIOD_MS = 5 * 60_000;

export function validateImageGCPolicy(p: ImageGCPolicy): void {
  for (const [k, v] of [['--image-gc-high-threshold', p.highThresholdPercent], ['--image-gc-low-threshold', p.lowThresholdPercent]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 100) throw new Error(`invalid ${k}: ${v} (must be an integer percent, 0 to 100)`);
  }
  if (p.lowThresholdPercent > p.highThresholdPercent) throw new Error(`--image-gc-low-threshold (${p.lowThresholdPercent}) can not be higher than --image-gc-high-threshold (${p.highThresholdPercent})`);
  if (!(p.minAgeMs >= 0)) throw new Error(`invalid --image-minimum-gc-age: ${p.minAgeMs} ms`);
}

export interface ImageGCOptions {
  images: ImageService;
  runtime: RuntimeService;
  policy?: Partial<ImageGCPolicy>;
  /** The image file system's numbers (default: statfs of ImageFsInfo's mountpoint). */
  fsStats?: () => Promise<FsStats>;
  /** Warning events on the node (ImageGCFailed). */
  onEvent?: (type: 'Warning', reason: string, message: string) => void;
  clock?: Clock;
  logger?: Logger;
}

interface ImageRecord {
  /** When this kubelet first saw the image (ms). */
  firstDetected: number;
  /** When a container last used it (ms); 0: never seen in use. */
  lastUsed: number;
  size: number;
  tags: string[];
}

export interface GCResult {
  /** Image IDs removed, in the order they went. */
  removed: string[];
  freedBytes: number;
  /** What GC set out to free (0: usage was below the high threshold). */
  wantedBytes: number;
}

export class ImageGCManager {
  readonly policy: ImageGCPolicy;
  readonly #o: ImageGCOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #records = new Map<string, ImageRecord>();
  /** Refs (tags, IDs) used before the image was detected: resolved at the next detection. */
  readonly #usedRefs = new Map<string, number>();
  #running: Promise<GCResult> | undefined;

  constructor(o: ImageGCOptions) {
    this.#o = o;
    this.policy = { ...DEFAULT_IMAGE_GC_POLICY, ...o.policy };
    validateImageGCPolicy(this.policy);
    this.#clock = o.clock ?? systemClock;
    this.#log = o.logger ?? silentLogger;
  }

  /** A container is about to use (or was created from) this image: it becomes the most recently used. */
  recordUsed(imageRef: string): void {
    const now = this.#clock.now();
    const rec = this.#records.get(imageRef);
    if (rec) rec.lastUsed = Math.max(rec.lastUsed, now);
    else this.#usedRefs.set(imageRef, now);
  }

  /** undefined: the runtime reports no image file system (nothing to measure, nothing to do). */
  async #fsStats(): Promise<FsStats | undefined> {
    if (this.#o.fsStats) return this.#o.fsStats();
    const [fs] = await this.#o.images.imageFsInfo();
    return fs ? statFs(fs.fsId.mountpoint) : undefined;
  }

  /** Refreshes the records from the runtime; returns the IDs of images containers use now. */
  async detectImages(): Promise<{ images: Image[]; inUse: Set<string> }> {
    const now = this.#clock.now();
    const images = await this.#o.images.listImages();
    const containers = await this.#o.runtime.listContainers();
    const byRef = new Map<string, string>();
    for (const img of images) for (const r of [img.id, ...img.repoTags, ...img.repoDigests]) byRef.set(r, img.id);
    const inUse = new Set<string>();
    for (const c of containers) {
      const id = byRef.get(c.imageRef) ?? byRef.get(c.image.image);
      if (id) inUse.add(id);
    }
    const present = new Set<string>();
    for (const img of images) {
      present.add(img.id);
      let rec = this.#records.get(img.id);
      if (!rec) {
        rec = { firstDetected: now, lastUsed: 0, size: img.size, tags: img.repoTags };
        this.#records.set(img.id, rec);
      }
      rec.size = img.size;
      rec.tags = img.repoTags;
      if (inUse.has(img.id)) rec.lastUsed = now;
    }
    for (const [ref, at] of this.#usedRefs) {
      const id = byRef.get(ref);
      const rec = id ? this.#records.get(id) : undefined;
      if (rec) rec.lastUsed = Math.max(rec.lastUsed, at);
    }
    this.#usedRefs.clear();
    for (const id of [...this.#records.keys()]) if (!present.has(id)) this.#records.delete(id);
    return { images, inUse };
  }

  /** Unused images old enough to go, least recently used first (never-used ones by first detection). */
  async candidates(): Promise<{ id: string; size: number; tags: string[] }[]> {
    const { inUse } = await this.detectImages();
    const now = this.#clock.now();
    return [...this.#records.entries()]
      .filter(([id, r]) => !inUse.has(id) && now - r.firstDetected >= this.policy.minAgeMs)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed || a.firstDetected - b.firstDetected)
      .map(([id, r]) => ({ id, size: r.size, tags: r.tags }));
  }

  /** One GC pass; concurrent callers share the pass in progress. */
  garbageCollect(): Promise<GCResult> {
    this.#running ??= this.#collect().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #collect(): Promise<GCResult> {
    const { highThresholdPercent: high, lowThresholdPercent: low } = this.policy;
    const before = await this.#fsStats();
    // Keep the records fresh even when nothing needs freeing, so last-used times stay right.
    if (!before || high >= 100 || usagePercent(before) < high) {
      await this.detectImages();
      return { removed: [], freedBytes: 0, wantedBytes: 0 };
    }
    const wanted = Math.ceil((before.capacityBytes * (100 - low)) / 100 - before.availableBytes);
    this.#log.info({ usagePercent: usagePercent(before), highThresholdPercent: high, lowThresholdPercent: low, bytesToFree: wanted }, 'image file system above the high threshold: removing unused images');
    const result = await this.freeSpace(wanted, before);
    if (result.freedBytes < wanted) {
      const message = `Failed to garbage collect required amount of images. Attempted to free ${wanted} bytes, but only found ${result.freedBytes} bytes eligible to free.`;
      this.#o.onEvent?.('Warning', 'ImageGCFailed', message);
      this.#log.warn({ bytesToFree: wanted, freedBytes: result.freedBytes, removed: result.removed }, message);
    }
    return result;
  }

  /**
   * Removes candidates until `bytesToFree` is freed. What an image frees is measured on the
   * file system (layers shared with a kept image free nothing), not taken from its size.
   */
  async freeSpace(bytesToFree: number, start?: FsStats): Promise<GCResult> {
    let last = start ?? (await this.#fsStats());
    const removed: string[] = [];
    if (!last) return { removed, freedBytes: 0, wantedBytes: bytesToFree };
    let freed = 0;
    for (const img of await this.candidates()) {
      if (freed >= bytesToFree) break;
      try {
        await this.#o.images.removeImage({ image: img.id });
      } catch (e) {
        // A container was made from it since the listing: it stays. NotFound: gone already.
        if (isRuntimeError(e, 'FailedPrecondition') || isRuntimeError(e, 'NotFound')) continue;
        throw e;
      }
      this.#records.delete(img.id);
      const now: FsStats = (await this.#fsStats()) ?? last;
      const got = Math.max(0, now.availableBytes - last.availableBytes);
      last = now;
      freed += got;
      removed.push(img.id);
      this.#log.info({ image: img.id, tags: img.tags, size: img.size, freedBytes: got }, 'image garbage collected');
    }
    if (removed.length) this.#log.info({ images: removed.length, freedBytes: freed, usagePercent: usagePercent(last) }, 'image garbage collection freed space');
    return { removed, freedBytes: freed, wantedBytes: bytesToFree };
  }
}
