// The kubelet's answers about its node's images (GET /images, POST /images/prune), read by
// `skiff images` and `skiff prune` through the API server's node proxy. The runtime's CRI
// Image carries more (uid, spec); these are the fields a client may rely on.

/** One image of GET /images {"images": [...]}: the CRI Image as JSON. */
export interface NodeImage {
  /** Image ID: the config digest ("sha256:<hex>"), as Docker shows it. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** Sum of the compressed layer sizes plus config (what a pull transfers). */
  size: number;
  /** Creation time from the image config (RFC 3339). */
  created?: string;
  pinned?: boolean;
}

export interface NodeImageList {
  images: NodeImage[];
}

/** POST /images/prune, and the runtime's own prune. */
export interface PruneReport {
  imagesDeleted: string[];
  containersDeleted?: string[];
  spaceReclaimed: number;
}
