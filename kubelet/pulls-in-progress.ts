// The image pulls the kubelet is making for pods, by image reference, so its server can
// stream their progress (GET /images/pulls?image=) to `skiff run --wait`. A follower that
// joins late first gets what was seen so far (each layer's newest byte count per step), so
// its display starts from the same state as one that was there from the beginning.
import type { ImageService, PullProgress } from '../runtime/cri.js';

/** How a pull ended: the image ID, or the error's message. */
export type PullEnd = { image: string } | { error: string };

export interface PullFollower {
  onProgress(p: PullProgress): void;
  onEnd(end: PullEnd): void;
}

/** One pull's handle for the code that makes it. */
export interface PullTracker {
  progress(p: PullProgress): void;
  end(end: PullEnd): void;
}

class PullInProgress {
  /** One entry per layer and step, in the order first seen; a repeat updates its bytes. */
  readonly history: PullProgress[] = [];
  readonly #at = new Map<string, number>();
  readonly followers = new Set<PullFollower>();
  /** Pulls of the same image at once (two pods) share the entry until the last ends. */
  pullers = 0;

  record(p: PullProgress): void {
    const key = `${p.digest} ${p.status}`;
    const i = this.#at.get(key);
    if (i === undefined) {
      this.#at.set(key, this.history.length);
      this.history.push(p);
    } else this.history[i] = p;
    for (const f of this.followers) f.onProgress(p);
  }
}

export class PullsInProgress {
  readonly #pulls = new Map<string, PullInProgress>();

  /** Registers a pull of `image`; the caller reports its progress and its end through the handle. */
  begin(image: string): PullTracker {
    let pull = this.#pulls.get(image);
    if (!pull) {
      pull = new PullInProgress();
      this.#pulls.set(image, pull);
    }
    pull.pullers++;
    const entry = pull;
    let ended = false;
    return {
      progress: (p) => {
        if (!ended) entry.record(p);
      },
      end: (end) => {
        if (ended) return;
        ended = true;
        if (--entry.pullers > 0) return;
        if (this.#pulls.get(image) === entry) this.#pulls.delete(image);
        for (const f of entry.followers) f.onEnd(end);
        entry.followers.clear();
      },
    };
  }

  /**
   * Follows the pull of `image` in progress: replays what it has seen, then reports live.
   * Returns the way to stop following, or undefined when no such pull is in progress.
   */
  follow(image: string, follower: PullFollower): (() => void) | undefined {
    const pull = this.#pulls.get(image);
    if (!pull) return undefined;
    for (const p of pull.history) follower.onProgress(p);
    pull.followers.add(follower);
    return () => pull.followers.delete(follower);
  }

  inProgress(): string[] {
    return [...this.#pulls.keys()];
  }
}

// The kubelet's puller and its server are built apart (cmd/kubelet.ts, test harnesses) but
// share the ImageService: the registry hangs off it, so neither needs the other wired in.
const byImageService = new WeakMap<ImageService, PullsInProgress>();

export function pullsInProgressOf(images: ImageService): PullsInProgress {
  let pulls = byImageService.get(images);
  if (!pulls) {
    pulls = new PullsInProgress();
    byImageService.set(images, pulls);
  }
  return pulls;
}
