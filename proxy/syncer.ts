// The node proxy: informers on Services and EndpointSlices (with the node's credentials), and
// on every change a sync, coalesced by a bounded-frequency runner, that writes the rule set
// with one iptables-restore --noflush. A partial sync builds again only the Services that
// changed since the last sync (an event on the Service or on one of its slices) and writes only
// their chains that differ (rule-cache.ts): one endpoint's change costs what one Service costs,
// whatever the number of Services. A full sync (at start, after a failure, and every
// fullSyncPeriod) builds every Service again and reads iptables-save first, so
// this tag's chains left by an earlier run that are no longer wanted are deleted and missing
// jumps from the built-in chains are put back. A restart therefore replaces the rules in one
// atomic write, without a moment of no rules, and established connections keep their
// conntrack entries. Removed UDP endpoints' flows are flushed after the write.
import type { Logger } from 'pino';
import type { EndpointSlice, Service } from '../api/types/service.js';
import { Informer, listWatch } from '../client/informer.js';
import type { RestClient } from '../client/rest.js';
import { BoundedRunner } from './bounded-runner.js';
import { savedTagState } from './cleanup.js';
import { conntrackFlushes } from './conntrack.js';
import { iptables as realIptables, runCommand, type Iptables } from './iptables.js';
import { prepareKernel } from './kernel.js';
import type { ProxyRulesConfig } from './rules.js';
import { ServiceRuleCache } from './rule-cache.js';
import { serviceKey, servicePorts, sliceServiceKey, type ServicePortInfo } from './service-ports.js';
import { changePayload, restorePayload } from './restore-payload.js';

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
  /** Services whose rules were built (all of them on a full sync). */
  servicesBuilt: number;
  durationMs: number;
}

export class ProxySyncer {
  readonly #o: ProxySyncerOptions;
  readonly #ipt: Iptables;
  readonly #services: Informer<Service>;
  readonly #slices: Informer<EndpointSlice>;
  readonly #runner: BoundedRunner;
  readonly #cache: ServiceRuleCache;
  /** `ns/name` of the Services changed since the last sync. */
  #dirty = new Set<string>();
  /** Each Service's slices (`ns/name` → slice key → slice), kept from the slice events. */
  readonly #slicesOf = new Map<string, Map<string, EndpointSlice>>();
  /** Each Service's ports as the last successful restore programmed them (for the conntrack flushes). */
  #programmed = new Map<string, ServicePortInfo[]>();
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
    this.#cache = new ServiceRuleCache(o.rules);
    this.#runner = new BoundedRunner(() => this.#sync(), { minIntervalMs: o.minSyncPeriodMs ?? DEFAULT_MIN_SYNC_PERIOD_MS });
    const changed = (key: string | undefined): void => {
      if (key === undefined) return;
      this.#dirty.add(key);
      // Nothing is written before both caches hold a full list: a Service seen before its
      // slices would be rejected for a moment.
      if (this.#listed) this.#runner.run();
    };
    const service = (s: Service): void => changed(serviceKey(s.metadata.namespace, s.metadata.name));
    this.#services.on('add', service);
    this.#services.on('update', service);
    this.#services.on('delete', service);
    this.#slices.on('add', (s) => changed(this.#indexSlice(s, true)));
    this.#slices.on('update', (s, old) => {
      changed(this.#indexSlice(old, false));
      changed(this.#indexSlice(s, true));
    });
    this.#slices.on('delete', (s) => changed(this.#indexSlice(s, false)));
    for (const inf of [this.#services, this.#slices] as Informer<Service | EndpointSlice>[]) {
      inf.on('error', (err) => o.logger.warn({ err: String(err) }, 'proxy: list or watch failed; retrying'));
    }
  }

  /** Adds a slice to (or drops it from) its Service's; returns that Service's key. */
  #indexSlice(slice: EndpointSlice, present: boolean): string | undefined {
    const key = sliceServiceKey(slice);
    if (key === undefined) return undefined;
    const name = slice.metadata.name ?? '';
    let of = this.#slicesOf.get(key);
    if (present) {
      if (!of) this.#slicesOf.set(key, (of = new Map()));
      of.set(name, slice);
    } else if (of?.delete(name) && !of.size) {
      this.#slicesOf.delete(key);
    }
    return key;
  }

  /** The ports of the Service `key` (none when it is gone or not proxied). */
  #portsOf(key: string): ServicePortInfo[] {
    const [ns, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
    const svc = this.#services.get(name, ns);
    return svc ? servicePorts([svc], [...(this.#slicesOf.get(key)?.values() ?? [])], this.#o.nodeName) : [];
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
    const dirty = this.#dirty;
    this.#dirty = new Set();
    try {
      let payload;
      let ports: Map<string, ServicePortInfo[]>;
      if (full) {
        ports = new Map(this.#services.list().map((s) => serviceKey(s.metadata.namespace, s.metadata.name)).map((k) => [k, this.#portsOf(k)]));
        const next = this.#cache.rebuild(ports);
        payload = restorePayload({ next, ...savedTagState(await this.#ipt.save(), tag) });
      } else {
        ports = new Map([...dirty].map((k) => [k, this.#portsOf(k)]));
        payload = changePayload(this.#cache.update(ports).change);
      }
      if (payload.text) await this.#ipt.restore(payload.text);
      this.#needFull = false;
      const before = full ? [...this.#programmed.values()].flat() : [...ports.keys()].flatMap((k) => this.#programmed.get(k) ?? []);
      const flushes = conntrackFlushes(before, [...ports.values()].flat());
      if (full) this.#programmed = new Map();
      for (const [k, p] of ports) {
        if (p.length) this.#programmed.set(k, p);
        else this.#programmed.delete(k);
      }
      for (const args of flushes) await this.#conntrack(args);
      this.#syncs++;
      this.#last = { full, chainsWritten: payload.written, chainsDeleted: payload.deleted, conntrackFlushes: flushes.length, servicesBuilt: ports.size, durationMs: Date.now() - started };
      this.#o.logger.debug({ ...this.#last, services: this.#cache.size }, 'proxy: rules synced');
    } catch (err) {
      // What the kernel holds is unknown now: the next sync reads it and writes everything.
      this.#needFull = true;
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
