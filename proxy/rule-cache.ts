// Every Service's share of the rule set, kept between syncs, as kube-proxy's partial syncs keep
// theirs: a change to one Service (or one of its EndpointSlices) builds that Service's rules
// again and nothing else. What changed is found per chain: the Service's own chains that
// differ are written, those it no longer has are deleted, and a shared chain (SERVICES,
// NODEPORTS, EXTERNAL-SERVICES) is written again, from every Service's lines, only when this
// Service's lines in it changed. A full sync (`rebuild`) builds everything again.
import { assembleRules, buildServiceRules, sharedChain, sharedChains, type ProxyRulesConfig, type RuleSet, type TableName } from './rules.js';
import { sameRules, type RuleChange } from './restore-payload.js';
import type { ServicePortInfo } from './service-ports.js';

const TABLES: TableName[] = ['filter', 'nat'];

interface ServiceEntry {
  ports: ServicePortInfo[];
  rules: RuleSet;
}

export interface ServiceUpdate {
  change: RuleChange;
  /** The changed Services' ports before and after (for the conntrack flushes). */
  before: ServicePortInfo[];
  after: ServicePortInfo[];
}

export class ServiceRuleCache {
  readonly #cfg: ProxyRulesConfig;
  readonly #shared: Record<TableName, string[]>;
  #services = new Map<string, ServiceEntry>();
  #ordered: RuleSet[] | undefined;

  constructor(cfg: ProxyRulesConfig) {
    this.#cfg = cfg;
    this.#shared = sharedChains(cfg.tag);
  }

  /** Services with rules now. */
  get size(): number {
    return this.#services.size;
  }

  /** Every Service's rules built again from its ports (`ns/name` → ports): the whole rule set. */
  rebuild(ports: Map<string, ServicePortInfo[]>): RuleSet {
    this.#services = new Map();
    this.#ordered = undefined;
    for (const [key, p] of ports) if (p.length) this.#services.set(key, { ports: p, rules: buildServiceRules(p, this.#cfg) });
    return assembleRules(this.#inOrder(), this.#cfg);
  }

  /** These Services' rules built again (no ports: the Service is gone); the chains to write and delete. */
  update(changed: Map<string, ServicePortInfo[]>): ServiceUpdate {
    const change: RuleChange = { write: { filter: new Map(), nat: new Map() }, remove: { filter: new Set(), nat: new Set() } };
    const sharedDirty: Record<TableName, Set<string>> = { filter: new Set(), nat: new Set() };
    const before: ServicePortInfo[] = [];
    const after: ServicePortInfo[] = [];
    for (const [key, ports] of changed) {
      const old = this.#services.get(key);
      const rules = buildServiceRules(ports, this.#cfg);
      before.push(...(old?.ports ?? []));
      after.push(...ports);
      if (ports.length) this.#services.set(key, { ports, rules });
      else this.#services.delete(key);
      if (!old || !ports.length) this.#ordered = undefined;
      else if (this.#ordered) this.#ordered[this.#ordered.indexOf(old.rules)] = rules;
      for (const t of TABLES) {
        const shared = this.#shared[t];
        for (const [c, lines] of rules[t]) {
          if (sameRules(old?.rules[t].get(c), lines)) continue;
          if (shared.includes(c)) sharedDirty[t].add(c);
          else change.write[t].set(c, lines);
        }
        for (const c of old?.rules[t].keys() ?? []) {
          if (rules[t].has(c)) continue;
          if (shared.includes(c)) sharedDirty[t].add(c);
          else change.remove[t].add(c);
        }
      }
    }
    for (const t of TABLES) for (const c of sharedDirty[t]) change.write[t].set(c, sharedChain(t, c, this.#inOrder(), this.#cfg));
    return { change, before, after };
  }

  /** Every Service's rules, ordered by `ns/name` (the shared chains' order). */
  #inOrder(): RuleSet[] {
    this.#ordered ??= [...this.#services.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e.rules);
    return this.#ordered;
  }
}
