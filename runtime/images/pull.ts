// Pulling an image: resolve the reference to a platform manifest, fetch the config, then
// for every layer whose snapshot is missing fetch the blob (bounded parallelism, each blob
// once even when several pulls want it) and unpack it into its snapshot (layers in
// parallel, diffIDs checked), and finally record the image. Importing is the same without
// the registry: every blob is already in the content store.
import type { Logger } from 'pino';
import { RuntimeError, type PullImageOptions, type PullProgress } from '../cri.js';
import type { ContentStore } from './content-store.js';
import type { ImageStore } from './image-store.js';
import type { Leases } from './leases.js';
import { layerCompression, type Descriptor, type Manifest, type OciImageConfig } from './media-types.js';
import { formatReference, parseReference } from './reference.js';
import { parsePlatform, toRegistryAuth, type RegistryClient } from './registry-client.js';
import type { Semaphore } from './semaphore.js';
import { chainIds, type Snapshotter } from './snapshots.js';
import { unpackLayer } from './unpack.js';

export interface PullDeps {
  content: ContentStore;
  snapshots: Snapshotter;
  images: ImageStore;
  client: RegistryClient;
  downloads: Semaphore;
  /** digest -> the fetch in flight, shared by concurrent pulls */
  inflight: Map<string, Promise<boolean>>;
  /** Digests and chainIDs a pull in progress relies on: gc keeps them. */
  leases: Leases;
  logger?: Logger;
}

/** Checks a manifest's config against its layers; returns the diffIDs. */
export function checkImage(manifest: Manifest, config: OciImageConfig): string[] {
  const diffIds = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIds)) throw new RuntimeError('InvalidArgument', 'image config has no rootfs.diff_ids');
  if (diffIds.length !== manifest.layers.length) throw new RuntimeError('InvalidArgument', `image config lists ${diffIds.length} diffIDs for ${manifest.layers.length} layers`);
  for (const l of manifest.layers) {
    if (layerCompression(l.mediaType) === undefined) throw new RuntimeError('InvalidArgument', `layer ${l.digest} has unsupported media type ${l.mediaType}`);
  }
  return diffIds;
}

/** Pulls `input`; a failure says which image ("pull 127.0.0.1:5000/app:1: 127.0.0.1:5000 answered 401 ..."). */
export async function pullImage(deps: PullDeps, input: string, options: PullImageOptions = {}): Promise<string> {
  try {
    return await pull(deps, input, options);
  } catch (e) {
    if (!(e instanceof RuntimeError) || options.signal?.aborted) throw e;
    throw new RuntimeError(e.kind, `pull ${input}: ${e.message}`, { cause: e });
  }
}

