// Score: prefer nodes that already have the pod's images, weighted by image size and scaled
// down by how many nodes have them (so a ubiquitous image does not pull every pod to one
// place). Kubernetes' thresholds: below 23 MB counts as nothing, 1000 MB per container is max.
import { StateKey, type CycleState } from '../../framework/cycle-state.js';
import { MAX_NODE_SCORE, type Handle, type PreScorePlugin, type ScorePlugin } from '../../framework/interfaces.js';
import { normalizeImageName, type NodeInfo, type PodInfo } from '../../framework/node-info.js';
import { skip, success, type Status } from '../../framework/status.js';

export const NAME = 'ImageLocality';

const MB = 1024 * 1024;
export const MIN_THRESHOLD = 23 * MB;
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

interface PodImages {
  /** normalized names, one per container that names an image */
  images: string[];
  containers: number;
  totalNodes: number;
}

const IMAGES = new StateKey<PodImages>('PreScoreImageLocality');

export class ImageLocality implements PreScorePlugin, ScorePlugin {
  readonly name = NAME;
  readonly #handle: Handle;

  constructor(handle: Handle) {
    this.#handle = handle;
  }

  /**
   * Normalizes the pod's image names once per cycle instead of once per node. When no node
   * has any of them, every node would score 0: Skip, and Score is not run this cycle.
   */
  preScore(state: CycleState, pod: PodInfo): Status {
    const images = this.#podImages(pod);
    const snapshot = this.#handle.snapshot();
    if (!images.images.some((name) => snapshot.imageNodeCount(name) > 0)) return skip();
    state.write(IMAGES, images);
    return success();
  }

  #podImages(pod: PodInfo): PodImages {
    const containers = [...(pod.pod.spec.initContainers ?? []), ...pod.pod.spec.containers];
    return {
      images: containers.flatMap((c) => (c.image ? [normalizeImageName(c.image)] : [])),
      containers: containers.length,
      totalNodes: this.#handle.snapshot().list().length,
    };
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    if (node.images.size === 0) return 0;
    const p = state.read(IMAGES) ?? this.#podImages(pod);
    const snapshot = this.#handle.snapshot();
    let sum = 0;
    for (const name of p.images) {
      const size = node.images.get(name);
      if (size === undefined || p.totalNodes === 0) continue;
      sum += size * (snapshot.imageNodeCount(name) / p.totalNodes);
    }
    const max = MAX_CONTAINER_THRESHOLD * Math.max(1, p.containers);
    const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), max);
    return Math.floor((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
  }
}
