// ClusterIP and NodePort allocation for Services. The addresses a Service holds are keys of
// their own written in the Service's Txn (storage/companion-keys.ts), so etcd itself refuses
// a second holder; this file picks free ones for what the client left empty, checks what it
// asked for against the ranges, and answers a taken or out-of-range request as Kubernetes'
// 422 with the field path. A pick that loses a race to another API server is picked again.
import type { Etcd3 } from 'etcd3';
import { randomInt } from 'node:crypto';
import { errors } from '../api/errors.js';
import type { ResourceInfo } from '../api/resources.js';
import type { KubeObject, StatusCause } from '../api/types/meta.js';
import type { Service } from '../api/types/service.js';
import { FieldPath, invalid } from '../api/validation/field.js';
import { usesNodePorts } from '../api/validation/service.js';
import { offsetOf, ipAt, staticBand, type PortRange, type ServiceIPRange } from './service-ranges.js';
import { CompanionTaken, type CompanionRule } from './storage/companion-keys.js';

/** Picks lost to another writer before one is given up on (each is a fresh look at what is taken). */
const ATTEMPTS = 16;

type Field = { kind: 'ip' } | { kind: 'nodePort'; index: number } | { kind: 'healthCheck' };

export class ServiceAllocator {
  readonly range: ServiceIPRange;
  readonly nodePorts: PortRange;
  readonly #client: Etcd3;
  readonly #ipPrefix: string;
  readonly #portPrefix: string;
  /** The fields this allocator filled in, per object: a lost race on one is picked again, a taken request is 422. */
  readonly #picked = new WeakMap<object, Field[]>();

  constructor(opts: { client: Etcd3; root: string; range: ServiceIPRange; nodePorts: PortRange }) {
    this.#client = opts.client;
    this.range = opts.range;
    this.nodePorts = opts.nodePorts;
    this.#ipPrefix = `${opts.root}/ranges/serviceips/`;
    this.#portPrefix = `${opts.root}/ranges/servicenodeports/`;
  }

