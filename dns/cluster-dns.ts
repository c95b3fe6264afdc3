// The cluster DNS as the node agent runs it: informers on Services and EndpointSlices (with
// the node's credentials) feeding the zone, the server on the node's address, the forwarder
// to the node's upstreams, and the node's own kube-dns EndpointSlice.
import type { EndpointSlice, Service } from '../api/types/service.js';
import { Informer, listWatch } from '../client/informer.js';
import type { RestClient } from '../client/rest.js';
import { Forwarder } from './forwarder.js';
import { KubeDnsSliceKeeper } from './kube-dns-slice.js';
import { startDnsServer, type DnsServer } from './server.js';
import type { Upstream } from './upstreams.js';
import { ClusterZone } from './zone.js';

export interface ClusterDnsOptions {
  client: RestClient;
  /** The address served (the node's InternalIP) and its port (0: any free one). */
  host: string;
  port: number;
  /** `cluster.local`. */
  domain: string;
  /** The kube-dns ClusterIP(s): `ns.dns.<domain>`. */
  clusterDNS?: string[];
  upstreams: Upstream[];
  forwardTimeoutMs?: number;
  /** Keeps `kube-system/kube-dns-<node>` pointing here; off without a node. */
  nodeName?: string;
  /** The address that slice names, if not `host` (a slice may not name a loopback address). */
  advertiseAddress?: string;
  /** How long start() waits for the first lists before serving anyway (CoreDNS waits 5 s). */
  syncTimeoutMs?: number;
  onError?: (err: unknown) => void;
}

export class ClusterDns {
  readonly zone: ClusterZone;
  readonly #o: ClusterDnsOptions;
  readonly #services: Informer<Service>;
  readonly #slices: Informer<EndpointSlice>;
  #server: DnsServer | undefined;
  #keeper: KubeDnsSliceKeeper | undefined;

  constructor(o: ClusterDnsOptions) {
    this.#o = o;
    this.zone = new ClusterZone({ domain: o.domain, nameservers: o.clusterDNS });
    this.#services = new Informer(listWatch(o.client.resourceByName<Service>('services', '')));
    this.#slices = new Informer(listWatch(o.client.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io')));
    const z = this.zone;
    this.#services.on('add', (s) => z.setService(s));
    this.#services.on('update', (s) => z.setService(s));
    this.#services.on('delete', (s) => z.deleteService(s));
    this.#slices.on('add', (s) => z.setSlice(s));
    this.#slices.on('update', (s) => z.setSlice(s));
    this.#slices.on('delete', (s) => z.deleteSlice(s));
    const onError = o.onError ?? (() => {});
    this.#services.on('error', onError);
    this.#slices.on('error', onError);
  }

  /** The address and port served, once started. */
  get address(): { host: string; port: number } | undefined {
    return this.#server ? { host: this.#server.host, port: this.#server.port } : undefined;
  }

  async start(): Promise<{ host: string; port: number }> {
    const synced = Promise.all([this.#services.start(), this.#slices.start()]);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#o.syncTimeoutMs ?? 5000)));
    await Promise.race([synced, waited]);
    clearTimeout(timer);
    const forwarder = new Forwarder({ upstreams: this.#o.upstreams, timeoutMs: this.#o.forwardTimeoutMs });
    this.#server = await startDnsServer({ host: this.#o.host, port: this.#o.port, zone: this.zone, forwarder, onError: this.#o.onError });
    if (this.#o.nodeName) {
      this.#keeper = new KubeDnsSliceKeeper({ client: this.#o.client, nodeName: this.#o.nodeName, ip: this.#o.advertiseAddress ?? this.#o.host, port: this.#server.port, onError: this.#o.onError });
      this.#keeper.start();
    }
    return { host: this.#server.host, port: this.#server.port };
  }

  async stop(): Promise<void> {
    this.#keeper?.stop();
    await this.#server?.close();
    await Promise.all([this.#services.stop(), this.#slices.stop()]);
  }
}
