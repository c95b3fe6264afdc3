// Why a container could not be started on the last sync (Kubernetes' ReasonCache):
// CrashLoopBackOff, ErrImagePull, ImagePullBackOff, CreateContainerError, ... The status code
// shows it as the container's waiting reason until a start succeeds.

export interface WaitingReason {
  reason: string;
  message: string;
}

export class ReasonCache {
  readonly #m = new Map<string, WaitingReason>();

  static #key(podUid: string, container: string): string {
    return `${podUid}/${container}`;
  }

  set(podUid: string, container: string, r: WaitingReason): void {
    this.#m.set(ReasonCache.#key(podUid, container), r);
  }

  get(podUid: string, container: string): WaitingReason | undefined {
    return this.#m.get(ReasonCache.#key(podUid, container));
  }

  remove(podUid: string, container: string): void {
    this.#m.delete(ReasonCache.#key(podUid, container));
  }

  forgetPod(podUid: string): void {
    for (const k of this.#m.keys()) if (k.startsWith(`${podUid}/`)) this.#m.delete(k);
  }
}
