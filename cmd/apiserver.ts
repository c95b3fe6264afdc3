// `skiff apiserver`: kube-apiserver's flags (--etcd-servers with --etcd-cafile, --etcd-certfile
// and --etcd-keyfile for etcd's TLS, --bind-address, --port for plain
// HTTP, --secure-port with --tls-cert-file/--tls-private-key-file, --token-auth-file,
// --anonymous-auth, --etcd-prefix, --encryption-provider-config,
// --default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds), then the server until
// SIGTERM/SIGINT.
import { Command, Option } from 'commander';
import { parseDuration } from '../api/duration.js';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ApiServerOptions } from '../apiserver/server.js';
import { etcdClientCredentials } from '../cluster/etcd-credentials.js';
import { createLogger } from './log.js';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid port: ${v}`);
  return n;
}

/** "5m", "30s", "1h", "250ms" or a bare number of seconds -> milliseconds (the CLI's one grammar for durations). */
export function duration(v: string): number {
  return Math.round(parseDuration(v));
}

/** A whole number of seconds, 0 or more (kube's toleration seconds flags). */
function seconds(flag: string, v: string | number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag}: invalid value "${v}": a whole number of seconds, 0 or more`);
  return n;
}

function bool(v: string | undefined): boolean {
  return v === undefined || v === '' || v === 'true' || v === '1';
}

/** The flags as commander parses them (also parsed by `skiff server` for its API server). */
export interface ApiFlags {
  etcdServers: string;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  etcdPrefix: string;
  bindAddress: string;
  port?: number;
  securePort?: number;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  tokenAuthFile?: string;
  anonymousAuth: boolean | string;
  bookmarkInterval: string;
  etcdCompactionInterval: string;
  eventTtl: string;
  kubeletClientCertificate?: string;
  kubeletClientKey?: string;
  kubeletCertificateAuthority?: string;
  kubeletSocketDir?: string;
  groupCommit: boolean | string;
  encryptionProviderConfig?: string;
  defaultNotReadyTolerationSeconds: string;
  defaultUnreachableTolerationSeconds: string;
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  kubernetesServiceTargetPort: number;
}

/** API server options from the flags (reads the token, CA and certificate files they name). */
export async function apiServerOptions(o: ApiFlags, log: Logger): Promise<ApiServerOptions> {
  const { loadTokenFile } = await import('../apiserver/auth/token-file.js');
  const etcdTls = { caFile: o.etcdCafile, certFile: o.etcdCertfile, keyFile: o.etcdKeyfile };
  // A bad file stops the server here, before it serves, with every bad field named.
  const encryption = o.encryptionProviderConfig ? (await import('../apiserver/storage/encryption/config.js')).loadEncryptionConfig(o.encryptionProviderConfig) : undefined;
  const opts: ApiServerOptions = {
    etcdServers: o.etcdServers.split(',').map((s) => s.trim()).filter(Boolean),
    etcdCredentials: Object.values(etcdTls).some(Boolean) ? await etcdClientCredentials(etcdTls) : undefined,
    etcdPrefix: o.etcdPrefix,
    log,
    tokens: o.tokenAuthFile ? loadTokenFile(o.tokenAuthFile) : undefined,
    anonymous: typeof o.anonymousAuth === 'boolean' ? o.anonymousAuth : bool(o.anonymousAuth),
    bookmarkIntervalMs: Number(o.bookmarkInterval),
    compactionIntervalMs: duration(o.etcdCompactionInterval),
    eventTTLSeconds: Math.ceil(duration(o.eventTtl) / 1000),
    groupCommit: typeof o.groupCommit === 'boolean' ? o.groupCommit : bool(o.groupCommit),
    encryption,
    defaultTolerationSeconds: {
      notReady: seconds('--default-not-ready-toleration-seconds', o.defaultNotReadyTolerationSeconds),
      unreachable: seconds('--default-unreachable-toleration-seconds', o.defaultUnreachableTolerationSeconds),
    },
    serviceClusterIPRange: o.serviceClusterIpRange,
    serviceNodePortRange: o.serviceNodePortRange,
    kubernetesServiceTargetPort: o.kubernetesServiceTargetPort,
    kubeletClient: {
      cert: o.kubeletClientCertificate ? await readFile(o.kubeletClientCertificate) : undefined,
      key: o.kubeletClientKey ? await readFile(o.kubeletClientKey) : undefined,
      ca: o.kubeletCertificateAuthority ? await readFile(o.kubeletCertificateAuthority) : undefined,
      socketDir: o.kubeletSocketDir,
    },
  };
  if (o.securePort !== undefined) {
    if (!o.tlsCertFile || !o.tlsPrivateKeyFile) throw new Error('--secure-port needs --tls-cert-file and --tls-private-key-file');
    opts.https = { host: o.bindAddress, port: o.securePort, cert: await readFile(o.tlsCertFile), key: await readFile(o.tlsPrivateKeyFile) };
  }
  if (o.port !== undefined || o.securePort === undefined) opts.http = { host: o.bindAddress, port: o.port ?? 8080 };
  return opts;
}

