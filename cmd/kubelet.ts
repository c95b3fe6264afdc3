// `skiff kubelet --kubeconfig F --node-name N --root DIR [--runtime-state DIR] --pod-cidr CIDR [--capacity cpu=2,memory=4Gi]
// [--node-labels k=v,...] [--max-pods 110] [--registry-config F] [--runtime crun|runc]
// [--image-gc-high-threshold 85] [--image-gc-low-threshold 80] [--image-minimum-gc-age 2m] [--event-qps 50] [--event-burst 100]
// [--sync-frequency 1m] [--proxy-mode iptables|none] [--cluster-cidr CIDR] [--proxy-chain-tag TAG]`: builds skiff's own CRI runtime on <root>/runtime (its records and
// bundles, which hold pods' env, on the tmpfs of --runtime-state) and runs the kubelet until
// SIGTERM/SIGINT. The
// pods' containers keep running when the kubelet stops; the next start re-adopts them.
// Its HTTPS server (--kubelet-port, --address, --tls-cert-file/--tls-private-key-file or a
// self-signed certificate) answers the API server alone, which proves itself with a client
// certificate issued by --client-ca-file.
// With --proxy-mode iptables it also runs the node proxy (proxy/: kube-proxy's iptables mode),
// its chains named by --proxy-chain-tag so that two clusters on one machine never share one.
import { Command, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connectionFromKubeconfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest.js';
import { DEFAULT_SYNC_FREQUENCY_MS, Kubelet } from '../kubelet/kubelet.js';
import { defaultHostIP, parseLabels, parseResourceList } from '../kubelet/node-status.js';
import { startApiRelay } from '../kubelet/api-relay.js';
import { KubeletAuthenticator } from '../kubelet/server/authn.js';
import { startKubeletServer } from '../kubelet/server/server.js';
import { DEFAULT_STREAM_IDLE_TIMEOUT_MS } from '../kubelet/server/streams.js';
import { ImageService } from '../runtime/image-service.js';
import { SkiffRuntimeService } from '../runtime/runtime-service.js';
import { parseGoDuration } from '../api/duration.js';
import { createLogger } from './log.js';
import { validateTag } from '../proxy/chain-names.js';
import { DEFAULT_MIN_SYNC_PERIOD_MS, ProxySyncer } from '../proxy/syncer.js';
import { parseResolvConf, type ResolvConf } from '../api/resolv-conf.js';
import { ClusterDns } from '../dns/cluster-dns.js';
import { upstreamsFrom } from '../dns/upstreams.js';

/** The serving certificate given by flag, or else one the kubelet signs for itself. */
async function servingCertificate(o: KubeletFlags, hostIP: string): Promise<{ cert: string | Buffer; key: string | Buffer }> {
  if (o.tlsCertFile && o.tlsPrivateKeyFile) return { cert: await readFile(o.tlsCertFile), key: await readFile(o.tlsPrivateKeyFile) };
  // Loading @peculiar/x509 costs seconds of CPU and tens of MB: only when a certificate must be made.
  const { selfSignedServingCert } = await import('../kubelet/server/self-signed.js');
  return selfSignedServingCert(o.nodeName, [hostIP, o.address].filter((h): h is string => !!h && h !== '0.0.0.0'));
}

interface KubeletFlags {
  kubeconfig?: string;
  context?: string;
  nodeName: string;
  root: string;
  runtimeState?: string;
  podCidr?: string;
  nodeIp?: string;
  capacity?: string;
  nodeLabels?: string;
  maxPods: number;
  registryConfig?: string;
  runtime?: 'crun' | 'runc';
  bridge?: string;
  cgroupParent?: string;
  kubeletPort: number;
  apiserverRelayPort: number;
  address?: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  streamingConnectionIdleTimeout: number;
  kubeletApiTokenFile?: string;
  imageGcHighThreshold: number;
  imageGcLowThreshold: number;
  imageMinimumGcAge: number;
  imageGcPeriod?: number;
  eventQps: number;
  eventBurst: number;
  syncFrequency: number;
  proxyMode: 'iptables' | 'none';
  clusterCidr?: string;
  proxyChainTag: string;
  proxyMinSyncPeriod: number;
  nodeportAddresses?: string;
  clusterDns?: string;
  clusterDomain: string;
  resolvConf: string;
  clusterDnsPort: number;
  clusterDnsServer: boolean;
}

function chainTag(v: string): string {
  validateTag(v);
  return v;
}

/** A parser of integer flags in [min, max]; anything else fails with `message: <value>`. */
function integer(min: number, max: number, message: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${message}: ${v}`);
    return n;
  };
}

const port = integer(0, 65535, 'invalid port');
const positiveInt = integer(1, Infinity, 'not a positive integer');
const nonNegativeInt = integer(0, Infinity, 'not a non-negative integer');
const percent = integer(0, 100, 'not a percent (integer 0 to 100)');

/** A Go duration as kubelet flags take them ("2m", "90s", "0"), in ms. */
const duration = parseGoDuration;

function positiveDuration(v: string): number {
  const ms = parseGoDuration(v);
  if (!(ms > 0)) throw new Error(`not a positive duration: ${v}`);
  return ms;
}

/** The node's cluster DNS on its InternalIP; a failure to start is logged, never fatal to the kubelet. */
async function startClusterDns(o: KubeletFlags, host: string, client: RestClient, clusterDNS: string[], hostResolv: ResolvConf, log: ReturnType<typeof createLogger>): Promise<ClusterDns | undefined> {
  const dns = new ClusterDns({
    client,
    host,
    port: o.clusterDnsPort,
    domain: o.clusterDomain,
    clusterDNS,
    upstreams: upstreamsFrom(hostResolv),
    nodeName: o.nodeName,
    onError: (err) => log.warn({ err }, 'cluster DNS'),
  });
  try {
    const at = await dns.start();
    log.info({ ...at, domain: o.clusterDomain }, 'cluster DNS serving');
    return dns;
  } catch (err) {
    log.error({ err, host, port: o.clusterDnsPort }, 'cluster DNS could not start');
    await dns.stop().catch(() => undefined);
    return undefined;
  }
}

export function kubeletCommand(): Command {
  return new Command('kubelet')
    .description('run the node agent: register the node and run the pods bound to it')
    .option('--kubeconfig <file>', 'kubeconfig of the API server (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('--node-name <name>', 'name of this node', os.hostname())
    .option('--root <dir>', 'kubelet state: pod volumes, logs, and the runtime under <root>/runtime', '/var/lib/skiff/kubelet')
    .option('--runtime-state <dir>', "the runtime's records, bundles and OCI state, on a tmpfs (mounted if need be; default /run/skiff/runtime-<hash of the root>)")
    .option('--pod-cidr <cidr>', 'pod IP range of this node (host-local IPAM)')
    .option('--node-ip <ip>', 'InternalIP of the node (default: first non-loopback IPv4)')
    .option('--capacity <list>', 'override capacity, e.g. cpu=2,memory=4Gi (lab nodes)')
    .option('--node-labels <list>', 'extra node labels, k=v,...')
    .addOption(new Option('--max-pods <n>', 'pods this node accepts').default(110).argParser(positiveInt))
    .option('--registry-config <file>', 'registries.yaml (mirrors, auth, TLS) in k3s format')
    .addOption(new Option('--runtime <name>', 'OCI runtime (default: crun when it works here)').choices(['crun', 'runc']))
    // Several lab nodes on one machine each need their own bridge and cgroup parent.
    .option('--bridge <name>', 'pod network bridge of this node (default: skiff0)')
    .option('--cgroup-parent <path>', 'cgroup under which pod cgroups are made (default: /skiff)')
    .addOption(new Option('--kubelet-port <n>', 'port of the kubelet HTTPS server (logs, images, stats; 0: any free one, advertised in the Node)').default(10250).argParser(port))
    .option('--address <ip>', 'address the kubelet server listens on (default: all)', '0.0.0.0')
    .addOption(
      new Option('--apiserver-relay-port <n>', "relay TCP on the node's InternalIP at this port to the API server (what the kubernetes Service's endpoints name; 0: off)")
        .default(0)
        .argParser(port),
    )
    .option('--tls-cert-file <file>', 'PEM serving certificate of the kubelet server (default: self-signed, made at start)')
    .option('--tls-private-key-file <file>', 'PEM key of --tls-cert-file')
    .option('--client-ca-file <file>', "PEM CA of the API server's client certificate, the only caller the HTTPS server serves; without it the server is off")
    // Gone: a token every node holds would open every node's pods. Refused with the way out.
    .addOption(new Option('--kubelet-api-token-file <file>').hideHelp())
    .addOption(new Option('--streaming-connection-idle-timeout <duration>', 'an exec or port-forward stream with no traffic this long is closed').default(DEFAULT_STREAM_IDLE_TIMEOUT_MS, '4h').argParser(duration))
    .addOption(new Option('--image-gc-high-threshold <percent>', 'image file system usage at or above which unused images are removed (100: never)').default(85).argParser(percent))
    .addOption(new Option('--image-gc-low-threshold <percent>', 'usage image garbage collection frees down to').default(80).argParser(percent))
    .addOption(new Option('--image-minimum-gc-age <duration>', 'minimum age of an unused image before it may be removed').default(120_000, '2m').argParser(duration))
    .addOption(new Option('--image-gc-period <duration>', 'how often image garbage collection runs (also at start-up)').default(undefined, '5m').argParser(duration))
    .addOption(new Option('--event-qps <n>', 'event writes per second at most (0: no limit); more wait their turn').default(50).argParser(nonNegativeInt))
    .addOption(new Option('--event-burst <n>', 'event writes allowed at once before --event-qps applies').default(100).argParser(positiveInt))
    .addOption(
      new Option('--sync-frequency <duration>', 'how often the ConfigMaps and Secrets pods use are read again (updates reach volumes within it) and the longest time between two syncs of a pod')
        .default(DEFAULT_SYNC_FREQUENCY_MS, '1m')
        .argParser(positiveDuration),
    )
    .addOption(new Option('--proxy-mode <mode>', "the node proxy: iptables (kube-proxy's iptables mode) or none").choices(['iptables', 'none']).default('none'))
    .option('--cluster-cidr <cidr>', "the cluster's pod range: traffic from outside it to a ClusterIP is masqueraded")
    .addOption(new Option('--proxy-chain-tag <tag>', "prefix of the proxy's iptables chains, one per cluster on a machine (kube-proxy's is KUBE)").default('SKIFF').argParser(chainTag))
    .addOption(new Option('--proxy-min-sync-period <duration>', 'changes within this long of the last rules sync wait and are applied together').default(DEFAULT_MIN_SYNC_PERIOD_MS, '1s').argParser(duration))
    .option('--nodeport-addresses <list>', 'addresses NodePorts answer on, comma-separated (default: every local address, 127.0.0.1 included)')
    .option('--cluster-dns <ips>', "the cluster DNS's address(es), comma-separated (the kube-dns ClusterIP): pods' nameserver under dnsPolicy ClusterFirst, and where this node's DNS server answers")
    .option('--cluster-domain <domain>', 'the cluster domain: pods search <ns>.svc.<domain>, and the DNS server answers for it', 'cluster.local')
    .option('--resolv-conf <file>', "the node's resolv.conf: dnsPolicy Default pods get it, the DNS server forwards to its nameservers", '/etc/resolv.conf')
    .addOption(new Option('--cluster-dns-port <n>', "port of this node's DNS server on its InternalIP (0: any free one; its kube-dns EndpointSlice says which)").default(53).argParser(port))
    .option('--no-cluster-dns-server', "run no DNS server here even with --cluster-dns (another one serves the kube-dns Service)")
    .action(async (o: KubeletFlags) => {
      const log = createLogger('kubelet');
      const connection = connectionFromKubeconfig({ kubeconfig: o.kubeconfig, context: o.context });
      const client = new RestClient(connection, { userAgent: `skiff-kubelet/${o.nodeName}` });
      const runtimeRoot = path.join(o.root, 'runtime');
      const holder: { runtime?: SkiffRuntimeService } = {};
      // The image service asks the runtime which images containers use (prune keeps them).
      const images = new ImageService({ root: runtimeRoot, registryConfig: o.registryConfig, logger: log, inUse: async () => holder.runtime?.imagesInUse() ?? new Set() });
      const runtime = new SkiffRuntimeService({
        root: runtimeRoot,
        stateDir: o.runtimeState,
        images,
        runtime: o.runtime,
        podCidr: o.podCidr,
        bridgeName: o.bridge,
        cgroupParent: o.cgroupParent,
        logger: log,
      });
      holder.runtime = runtime;
      if (!o.tlsCertFile !== !o.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together');
      // The server starts first so the Node advertises the port it really got (--kubelet-port 0).
      // The node's InternalIP, decided once: its Node, its serving certificate, its DNS and its API relay.
      const hostIP = o.nodeIp ?? defaultHostIP();
      const ref: { kubelet?: Kubelet } = {};
      if (o.kubeletApiTokenFile) throw new Error("--kubelet-api-token-file is no longer supported: the kubelet serves only the API server's client certificate (give --client-ca-file, and the API server --kubelet-client-certificate/--kubelet-client-key)");
      // Without a client CA nothing could call the server: it is not started (and holds no port).
      if (!o.clientCaFile) log.warn({}, 'no --client-ca-file: the kubelet HTTPS server (logs, images, stats) is off');
      const server = !o.clientCaFile ? undefined : await startKubeletServer({
        nodeName: o.nodeName,
        runtime,
        images,
        pods: () => ref.kubelet?.pods() ?? [],
        statusOf: (uid) => ref.kubelet?.statusManager.get(uid),
        authn: KubeletAuthenticator.fromFile(o.clientCaFile),
        tls: await servingCertificate(o, hostIP),
        host: o.address ?? '0.0.0.0',
        port: o.kubeletPort,
        logger: log,
        streamIdleTimeoutMs: o.streamingConnectionIdleTimeout,
      });
      const clusterDNS = (o.clusterDns ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      // The node's resolv.conf, read once: pods under dnsPolicy Default get it, the DNS server forwards to it.
      const hostResolv = parseResolvConf(await readFile(o.resolvConf, 'utf8').catch(() => ''));
      const kubelet = new Kubelet({
        client,
        runtime,
        images,
        nodeName: o.nodeName,
        root: o.root,
        podCIDR: o.podCidr,
        hostIP,
        capacity: o.capacity ? parseResourceList(o.capacity) : undefined,
        labels: o.nodeLabels ? parseLabels(o.nodeLabels) : undefined,
        maxPods: o.maxPods,
        kubeletPort: server?.port ?? o.kubeletPort,
        logger: log,
        imageGC: { highThresholdPercent: o.imageGcHighThreshold, lowThresholdPercent: o.imageGcLowThreshold, minAgeMs: o.imageMinimumGcAge },
        ...(o.imageGcPeriod ? { imageGCPeriodMs: o.imageGcPeriod } : {}),
        eventQPS: o.eventQps,
        eventBurst: o.eventBurst,
        syncFrequencyMs: o.syncFrequency,
        dns: { clusterDNS, clusterDomain: o.clusterDomain, host: hostResolv },
      });
      ref.kubelet = kubelet;
      await kubelet.start();
      const dns = clusterDNS.length && o.clusterDnsServer ? await startClusterDns(o, hostIP, client, clusterDNS, hostResolv, log) : undefined;
      const relay = o.apiserverRelayPort ? await startApiRelay({ host: hostIP, port: o.apiserverRelayPort, server: connection.server, logger: log }) : undefined;
      log.info({ node: o.nodeName, root: o.root, runtimeState: runtime.stateDir, podCIDR: o.podCidr }, 'kubelet running');
      const proxy = o.proxyMode !== 'iptables' ? undefined : new ProxySyncer({
        client,
        nodeName: o.nodeName,
        rules: { tag: o.proxyChainTag, clusterCIDR: o.clusterCidr, nodePortAddresses: o.nodeportAddresses?.split(',').filter(Boolean) },
        logger: log,
        minSyncPeriodMs: o.proxyMinSyncPeriod,
      });
      // In the background: the pods need not wait for the first Services list.
      proxy?.start().then(
        () => log.info({ tag: o.proxyChainTag, clusterCIDR: o.clusterCidr }, 'node proxy running (iptables)'),
        (err: Error) => log.error({ err: err.message }, 'node proxy failed to start'),
      );
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      log.info({}, 'kubelet stopping (containers keep running)');
      await relay?.close();
      // The proxy's rules stay: a restart takes them over, `skiff down` removes them.
      await proxy?.stop();
      await server?.close();
      await dns?.stop();
      await kubelet.stop();
      client.close();
    });
}
