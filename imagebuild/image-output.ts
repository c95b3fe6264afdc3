// The built image: the target stage's config and layers written as an OCI image (config,
// manifest) into the node's content store and recorded under its tags, so `skiff cri run`
// and the kubelet on this node can use it at once; and pushed to a registry on request.
import type { ImageService } from '../runtime/image-service.js';
import { MEDIA, type Manifest, type OciImageConfig } from '../runtime/images/media-types.js';
import { pushImage } from '../runtime/images/pusher.js';
import { parseReference } from '../runtime/images/reference.js';
import type { StageState } from './stage.js';

export interface BuiltImage {
  /** "sha256:<config digest>". */
  imageId: string;
  manifestDigest: string;
  manifest: Manifest;
  manifestBytes: Buffer;
  config: OciImageConfig;
}

export async function storeImage(images: ImageService, state: StageState, tags: string[]): Promise<BuiltImage> {
  const times = state.history.map((h) => h.created).filter((c): c is string => typeof c === 'string').sort();
  const config: OciImageConfig = {
    created: times[times.length - 1] ?? state.created ?? new Date(0).toISOString(),
    ...(state.author ? { author: state.author } : {}),
    architecture: state.architecture,
    os: state.os,
    config: state.config,
    rootfs: { type: 'layers', diff_ids: [...state.diffIds] },
    history: state.history,
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = await images.content.writeBuffer(configBytes);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: configBytes.length },
    layers: state.layers,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = await images.content.writeBuffer(manifestBytes);
  for (const t of tags) await images.importImage(t, manifestDigest);
  return { imageId: configDigest, manifestDigest, manifest, manifestBytes, config };
}

export interface PushResult {
  ref: string;
  digest: string;
  uploaded: number;
  skipped: number;
}

/** Pushes the image under each tag (blobs the registry has are skipped by the pusher). */
export async function pushBuiltImage(images: ImageService, image: BuiltImage, tags: string[]): Promise<PushResult[]> {
  await images.init();
  const out: PushResult[] = [];
  for (const t of tags) {
    const ref = parseReference(t);
    const r = await pushImage(images.registryClient, images.content, ref, { manifestBytes: image.manifestBytes, mediaType: MEDIA.ociManifest, config: image.manifest.config, layers: image.manifest.layers });
    out.push({ ref: t, ...r });
  }
  return out;
}