export function apiserverCommand(): Command {
  return new Command('apiserver')
    .description('run the API server (Kubernetes REST over etcd)')
    .requiredOption('--etcd-servers <urls>', 'comma-separated etcd client URLs')
    .option('--etcd-cafile <file>', "PEM CA that verifies etcd's serving certificate (https:// servers; default: the system's roots)")
    .option('--etcd-certfile <file>', 'PEM client certificate for etcd (with --etcd-keyfile)')
    .option('--etcd-keyfile <file>', 'PEM private key of --etcd-certfile')
    .option('--etcd-prefix <prefix>', 'key prefix in etcd', '/registry')
    .option('--bind-address <addr>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--port <n>', 'plain HTTP port (0 = any free port; default 8080 when no --secure-port)').argParser(port))
    .addOption(new Option('--secure-port <n>', 'HTTPS port').argParser(port))
    .option('--tls-cert-file <file>', 'PEM certificate for HTTPS')
    .option('--tls-private-key-file <file>', 'PEM private key for HTTPS')
    .option('--token-auth-file <file>', 'static tokens: CSV token,user,uid,"group1,group2"')
    .option('--anonymous-auth [bool]', 'allow requests without a token as system:anonymous', false)
    .option('--bookmark-interval <ms>', 'how often watches that allow bookmarks get one', '60000')
    .option('--etcd-compaction-interval <duration>', 'how often to compact etcd history (e.g. 5m, 30s; 0 = never)', '5m')
    .option('--event-ttl <duration>', 'how long events are kept after their last update (e.g. 1h, 30m; 0 = forever)', '1h')
    .option('--kubelet-client-certificate <file>', 'PEM client certificate the API server presents to kubelets (pods/log, nodes/proxy)')
    .option('--kubelet-client-key <file>', 'PEM private key of --kubelet-client-certificate')
    .option('--kubelet-certificate-authority <file>', "PEM CA of the kubelets' serving certificates (none: not verified)")
    .option('--kubelet-socket-dir <dir>', 'unix sockets <node>.sock leading to kubelets with no route from here (lab nodes)')
    .option('--group-commit [bool]', 'send concurrent writes to etcd as one transaction (they then share a resourceVersion)', true)
    .option('--encryption-provider-config <file>', 'EncryptionConfiguration (apiserver.config.k8s.io/v1): how the listed resources are encrypted in etcd')
    .option('--default-not-ready-toleration-seconds <n>', 'tolerationSeconds of the not-ready:NoExecute toleration added to every pod that has none', '300')
    .option('--default-unreachable-toleration-seconds <n>', 'tolerationSeconds of the unreachable:NoExecute toleration added to every pod that has none', '300')
    .option('--service-cluster-ip-range <cidr>', "Services' cluster IPs come from this IPv4 CIDR; its first address is the kubernetes Service's", '10.96.0.0/16')
    .option('--service-node-port-range <first-last>', "Services' node ports come from this range", '30000-32767')
    .addOption(
      new Option('--kubernetes-service-target-port <n>', "the port every node agent relays to the API server on its InternalIP (skiff kubelet --apiserver-relay-port): the kubernetes Service's targetPort and endpoints (0: none)")
        .default(0)
        .argParser(port),
    )
    .action(async (o: ApiFlags) => {
      // Loaded here, not at the top: every other skiff command would pay for etcd's gRPC
      // client and the compiled schemas at start-up.
      const { startApiServer } = await import('../apiserver/server.js');
      const log = createLogger('apiserver');
      const server = await startApiServer(await apiServerOptions(o, log));
      // The one line a supervisor (or a test) waits for: where to reach the server.
      process.stdout.write(`${JSON.stringify({ serving: true, http: server.httpUrl, https: server.httpsUrl })}\n`);
      const shutdown = (signal: string) => {
        log.info({ signal }, 'shutting down');
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
