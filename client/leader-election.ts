// Leader election through a coordination.k8s.io/v1 Lease, as client-go's leaderelection
// does it: try to acquire or renew every retry period; a lease held by someone else is
// taken over only after it went unrenewed for its whole duration as observed on OUR clock
// (so clock skew between replicas does not matter); a leader that cannot renew within the
// renew deadline stops leading. Updates carry the resourceVersion, so two candidates racing
// for one lease cannot both win: the loser gets 409 Conflict.
import { isApiError } from '../api/errors.js';
import type { Lease } from '../api/types/coordination.js';
import { abortableDelay } from './delay.js';
import type { RestClient } from './rest.js';
import { microTime } from '../api/time.js';

export interface LeaderElectionOptions {
  client: RestClient;
  namespace: string;
  name: string;
  /** Unique per replica (hostname + pid + random, typically). */
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Give the lease up on cancel so the next replica need not wait a whole lease duration. */
  releaseOnCancel?: boolean;
  /** Called when this replica becomes leader; `signal` aborts when it stops leading. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  onStoppedLeading?: () => void;
  onNewLeader?: (identity: string) => void;
  onError?: (err: unknown) => void;
}

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'onNewLeader' | 'onStoppedLeading' | 'onError'>> &
    Pick<LeaderElectionOptions, 'onNewLeader' | 'onStoppedLeading' | 'onError'>;
  #observed: { holder: string; renewTime: string; at: number } | undefined;
  #lastLeader = '';
  #leading = false;

  constructor(options: LeaderElectionOptions) {
    this.#o = {
      leaseDurationSeconds: 15,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releaseOnCancel: true,
      ...options,
    };
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** The holder this replica last saw in the lease. */
  get leader(): string {
    return this.#lastLeader;
  }

  /**
   * Campaigns until `signal` aborts: acquires, leads (calling onStartedLeading), and when
   * leadership is lost campaigns again. Resolves once cancelled (and the lease released).
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.#tryAcquireOrRenew())) {
        await abortableDelay(this.#o.retryPeriodMs, signal);
        continue;
      }
      await this.#lead(signal);
    }
  }

  async #lead(signal: AbortSignal): Promise<void> {
    const leading = new AbortController();
    const stopLeading = () => leading.abort();
    signal.addEventListener('abort', stopLeading, { once: true });
    this.#leading = true;
    try {
      void Promise.resolve(this.#o.onStartedLeading(leading.signal)).catch((err: unknown) => this.#o.onError?.(err));
      let lastRenew = Date.now();
      while (!leading.signal.aborted) {
        await abortableDelay(this.#o.retryPeriodMs, leading.signal);
        if (leading.signal.aborted) break;
        if (await this.#tryAcquireOrRenew()) {
          lastRenew = Date.now();
        } else if (this.#lastLeader !== this.#o.identity || Date.now() - lastRenew > this.#o.renewDeadlineMs) {
          break; // someone else holds it, or we could not renew in time: stop acting as leader
        }
      }
    } finally {
      signal.removeEventListener('abort', stopLeading);
      leading.abort();
      this.#leading = false;
      this.#o.onStoppedLeading?.();
      if (signal.aborted && this.#o.releaseOnCancel) await this.#release();
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity, leaseDurationSeconds } = this.#o;
    const now = microTime(Date.now());
    let lease: Lease;
    try {
      lease = await client.leases.get(name, { namespace });
    } catch (err) {
      if (!isApiError(err, 'NotFound')) {
        this.#o.onError?.(err);
        return false;
      }
      try {
        await client.leases.create(
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
          },
          { namespace },
        );
        this.#setLeader(identity);
        return true;
      } catch (createErr) {
        if (!isApiError(createErr, 'AlreadyExists')) this.#o.onError?.(createErr);
        return false;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const renewTime = spec.renewTime ?? '';
    if (!this.#observed || this.#observed.holder !== holder || this.#observed.renewTime !== renewTime) {
      this.#observed = { holder, renewTime, at: Date.now() };
    }
    this.#setLeader(holder);
    const duration = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder && holder !== identity && this.#observed.at + duration > Date.now()) return false;
    const takingOver = holder !== identity;
    const next: Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: now,
        acquireTime: takingOver ? now : (spec.acquireTime ?? now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver ? 1 : 0),
      },
    };
    try {
      const saved = await client.leases.update(next, { namespace });
      this.#observed = { holder: identity, renewTime: saved.spec?.renewTime ?? now, at: Date.now() };
      this.#setLeader(identity);
      return true;
    } catch (err) {
      if (!isApiError(err, 'Conflict')) this.#o.onError?.(err);
      return false;
    }
  }

  #setLeader(holder: string): void {
    if (holder && holder !== this.#lastLeader) {
      this.#lastLeader = holder;
      this.#o.onNewLeader?.(holder);
    }
  }

  /** Empties holderIdentity so another replica can take over at its next retry. */
  async #release(): Promise<void> {
    const { client, namespace, name, identity } = this.#o;
    try {
      const lease = await client.leases.get(name, { namespace });
      if (lease.spec?.holderIdentity !== identity) return;
      await client.leases.update({ ...lease, spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(Date.now()) } }, { namespace });
    } catch (err) {
      this.#o.onError?.(err);
    }
  }
}
