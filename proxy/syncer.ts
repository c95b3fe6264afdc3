// The node proxy: informers on Services and EndpointSlices (with the node's credentials), and
// on every change a sync, coalesced by a bounded-frequency runner, that writes the rule set
// with one iptables-restore --noflush: only the chains that changed since the last sync. A full
// sync (at start, after a failure, and every fullSyncPeriod) reads iptables-save first, so
// this tag's chains left by an earlier run that are no longer wanted are deleted and missing
// jumps from the built-in chains are put back. A restart therefore replaces the rules in one
// atomic write, without a moment of no rules, and established connections keep their
// conntrack entries. Removed UDP endpoints' flows are flushed after the write.
import type { Logger } from 'pino';
import type { EndpointSlice, Service } from '../api/types/service.js';
import { Informer, listWatch } from '../client/informer.js';
import type { RestClient } from '../client/rest.js';
import { BoundedRunner } from './bounded-runner.js';
import { chainsOfTag } from './cleanup.js';
import { conntrackFlushes } from './conntrack.js';
import { iptables as realIptables, runCommand, type Iptables } from './iptables.js';
import { prepareKernel } from './kernel.js';
import { parseSave } from './iptables-save.js';
import { buildRules, builtinJumps, type ProxyRulesConfig, type RuleSet } from './rules.js';
import { servicePorts, type ServicePortInfo } from './service-ports.js';
import { restorePayload } from './restore-payload.js';

export const DEFAULT_MIN_SYNC_PERIOD_MS = 1000;
export const DEFAULT_FULL_SYNC_PERIOD_MS = 3_600_000;

export interface ProxySyncerOptions {
  client: RestClient;
  nodeName: string;
  rules: ProxyRulesConfig;
  logger: Logger;
  /** Prefix of every command (`ip netns exec NAME` in tests). */
  commandPrefix?: string[];
  iptables?: Iptables;
  minSyncPeriodMs?: number;
  fullSyncPeriodMs?: number;
}

export interface SyncResult {
  full: boolean;
  chainsWritten: number;
  chainsDeleted: number;
  conntrackFlushes: number;
  durationMs: number;
}

export class ProxySyncer {
  readonly #o: ProxySyncerOptions;
  readonly #ipt: Iptables;
  readonly #services: Informer<Service>;
  readonly #slices: Informer<EndpointSlice>;
  readonly #runner: BoundedRunner;
  #written: RuleSet | undefined;
  #ports: ServicePortInfo[] = [];
  #needFull = true;
  #fullTimer: NodeJS.Timeout | undefined;
  #last: SyncResult | undefined;
  #syncs = 0;
  #listed = false;
  #stopped = false;

  constructor(o: ProxySyncerOptions) {
    this.#o = o;
    this.#ipt = o.iptables ?? realIptables(o.commandPrefix);
    this.#services = new Informer<Service>(listWatch(o.client.resourceByName<Service>('services', '')));
    this.#slices = new Informer<EndpointSlice>(listWatch(o.client.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io')));
    this.#runner = new BoundedRunner(() => this.#sync(), { minIntervalMs: o.minSyncPeriodMs ?? DEFAULT_MIN_SYNC_PERIOD_MS });
    for (const inf of [this.#services, this.#slices] as Informer<Service | EndpointSlice>[]) {
      // Nothing is written before both caches hold a full list: a Service seen before its
      // slices would be rejected for a moment.
      for (const ev of ['add', 'update', 'delete', 'synced'] as const) inf.on(ev, () => this.#listed && this.#runner.run());
      inf.on('error', (err) => o.logger.warn({ err: String(err) }, 'proxy: list or watch failed; retrying'));
    }
  }

  /** The last sync's figures (tests, logs). */
  get lastSync(): SyncResult | undefined {
    return this.#last;
  }

  /** Syncs done so far. */
  get syncs(): number {
    return this.#syncs;
  }

  /** Sets the kernel up, waits for both informers' first list, then syncs once. */
  async start(): Promise<void> {
    for (const w of await prepareKernel(this.#o.commandPrefix)) this.#o.logger.warn({}, `proxy: ${w}`);
    await Promise.all([this.#services.start(), this.#slices.start()]);
    if (this.#stopped) return;
    this.#listed = true;
    this.#runner.run();
    await this.#runner.idle();
    const period = this.#o.fullSyncPeriodMs ?? DEFAULT_FULL_SYNC_PERIOD_MS;
    this.#fullTimer = setInterval(() => {
      this.#needFull = true;
      this.#runner.run();
    }, period);
    this.#fullTimer.unref();
  }

  /** Stops watching; the rules stay (a restart takes them over), as kube-proxy's do. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#fullTimer) clearInterval(this.#fullTimer);
    this.#runner.stop();
    await this.#runner.idle();
    await Promise.all([this.#services.stop(), this.#slices.stop()]);
  }

  /** Resolves once no sync is in flight or pending. */
  idle(): Promise<void> {
    return this.#runner.idle();
  }

  async #sync(): Promise<void> {
    const started = Date.now();
    const full = this.#needFull;
    const tag = this.#o.rules.tag;
    try {
      const ports = servicePorts(this.#services.list(), this.#slices.list(), this.#o.nodeName);
      const next = buildRules(ports, this.#o.rules);
      let present;
      let missingJumps;
      if (full) {
        const save = await this.#ipt.save();
        present = chainsOfTag(save, tag);
        const saved = parseSave(save);
        missingJumps = builtinJumps(tag).filter((j) => !saved[j.table].rules.some((r) => r.chain === j.chain && r.target === j.target));
      }
      const payload = restorePayload({ next, written: full ? undefined : this.#written, present, missingJumps });
      if (payload.text) await this.#ipt.restore(payload.text);
      this.#written = next;
      this.#needFull = false;
      const flushes = conntrackFlushes(this.#ports, ports);
      this.#ports = ports;
      for (const args of flushes) await this.#conntrack(args);
      this.#syncs++;
      this.#last = { full, chainsWritten: payload.written, chainsDeleted: payload.deleted, conntrackFlushes: flushes.length, durationMs: Date.now() - started };
      this.#o.logger.debug({ ...this.#last, servicePorts: ports.length }, 'proxy: rules synced');
    } catch (err) {
      // What the kernel holds is unknown now: the next sync reads it and writes everything.
      this.#needFull = true;
      this.#written = undefined;
      this.#o.logger.error({ err: (err as Error).message }, 'proxy: sync failed; retrying with a full sync');
      throw err;
    }
  }

  async #conntrack(args: string[]): Promise<void> {
    try {
      await runCommand([...(this.#o.commandPrefix ?? []), 'conntrack', ...args]);
    } catch (e) {
      // conntrack exits non-zero when there was nothing to delete.
      if (!/0 flow entries/.test((e as Error).message)) this.#o.logger.warn({ err: (e as Error).message }, 'proxy: conntrack flush failed');
    }
  }
}
