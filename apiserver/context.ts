// What every handler works with: the server-wide parts (store, key layout, watch caches,
// logger) and the per-request record (what is asked, by whom, and what authz said).
import type { Logger } from 'pino';
import type { DefaultTolerationSeconds } from '../api/defaults.js';
import type { ResourceInfo } from '../api/resources.js';
import type { Decision } from './auth/authorize.js';
import type { UserInfo } from './auth/user.js';
import type { RequestInfo } from './request-info.js';
import type { ResourceMetrics } from './resource-metrics.js';
import type { ServiceAllocator } from './service-allocator.js';
import type { EtcdStore } from './storage/etcd-store.js';
import type { KeyLayout } from './storage/keys.js';
import type { WatchCache } from './storage/watch-cache.js';

export interface ApiContext {
  store: EtcdStore;
  keys: KeyLayout;
  caches: Map<string, WatchCache>;
  log: Logger;
  /** How often a watch that allows bookmarks gets one. */
  bookmarkIntervalMs: number;
  /** The DefaultTolerationSeconds admission plugin's seconds (kube's --default-not-ready/unreachable-toleration-seconds). */
  defaultTolerationSeconds?: DefaultTolerationSeconds;
  authorize(user: UserInfo, info: RequestInfo, fieldSelector?: string, nameOverride?: string): Decision;
  /** Cluster IPs and node ports for Services (service-allocator.ts). */
  services?: ServiceAllocator;
  /** metrics.k8s.io's readings of the kubelets (resource-metrics.ts); without it the group answers 503. */
  metrics?: ResourceMetrics;
}

export interface RequestContext {
  info: RequestInfo;
  resource: ResourceInfo;
  user: UserInfo;
  decision: Decision;
  query: Record<string, string | undefined>;
  /** Warning: headers to send with the answer. */
  warnings: string[];
  /** The Accept header (a Table may be asked for). */
  accept?: string;
}

export function cacheFor(ctx: ApiContext, r: ResourceInfo): WatchCache {
  const c = ctx.caches.get(r.plural);
  if (!c) throw new Error(`no watch cache for ${r.plural}`);
  return c;
}
