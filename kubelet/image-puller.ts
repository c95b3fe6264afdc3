// Images by imagePullPolicy (Kubernetes' images.imageManager.EnsureImageExists): decide
// whether to pull, pull with events Pulling / Pulled (with duration and size) / Failed, and
// keep a per pod+image backoff so a failing pull shows ErrImagePull, then ImagePullBackOff.
// A pull tries the pod's image pull secrets that match the image, then the node's own
// credentials (planPullCredentials), moving on when the registry answers 401 or 403.
import type { Container, Pod } from '../api/types/core.js';
import { isRuntimeError, RuntimeError, type ImageService } from '../runtime/cri.js';
import type { Backoff } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { containerFieldPath, type EventRecorder } from './events.js';
import { planPullCredentials, type PullAttempt } from './pull-credentials.js';
import { noSecrets, podPullSecrets, type GetSecret } from './pull-secrets.js';
import { pullsInProgressOf, type PullsInProgress } from './pulls-in-progress.js';

export type PullOutcome =
  | { ok: true; imageRef: string }
  | { ok: false; reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName'; message: string; retryAfterMs?: number };

export interface ImagePullerOptions {
  images: ImageService;
  recorder: EventRecorder;
  backoff: Backoff;
  clock?: Clock;
  /** Reads a pod's image pull secrets (noSecrets until the Secret kind is served). */
  getSecret?: GetSecret;
  /** Where pulls in progress are published for the kubelet server; by default the one its ImageService carries. */
  pulls?: PullsInProgress;
}

/** The API server's default: Always for ":latest" or no tag (and no digest), else IfNotPresent. */
export function pullPolicyOf(c: Container): 'Always' | 'IfNotPresent' | 'Never' {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const image = c.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const tagAt = image.indexOf(':', lastSlash + 1);
  const tag = tagAt < 0 ? '' : image.slice(tagAt + 1);
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
}

export class ImagePuller {
  readonly #o: ImagePullerOptions;
  readonly #clock: Clock;
  readonly #pulls: PullsInProgress;

  constructor(opts: ImagePullerOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#pulls = opts.pulls ?? pullsInProgressOf(opts.images);
  }

  async ensureImage(pod: Pod, c: Container, init: boolean): Promise<PullOutcome> {
    const { images, recorder, backoff } = this.#o;
    const image = c.image ?? '';
    const field = containerFieldPath(c.name, init);
    if (!image) return { ok: false, reason: 'InvalidImageName', message: `container ${c.name} has no image` };
    const policy = pullPolicyOf(c);
    const present = (await images.imageStatus({ image })).image;
    const pull = policy === 'Always' || (policy === 'IfNotPresent' && !present);
    if (!pull) {
      if (present) {
        recorder.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, field);
        return { ok: true, imageRef: present.id };
      }
      const message = `Container image "${image}" is not present with pull policy of Never`;
      recorder.event(pod, 'Warning', 'ErrImageNeverPull', message, field);
      return { ok: false, reason: 'ErrImageNeverPull', message };
    }
    const key = `${pod.metadata.uid ?? ''}/${image}`;
    const now = this.#clock.now();
    if (backoff.isInBackOffSinceUpdate(key, now)) {
      const message = `Back-off pulling image "${image}"`;
      recorder.event(pod, 'Normal', 'BackOff', message, field);
      return { ok: false, reason: 'ImagePullBackOff', message, retryAfterMs: backoff.get(key) };
    }
    // Published before the Pulling event is recorded: whoever the event sends to follow the
    // pull (skiff run --wait) finds it.
    const attempts = await this.#attempts(pod, image, field);
    const tracker = this.#pulls.begin(image);
    recorder.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, field);
    const started = this.#clock.now();
    try {
      let imageRef: string;
      try {
        imageRef = await this.#pullTrying(image, attempts, (p) => tracker.progress(p));
        tracker.end({ image: imageRef });
      } catch (e) {
        tracker.end({ error: e instanceof Error ? e.message : String(e) });
        throw e;
      }
      const took = this.#clock.now() - started;
      const size = (await images.imageStatus({ image })).image?.size;
      recorder.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${seconds(took)}${size !== undefined ? `. Image size: ${size} bytes.` : ''}`, field);
      backoff.reset(key);
      return { ok: true, imageRef };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      recorder.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${msg}`, field);
      const delay = backoff.next(key, this.#clock.now());
      return { ok: false, reason: 'ErrImagePull', message: msg, retryAfterMs: delay };
    }
  }

  /** The credentials to try; a pull secret that gives nothing is a warning, as in Kubernetes. */
  async #attempts(pod: Pod, image: string, field: string): Promise<PullAttempt[]> {
    if (!pod.spec?.imagePullSecrets?.length) return planPullCredentials(image, []).attempts;
    const { payloads, missing } = await podPullSecrets(pod, this.#o.getSecret ?? noSecrets);
    if (missing.length) {
      this.#o.recorder.event(pod, 'Warning', 'FailedToRetrieveImagePullSecret', `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`, field);
    }
    const plan = planPullCredentials(image, payloads);
    if (plan.problems.length) this.#o.recorder.event(pod, 'Warning', 'FailedToRetrieveImagePullSecret', `Ignored malformed image pull secret entries: ${plan.problems.join('; ')}`, field);
    return plan.attempts;
  }

  /**
   * Pulls with each credential in turn: a 401 or 403 moves on to the next, anything else ends
   * it. The last refusal is the error, naming what was tried when there was more than one.
   */
  async #pullTrying(image: string, attempts: PullAttempt[], onProgress: NonNullable<Parameters<ImageService['pullImage']>[1]>['onProgress']): Promise<string> {
    for (let i = 0; ; i++) {
      const { auth } = attempts[i];
      try {
        return await this.#o.images.pullImage({ image }, { ...(auth ? { auth } : {}), onProgress });
      } catch (e) {
        if (!isRuntimeError(e) || (e.kind !== 'Unauthenticated' && e.kind !== 'PermissionDenied')) throw e;
        if (i + 1 < attempts.length) continue;
        if (attempts.length === 1) throw e;
        throw new RuntimeError(e.kind, `${e.message} (tried ${attempts.map((a) => a.from).join(', then ')})`, { cause: e });
      }
    }
  }
}
