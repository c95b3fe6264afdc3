// skiff's ImageService (CRI) and ImageProvider: the image half of the runtime on one root
// directory. Layers, like containerd: content store (content/) -> snapshots (l/, a/) ->
// image records (images.json); registry access through registries.yaml mirrors and auth.
//
//   <root>/content/blobs/sha256/<hex>   blobs, verified before they land here
//   <root>/content/ingest/              partial downloads (resumable after a crash)
//   <root>/l/<n>, <root>/a/<n>          committed layer snapshots, containers' upper dirs
//   <root>/images.json, snapshots.<n>.json  indexes, rewritten atomically
//   <root>/leases/<pid>.json            what pulls in progress need kept (gc reads every live one)
//
// The root must sit on a file system overlayfs takes as upper and lower layers (ext4, xfs,
// tmpfs: trusted.* xattrs and d_type), not on an overlay mount itself. Runs as root; needs
// mount(8), mknod(1) and setfattr(1) (util-linux, coreutils, attr).
//
// Safe for several processes on one root (the kubelet and `skiff cri` at once): indexes are
// changed under lock files, blobs land by rename, and gc honours every live process's leases.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { RuntimeError, type FilesystemUsage, type Image, type ImageConfig, type ImageService as CriImageService, type ImageSpec, type ImageStatusResponse, type PruneResult, type PullImageOptions, type RemoveImageOptions } from './cri.js';
import type { ImageProvider, LocalImage, RootfsMount } from './image-provider.js';
import { ContentStore } from './images/content-store.js';
import { diskUsage } from './images/disk-usage.js';
import { readDockerAuths, withAuths } from './images/docker-config.js';
import { findImage } from './images/find-image.js';
import { ImageStore, type ImageRecord } from './images/image-store.js';
import { Leases } from './images/leases.js';
import type { Manifest, OciImageConfig } from './images/media-types.js';
import { mountAll, unmount } from './images/mount.js';
import { importImage, pullImage, type PullDeps } from './images/pull.js';
import { parseReference, repositoryName } from './images/reference.js';
import { EMPTY_REGISTRIES_CONFIG, loadRegistriesConfig, type RegistriesConfig } from './images/registries-config.js';
import { RegistryClient } from './images/registry-client.js';
import { Semaphore } from './images/semaphore.js';
import { chainIds, Snapshotter } from './images/snapshots.js';

export interface ImageServiceOptions {
  root: string;
  /** A parsed registries.yaml, or the path of one (read by init()). */
  registryConfig?: RegistriesConfig | string;
  /**
   * Docker-style config files (read by init(), first wins) whose `auths` give credentials for
   * registries registryConfig gives none: the CLI's, not the kubelet's (its registries.yaml says all).
   */
  dockerConfigs?: string[];
  /** Image IDs used by containers: rmi refuses them (unless forced) and prune keeps them. */
  inUse?: () => Promise<Set<string>>;
  logger?: Logger;
  /** Layer downloads at once (default 4). */
  concurrency?: number;
}

export class ImageService implements CriImageService, ImageProvider {
  readonly root: string;
  readonly content: ContentStore;
  readonly snapshots: Snapshotter;
  readonly images: ImageStore;
  #client: RegistryClient;
  readonly #options: ImageServiceOptions;
  readonly #inflight = new Map<string, Promise<boolean>>();
  readonly #leases: Leases;
  readonly #downloads: Semaphore;
  readonly #json = new Map<string, unknown>();
  #initialised: Promise<void> | undefined;

  constructor(options: ImageServiceOptions) {
    this.#options = options;
    this.root = path.resolve(options.root);
    this.content = new ContentStore(path.join(this.root, 'content'));
    this.snapshots = new Snapshotter(this.root);
    this.images = new ImageStore(this.root);
    const cfg = typeof options.registryConfig === 'object' ? options.registryConfig : EMPTY_REGISTRIES_CONFIG;
    this.#client = new RegistryClient({ config: cfg });
    this.#downloads = new Semaphore(options.concurrency ?? 4);
    this.#leases = new Leases(path.join(this.root, 'leases'));
  }

