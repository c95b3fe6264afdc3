// FROM <image>: the base image's layers, config and history, taken from the node's image
// store, pulled through the ImageService (registries.yaml mirrors and auth) when missing.
import type { Writable } from 'node:stream';
import type { ImageService } from '../runtime/image-service.js';
import type { Manifest, OciImageConfig } from '../runtime/images/media-types.js';
import { DEFAULT_PATH, DEFAULT_SHELL, type StageState } from './stage.js';

/** FROM scratch: no layers; the config gets the default PATH, as BuildKit and buildah give it. */
export function emptyState(): StageState {
  return { layers: [], diffIds: [], config: { Env: [DEFAULT_PATH] }, history: [], architecture: 'amd64', os: 'linux', args: new Map(), shell: [...DEFAULT_SHELL], cmdSet: false };
}

export async function baseImageState(images: ImageService, ref: string, output: Writable, options: { pull?: boolean } = {}): Promise<StageState> {
  if (ref.toLowerCase() === 'scratch') return emptyState();
  let status = await images.imageStatus({ image: ref }, true);
  if (!status.image || options.pull) {
    output.write(`pulling ${ref}\n`);
    await images.pullImage({ image: ref });
    status = await images.imageStatus({ image: ref }, true);
  }
  const info = status.info as { imageConfig: OciImageConfig; manifest: Manifest } | undefined;
  if (!status.image || !info) throw new Error(`base image ${ref} is not in the image store after pulling it`);
  const c = info.imageConfig;
  return {
    layers: [...info.manifest.layers],
    diffIds: [...c.rootfs.diff_ids],
    config: structuredClone(c.config ?? {}),
    history: structuredClone(c.history ?? []),
    architecture: c.architecture,
    os: c.os,
    created: c.created,
    args: new Map(),
    shell: [...DEFAULT_SHELL],
    cmdSet: false,
  };
}
