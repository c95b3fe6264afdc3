// What the container half of the runtime needs from the image half: a local image's
// config, and a writable root filesystem for a container as mounts (containerd's
// snapshotter vocabulary: the provider returns mounts and mounts nothing itself).
import type { ImageConfig } from './cri.js';

export interface RootfsMount {
  /** "overlay" or "bind" */
  type: string;
  source: string;
  /** mount(8) options, e.g. ["lowerdir=a:b", "upperdir=u", "workdir=w"] */
  options: string[];
}

export interface LocalImage {
  /** Image ID: "sha256:<config digest hex>" */
  id: string;
  /** The normalised reference it was asked for, when it was asked for by name. */
  ref?: string;
  /** "name@sha256:<manifest digest>" when known (imageRef / imageID in pod status). */
  repoDigest?: string;
  config: ImageConfig;
}

export interface ImageProvider {
  /** Resolves a reference, full ID or unique ID prefix to an image present locally; RuntimeError NotFound otherwise. */
  getImage(ref: string): Promise<LocalImage>;
  /** Creates (idempotently) the active snapshot `key` on top of the image's layers: a writable upper over read-only lowers. */
  prepareRootfs(key: string, imageId: string): Promise<RootfsMount[]>;
  /** Removes the active snapshot `key` (its upper and work dirs). Idempotent. */
  removeRootfs(key: string): Promise<void>;
}
