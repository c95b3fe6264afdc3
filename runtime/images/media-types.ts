// The manifest and layer media types of Docker v2 schema2 and the OCI image spec, and the
// JSON shapes skiff reads from them (only the fields it uses).
export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
} as const;

export const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.dockerManifestList, MEDIA.ociManifest, MEDIA.dockerManifest];

export function isIndexType(mt: string | undefined): boolean {
  return mt === MEDIA.ociIndex || mt === MEDIA.dockerManifestList;
}

export function isManifestType(mt: string | undefined): boolean {
  return mt === MEDIA.ociManifest || mt === MEDIA.dockerManifest;
}

export type Compression = 'none' | 'gzip' | 'zstd';

/** How a layer blob is compressed, from its media type; undefined when it is not a layer type skiff knows. */
export function layerCompression(mt: string): Compression | undefined {
  switch (mt) {
    case MEDIA.ociLayer:
    case MEDIA.ociLayerNondistributable:
      return 'none';
    case MEDIA.ociLayerGzip:
    case MEDIA.ociLayerNondistributableGzip:
    case MEDIA.dockerLayerGzip:
    case MEDIA.dockerForeignLayerGzip:
      return 'gzip';
    case MEDIA.ociLayerZstd:
      return 'zstd';
    default:
      return undefined;
  }
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

/** The OCI image config (image-spec config.md); Docker's has the same fields. */
export interface OciImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: {
    User?: string;
    ExposedPorts?: Record<string, object>;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Volumes?: Record<string, object>;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean; comment?: string }[];
}