  /** Creates the directories and reads the registry config file. Called by every method; idempotent. */
  init(): Promise<void> {
    this.#initialised ??= (async () => {
      await mkdir(path.join(this.root, 'empty'), { recursive: true });
      await this.content.init();
      await this.snapshots.init();
      const { registryConfig, dockerConfigs } = this.#options;
      if (typeof registryConfig === 'string' || dockerConfigs?.length) {
        const cfg = typeof registryConfig === 'string' ? await loadRegistriesConfig(registryConfig) : (registryConfig ?? EMPTY_REGISTRIES_CONFIG);
        this.#client = new RegistryClient({ config: dockerConfigs?.length ? withAuths(cfg, await readDockerAuths(dockerConfigs)) : cfg });
      }
    })();
    // A failure (say, a registries.yaml with a typo) is reported to this caller and retried by the next.
    this.#initialised.catch(() => {
      this.#initialised = undefined;
    });
    return this.#initialised;
  }

  get registryClient(): RegistryClient {
    return this.#client;
  }

  #deps(): PullDeps {
    return { content: this.content, snapshots: this.snapshots, images: this.images, client: this.#client, downloads: this.#downloads, inflight: this.#inflight, leases: this.#leases, logger: this.#options.logger };
  }

  async #readJson<T>(digest: string): Promise<T> {
    const hit = this.#json.get(digest);
    if (hit) return hit as T;
    const v = await this.content.readJson<T>(digest);
    this.#json.set(digest, v);
    return v;
  }

  // ------------------------------------------------------------------ CRI ImageService
  async pullImage(image: ImageSpec, options?: PullImageOptions): Promise<string> {
    await this.init();
    return pullImage(this.#deps(), image.image, options);
  }

  /** Records an image whose blobs are already in this root's content store (tests, `skiff build`). */
  async importImage(ref: string, manifestDigest: string): Promise<string> {
    await this.init();
    return importImage(this.#deps(), ref, manifestDigest);
  }

  async listImages(filter?: { image?: ImageSpec }): Promise<Image[]> {
    await this.init();
    let records = await this.images.list();
    if (filter?.image?.image) {
      const want = parseReference(filter.image.image, { defaultTag: false });
      records = records.filter((r) => {
        const ref = parseReference(r.name);
        return repositoryName(ref) === repositoryName(want) && (want.tag === undefined || ref.tag === want.tag) && (want.digest === undefined || r.manifestDigest === want.digest || r.indexDigest === want.digest);
      });
    }
    const byId = new Map<string, ImageRecord[]>();
    for (const r of records) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
    const out: Image[] = [];
    for (const [id, recs] of byId) out.push(await this.#toImage(id, recs));
    return out.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? '') || a.id.localeCompare(b.id));
  }

  async #toImage(id: string, recs: ImageRecord[]): Promise<Image> {
    const manifest = await this.#readJson<Manifest>(recs[0].manifestDigest).catch(() => undefined);
    const config = await this.#readJson<OciImageConfig>(id).catch(() => undefined);
    const repoTags = recs.map((r) => parseReference(r.name)).filter((r) => r.tag !== undefined && r.digest === undefined).map((r) => `${repositoryName(r)}:${r.tag}`);
    const repoDigests = [...new Set(recs.map((r) => `${repositoryName(parseReference(r.name))}@${r.indexDigest ?? r.manifestDigest}`))];
    const size = manifest ? manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0) : 0;
    const img: Image = { id, repoTags, repoDigests, size, spec: { image: id } };
    if (config?.created) img.created = config.created;
    const user = config?.config?.User;
    if (user !== undefined && user !== '') {
      if (/^\d+$/.test(user.split(':')[0])) img.uid = Number(user.split(':')[0]);
      else img.username = user.split(':')[0];
    }
    return img;
  }

  async imageStatus(image: ImageSpec, verbose = false): Promise<ImageStatusResponse> {
    await this.init();
    let found;
    try {
      found = findImage(await this.images.list(), image.image);
    } catch (e) {
      if (e instanceof RuntimeError && e.kind === 'NotFound') return { image: null };
      throw e;
    }
    const all = (await this.images.list()).filter((r) => r.id === found.id);
    const img = await this.#toImage(found.id, all);
    if (!verbose) return { image: img };
    const config = await this.#readJson<OciImageConfig>(found.id);
    const manifest = await this.#readJson<Manifest>(all[0].manifestDigest);
    return { image: img, info: { config: toImageConfig(config), imageConfig: config, manifest, manifestDigest: all[0].manifestDigest, chainIds: chainIds(config.rootfs.diff_ids) } };
  }

  async removeImage(image: ImageSpec, options: RemoveImageOptions = {}): Promise<void> {
    await this.init();
    const records = await this.images.list();
    const found = findImage(records, image.image);
    const remaining = records.filter((r) => r.id === found.id && !found.records.includes(r));
    if (remaining.length === 0 && !options.force && this.#options.inUse) {
      const used = await this.#options.inUse();
      if (used.has(found.id)) throw new RuntimeError('FailedPrecondition', `image ${found.id.slice(7, 19)} (${image.image}) is in use by a container; stop and remove the container first, or force the removal`);
    }
    await this.images.delete(found.records.map((r) => r.name));
    this.#options.logger?.info({ image: image.image, id: found.id, untagged: found.records.map((r) => r.name) }, 'removed image');
    await this.#gc();
  }

  async imageFsInfo(): Promise<FilesystemUsage[]> {
    await this.init();
    const seen = new Set<string>();
    const a = await diskUsage(path.join(this.root, 'content'), seen);
    const b = await diskUsage(path.join(this.root, 'l'), seen);
    return [{ timestamp: Date.now() * 1e6, fsId: { mountpoint: this.root }, usedBytes: a.bytes + b.bytes, inodesUsed: a.inodes + b.inodes }];
  }

  /** Removes every image no container uses, then every blob and snapshot no image needs. */
  async prune(): Promise<PruneResult> {
    await this.init();
    const used = (await this.#options.inUse?.()) ?? new Set<string>();
    const records = await this.images.list();
    const gone = records.filter((r) => !used.has(r.id));
    await this.images.delete(gone.map((r) => r.name));
    const imagesDeleted = [...new Set(gone.map((r) => r.id))].filter((id) => !records.some((r) => r.id === id && used.has(id)));
    const spaceReclaimed = await this.#gc();
    this.#options.logger?.info({ imagesDeleted: imagesDeleted.length, spaceReclaimed }, 'pruned images');
    return { imagesDeleted, spaceReclaimed };
  }

  /** Deletes blobs and snapshots no image record (or pull in progress, or container) needs. */
  async #gc(): Promise<number> {
    const leased = await this.#leases.all();
    const keepBlobs = new Set<string>(leased);
    const keepChains = new Set<string>(leased);
    for (const r of await this.images.list()) {
      keepBlobs.add(r.manifestDigest).add(r.id);
      if (r.indexDigest) keepBlobs.add(r.indexDigest);
      const m = await this.#readJson<Manifest>(r.manifestDigest).catch(() => undefined);
      for (const l of m?.layers ?? []) keepBlobs.add(l.digest);
      const c = await this.#readJson<OciImageConfig>(r.id).catch(() => undefined);
      if (c) for (const ch of chainIds(c.rootfs.diff_ids)) keepChains.add(ch);
    }
    let freed = 0;
    for (const b of await this.content.list()) {
      if (keepBlobs.has(b.digest)) continue;
      freed += await this.content.delete(b.digest);
      this.#json.delete(b.digest);
    }
    freed += await this.content.cleanIngests();
    freed += await this.snapshots.gc(keepChains);
    return freed;
  }

  // ------------------------------------------------------------------ ImageProvider
  async getImage(ref: string): Promise<LocalImage> {
    await this.init();
    const records = await this.images.list();
    const found = findImage(records, ref);
    const config = await this.#readJson<OciImageConfig>(found.id);
    const rec = found.records[0];
    const local: LocalImage = { id: found.id, config: toImageConfig(config), repoDigest: `${repositoryName(parseReference(rec.name))}@${rec.indexDigest ?? rec.manifestDigest}` };
    if (!found.byId) local.ref = rec.name;
    return local;
  }

  async #topChain(imageId: string): Promise<string | undefined> {
    const rec = (await this.images.list()).find((r) => r.id === imageId);
    if (!rec) throw new RuntimeError('NotFound', `no such image: ${imageId}`);
    const config = await this.#readJson<OciImageConfig>(imageId);
    const chains = chainIds(config.rootfs.diff_ids);
    return chains[chains.length - 1];
  }

  async prepareRootfs(key: string, imageId: string): Promise<RootfsMount[]> {
    await this.init();
    let top: string | undefined;
    try {
      top = await this.#topChain(imageId);
    } catch (e) {
      // An existing container keeps its rootfs even after a forced rmi of its image.
      const existing = await this.snapshots.mounts(key).catch(() => undefined);
      if (existing) return existing;
      throw e;
    }
    if (top === undefined) throw new RuntimeError('InvalidArgument', `image ${imageId} has no layers`);
    // prepare is idempotent: an existing snapshot of this image under `key` is returned as it is.
    return this.snapshots.prepare(key, top);
  }

  async removeRootfs(key: string): Promise<void> {
    await this.init();
    await this.snapshots.remove(key);
  }

  /** Mounts a read-only view of an image on `dir` (overlay of its layers, no upper). */
  async mountImage(ref: string, dir: string): Promise<string> {
    await this.init();
    const found = findImage(await this.images.list(), ref);
    const top = await this.#topChain(found.id);
    if (top === undefined) throw new RuntimeError('InvalidArgument', `image ${ref} has no layers`);
    const lowers = await this.snapshots.lowerDirs(top);
    // Overlay without an upper needs two lowers at least: an empty dir stands in under a single layer.
    if (lowers.length === 1) lowers.push(path.join(this.root, 'empty'));
    await mountAll([{ type: 'overlay', source: 'overlay', options: ['ro', `lowerdir=${lowers.join(':')}`] }], dir);
    return found.id;
  }

  async unmountImage(dir: string): Promise<void> {
    await unmount(dir);
  }

  /** Removes the whole root (tests). Nothing may be mounted from it. */
  async destroy(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** The OCI config's runtime part, in the CRI's camelCase. */
export function toImageConfig(c: OciImageConfig): ImageConfig {
  const k = c.config ?? {};
  const out: ImageConfig = {};
  if (k.User) out.user = k.User;
  if (k.ExposedPorts) out.exposedPorts = k.ExposedPorts;
  if (k.Env) out.env = k.Env;
  if (k.Entrypoint) out.entrypoint = k.Entrypoint;
  if (k.Cmd) out.cmd = k.Cmd;
  if (k.WorkingDir) out.workingDir = k.WorkingDir;
  if (k.Labels) out.labels = k.Labels;
  if (k.StopSignal) out.stopSignal = k.StopSignal;
  return out;
}