  /** The keys a Service holds, for the store: each cluster IP and each node port (health check's included). */
  companionRule(servicesPrefix: string): CompanionRule {
    return {
      prefix: servicesPrefix,
      keysOf: (obj: KubeObject) => {
        const svc = obj as Service;
        const owner = `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
        const out = new Map<string, string>();
        for (const ip of svc.spec?.clusterIPs ?? []) if (ip && ip !== 'None') out.set(this.#ipPrefix + ip, owner);
        for (const p of svc.spec?.ports ?? []) if (p?.nodePort) out.set(this.#portPrefix + p.nodePort, owner);
        if (svc.spec?.healthCheckNodePort) out.set(this.#portPrefix + svc.spec.healthCheckNodePort, owner);
        return out;
      },
    };
  }

  async #taken(prefix: string): Promise<Set<string>> {
    const keys = await this.#client.getAll().prefix(prefix).keys();
    return new Set(keys.map((k) => k.slice(prefix.length)));
  }

  /**
   * Fills in what `svc` needs and lacks (a cluster IP unless ExternalName or headless, node
   * ports for NodePort and LoadBalancer, a health check port for a Local LoadBalancer), after
   * checking what it asked for against the ranges; what `old` held stays its own.
   */
  async assign(svc: Service, old?: Service): Promise<void> {
    const s = svc.spec;
    if (typeof s !== 'object' || s === null) return;
    const name = svc.metadata?.name ?? '';
    const causes: StatusCause[] = [];
    const picked: Field[] = [];
    const heldIPs = new Set(old?.spec?.clusterIPs ?? []);
    if (s.type !== 'ExternalName' && s.clusterIP !== 'None') {
      (s.ipFamilies ?? []).forEach((f, i) => {
        if (f !== 'IPv4') causes.push(invalid(FieldPath.root('spec').child('ipFamilies').index(i), f, 'not configured on this cluster'));
      });
      if (s.clusterIP && !heldIPs.has(s.clusterIP) && offsetOf(this.range, s.clusterIP) === undefined) {
        causes.push(invalid(FieldPath.root('spec').child('clusterIPs'), s.clusterIP, `failed to allocate IP ${s.clusterIP}: the provided IP (${s.clusterIP}) is not in the valid range. The range of valid IPs is ${this.range.cidr}`));
      }
      if (!s.clusterIP && causes.length === 0) {
        const ip = this.#pickIP(await this.#taken(this.#ipPrefix));
        s.clusterIP = ip;
        s.clusterIPs = [ip];
        picked.push({ kind: 'ip' });
      }
    }
    const heldPorts = new Set([...(old?.spec?.ports ?? []).map((p) => p.nodePort), old?.spec?.healthCheckNodePort].filter(Boolean));
    const outOfRange = (port: number) => !heldPorts.has(port) && (port < this.nodePorts.first || port > this.nodePorts.last);
    const rangeMessage = `provided port is not in the valid range. The range of valid ports is ${this.nodePorts.text}`;
    const ports = Array.isArray(s.ports) ? s.ports : [];
    ports.forEach((p, i) => {
      if (p?.nodePort && outOfRange(p.nodePort)) causes.push(invalid(FieldPath.root('spec').child('ports').index(i).child('nodePort'), p.nodePort, rangeMessage));
    });
    if (s.healthCheckNodePort && outOfRange(s.healthCheckNodePort)) causes.push(invalid(FieldPath.root('spec').child('healthCheckNodePort'), s.healthCheckNodePort, rangeMessage));
    if (causes.length) throw errors.invalid('Service', name, causes);
    const wantPorts = usesNodePorts(s.type) && !(s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts === false);
    const wantHealth = s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local' && !s.healthCheckNodePort;
    if ((wantPorts && ports.some((p) => p && !p.nodePort)) || wantHealth) {
      const taken = await this.#taken(this.#portPrefix);
      for (const p of ports) if (p?.nodePort) taken.add(String(p.nodePort));
      // One node port per port number: a Service's TCP and UDP port 53 share it, as Kubernetes' do.
      const byPort = new Map<number, number>();
      ports.forEach((p, i) => {
        if (!wantPorts || !p || p.nodePort) return;
        p.nodePort = byPort.get(p.port) ?? this.#pickPort(taken);
        byPort.set(p.port, p.nodePort);
        taken.add(String(p.nodePort));
        picked.push({ kind: 'nodePort', index: i });
      });
      if (wantHealth) {
        s.healthCheckNodePort = this.#pickPort(taken);
        picked.push({ kind: 'healthCheck' });
      }
    }
    this.#picked.set(svc, [...(this.#picked.get(svc) ?? []), ...picked]);
  }

  #pickIP(taken: Set<string>): string {
    const band = staticBand(this.range.size);
    // Above the static band first, then within it; from a random start, the next free one.
    for (const [lo, hi] of [[band + 1, this.range.size], [1, band]]) {
      if (lo > hi) continue;
      const n = hi - lo + 1;
      const start = randomInt(n);
      for (let i = 0; i < n; i++) {
        const ip = ipAt(this.range, lo + ((start + i) % n));
        if (!taken.has(ip)) return ip;
      }
    }
    throw errors.internal(`failed to allocate a serviceIP: range is full`);
  }

  #pickPort(taken: Set<string>): number {
    const n = this.nodePorts.last - this.nodePorts.first + 1;
    const start = randomInt(n);
    for (let i = 0; i < n; i++) {
      const port = this.nodePorts.first + ((start + i) % n);
      if (!taken.has(String(port))) return port;
    }
    throw errors.internal('failed to allocate a nodePort: range is full');
  }

  /**
   * Runs a write whose Service `assign` filled in, again while what it picked was taken by
   * someone else meanwhile; a taken address the client asked for is a 422 on its field.
   * `attempted` is the Service of the last attempt; `repick` clears what was picked in it.
   */
  async write<T>(attempted: () => Service | undefined, write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (e) {
        if (!(e instanceof CompanionTaken)) throw e;
        const svc = attempted();
        if (!svc) throw e;
        const field = this.#fieldOf(svc, e.key);
        const picked = this.#picked.get(svc) ?? [];
        const wasPicked = field !== undefined && picked.some((f) => JSON.stringify(f) === JSON.stringify(field));
        if (!wasPicked || attempt >= ATTEMPTS) throw this.#takenError(svc, field, e.key);
        this.#unpick(svc, picked);
      }
    }
  }

  #fieldOf(svc: Service, key: string): Field | undefined {
    if (key.startsWith(this.#ipPrefix)) return { kind: 'ip' };
    const port = Number(key.slice(this.#portPrefix.length));
    const index = (svc.spec?.ports ?? []).findIndex((p) => p?.nodePort === port);
    if (index >= 0) return { kind: 'nodePort', index };
    return svc.spec?.healthCheckNodePort === port ? { kind: 'healthCheck' } : undefined;
  }

  #unpick(svc: Service, picked: Field[]): void {
    for (const f of picked) {
      if (f.kind === 'ip') {
        delete svc.spec.clusterIP;
        delete svc.spec.clusterIPs;
      } else if (f.kind === 'healthCheck') delete svc.spec.healthCheckNodePort;
      else if (svc.spec.ports?.[f.index]) delete svc.spec.ports[f.index].nodePort;
    }
    this.#picked.delete(svc);
  }

  #takenError(svc: Service, field: Field | undefined, key: string) {
    const spec = FieldPath.root('spec');
    const name = svc.metadata?.name ?? '';
    if (!field || field.kind === 'ip') {
      const ip = key.slice(this.#ipPrefix.length);
      return errors.invalid('Service', name, [invalid(spec.child('clusterIPs'), ip, `failed to allocate IP ${ip}: provided IP is already allocated`)]);
    }
    const path = field.kind === 'healthCheck' ? spec.child('healthCheckNodePort') : spec.child('ports').index(field.index).child('nodePort');
    return errors.invalid('Service', name, [invalid(path, Number(key.slice(this.#portPrefix.length)), 'provided port is already allocated')]);
  }
}

/** The allocator when `r` is core/v1 Services and the server allocates; undefined otherwise. */
export function allocatorFor(ctx: { services?: ServiceAllocator }, r: ResourceInfo): ServiceAllocator | undefined {
  return r.group === '' && r.plural === 'services' ? ctx.services : undefined;
}

/** A create of `obj` (of resource `r`): a Service gets what it needs allocated, picked again after a lost race. */
export function createAllocating<T>(ctx: { services?: ServiceAllocator }, r: ResourceInfo, obj: KubeObject, write: () => Promise<T>): Promise<T> {
  const allocator = allocatorFor(ctx, r);
  if (!allocator) return write();
  return allocator.write(
    () => obj as Service,
    async () => {
      await allocator.assign(obj as Service);
      return write();
    },
  );
}