async function pull(deps: PullDeps, input: string, options: PullImageOptions): Promise<string> {
  const ref = parseReference(input);
  const auth = toRegistryAuth(options.auth);
  const emit = (p: PullProgress) => options.onProgress?.(p);
  const resolved = await deps.client.resolve(ref, { auth, platform: parsePlatform(options.platform), signal: options.signal });
  const { manifest, endpoint } = resolved;
  emit({ digest: resolved.manifestDigest, kind: 'manifest', status: 'done', bytesDone: resolved.manifestBytes.length, bytesTotal: resolved.manifestBytes.length });
  const release = await deps.leases.hold([resolved.manifestDigest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]);
  let releaseChains = async () => {};
  try {
    const fetch = (d: Descriptor, kind: PullProgress['kind']) =>
      fetchOnce(deps, d.digest, () =>
        deps.downloads.run(() =>
          deps.client.fetchBlob(endpoint, ref.path, d, deps.content, {
            auth,
            signal: options.signal,
            onProgress: (p) => emit({ digest: d.digest, kind, status: 'downloading', bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }),
          }),
        ),
      );
    await fetch(manifest.config, 'config');
    const config = await deps.content.readJson<OciImageConfig>(manifest.config.digest);
    const diffIds = checkImage(manifest, config);
    const chains = chainIds(diffIds);
    releaseChains = await deps.leases.hold(chains);
    for (const l of manifest.layers) emit({ digest: l.digest, kind: 'layer', status: 'waiting', bytesDone: 0, bytesTotal: l.size });
    // One read of the snapshot index answers "already unpacked?" for every layer (the warm path).
    const present = new Set((await deps.snapshots.list()).committed.map((c) => c.chainId));
    await settleAll(
      manifest.layers.map(async (l, i) => {
        if (present.has(chains[i])) {
          emit({ digest: l.digest, kind: 'layer', status: 'exists', bytesDone: l.size, bytesTotal: l.size });
          return;
        }
        const fetched = await fetch(l, 'layer');
        emit({ digest: l.digest, kind: 'layer', status: fetched ? 'done' : 'exists', bytesDone: l.size, bytesTotal: l.size });
        await unpackInto(deps, l, chains, diffIds, i, () => emit({ digest: l.digest, kind: 'layer', status: 'extracting', bytesDone: l.size, bytesTotal: l.size }));
        emit({ digest: l.digest, kind: 'layer', status: 'extracted', bytesDone: l.size, bytesTotal: l.size });
      }),
    );
    await deps.content.writeBuffer(resolved.manifestBytes, resolved.manifestDigest);
    if (resolved.indexBytes && resolved.indexDigest) await deps.content.writeBuffer(resolved.indexBytes, resolved.indexDigest);
    const name = formatReference(ref);
    const had = await deps.images.get(name);
    // An up-to-date pull changes nothing (and takes no lock).
    if (!had || had.manifestDigest !== resolved.manifestDigest || had.indexDigest !== resolved.indexDigest) {
      await deps.images.put({
        name,
        manifestDigest: resolved.manifestDigest,
        manifestMediaType: resolved.manifestMediaType,
        id: manifest.config.digest,
        ...(resolved.indexDigest ? { indexDigest: resolved.indexDigest } : {}),
        stored: new Date().toISOString(),
      });
    }
    deps.logger?.info({ image: formatReference(ref), id: manifest.config.digest, endpoint: endpoint.base }, 'pulled image');
    return manifest.config.digest;
  } finally {
    await release();
    await releaseChains();
  }
}

function unpackInto(deps: PullDeps, l: Descriptor, chains: string[], diffIds: string[], i: number, onStart: () => void): Promise<unknown> {
  return deps.snapshots.ensureCommitted(chains[i], i > 0 ? chains[i - 1] : undefined, diffIds[i], async (dir) => {
    onStart();
    try {
      return await unpackLayer(deps.content.blobPath(l.digest), dir, diffIds[i]);
    } catch (e) {
      throw e instanceof RuntimeError ? new RuntimeError(e.kind, `layer ${l.digest}: ${e.message}`, { cause: e }) : e;
    }
  });
}

/** Like Promise.all, but a failure is reported only once every layer has stopped: a failed pull leaves no work running behind it. */
async function settleAll(ps: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(ps);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function fetchOnce(deps: PullDeps, digest: string, fn: () => Promise<boolean>): Promise<boolean> {
  const running = deps.inflight.get(digest);
  if (running) return running.then(() => false);
  const p = fn();
  deps.inflight.set(digest, p);
  const done = () => deps.inflight.delete(digest);
  p.then(done, done);
  return p;
}

/** Records an image whose manifest, config and layer blobs are already in the content store. */
export async function importImage(deps: PullDeps, input: string, manifestDigest: string): Promise<string> {
  const ref = parseReference(input);
  const manifest = await deps.content.readJson<Manifest>(manifestDigest);
  const config = await deps.content.readJson<OciImageConfig>(manifest.config.digest);
  const diffIds = checkImage(manifest, config);
  const chains = chainIds(diffIds);
  const release = await deps.leases.hold([manifestDigest, manifest.config.digest, ...manifest.layers.map((l) => l.digest), ...chains]);
  try {
    await settleAll(
      manifest.layers.map(async (l, i) => {
        if (await deps.snapshots.committed(chains[i])) return;
        if (!(await deps.content.has(l.digest))) throw new RuntimeError('NotFound', `import ${input}: layer ${l.digest} is not in the content store`);
        await unpackInto(deps, l, chains, diffIds, i, () => undefined);
      }),
    );
    await deps.images.put({
      name: formatReference(ref),
      manifestDigest,
      manifestMediaType: manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
      id: manifest.config.digest,
      stored: new Date().toISOString(),
    });
    return manifest.config.digest;
  } finally {
    await release();
  }
}
