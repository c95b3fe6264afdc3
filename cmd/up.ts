// `skiff up`, `skiff down`, `skiff status`: a cluster on this machine in one command.
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RestClient } from '../client/rest.js';
import { DEFAULTS, startDetached } from '../cluster/detach.js';
import type { UpOptions } from '../cluster/up.js';
import { DEFAULT_STATE_DIR, isAlive, runningPid, statePaths } from '../cluster/state.js';
import { parseGoDuration } from '../api/duration.js';
import { parsePortRange, parseServiceCIDR } from '../apiserver/service-ranges.js';
import { DISABLE_HELP, parseDisable } from './disable-flag.js';

interface UpFlags {
  stateDir: string;
  etcdServers?: string;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  registryConfig?: string;
  mirrorPublicRegistries: boolean;
  nodeName?: string;
  foreground: boolean;
  demo: boolean;
  timeout: string;
  apiPort: string;
  etcdPort: string;
  registryAddr: string;
  podCidr: string;
  bridge: string;
  syncFrequency?: string;
  serviceCidr: string;
  serviceNodePortRange: string;
  apiRelayPort?: string;
  disable?: string[];
}

/**
 * Waits until this machine's kubelet reports its node Ready. After a restart the stored Node
 * still says Ready from the last run, so only a heartbeat from `since` on counts (the
 * kubelet writes heartbeat times to the second).
 */
export async function waitForNodeReady(kubeconfig: string, node: string, timeoutMs: number, since = Date.now()): Promise<void> {
  const fresh = Math.floor(since / 1000) * 1000;
  const deadline = Date.now() + timeoutMs;
  let client: RestClient | undefined;
  let last = 'no kubeconfig yet';
  // Loaded here, not at the top: the supervisor runs this file too and never needs a client.
  const [{ isApiError }, { connectionFromKubeconfig }, { RestClient }] = await Promise.all([import('../api/errors.js'), import('../client/kubeconfig.js'), import('../client/rest.js')]);
  try {
    while (Date.now() < deadline) {
      if (!client && existsSync(kubeconfig)) client = new RestClient(connectionFromKubeconfig({ kubeconfig }), { timeoutMs: 3000 });
      if (client) {
        try {
          const n = await client.nodes.get(node);
          const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
          const heard = Date.parse(ready?.lastHeartbeatTime ?? '');
          if (ready?.status === 'True' && heard >= fresh) return;
          last = `node ${node} Ready=${ready?.status ?? 'unset'}${ready?.status === 'True' ? ' (from before this start)' : ''}`;
        } catch (e) {
          last = isApiError(e, 'NotFound') ? `node ${node} not registered yet` : (e as Error).message;
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    client?.close();
  }
  throw new Error(`the cluster did not become ready in ${Math.round(timeoutMs / 1000)} s: ${last}`);
}

function upOptions(f: UpFlags): UpOptions {
  if (f.syncFrequency) parseGoDuration(f.syncFrequency); // a bad value fails here, not in the kubelet
  parseServiceCIDR(f.serviceCidr); // and bad ranges here, not in the API server
  parsePortRange(f.serviceNodePortRange);
  if ((f.etcdCafile || f.etcdCertfile || f.etcdKeyfile) && !f.etcdServers) throw new Error('--etcd-cafile, --etcd-certfile and --etcd-keyfile are for an existing etcd (--etcd-servers); the managed one has its own');
  return {
    stateDir: f.stateDir,
    etcdServers: f.etcdServers,
    // Absolute: the detached supervisor's API server may not share the user's working directory.
    etcdTls: { caFile: f.etcdCafile && path.resolve(f.etcdCafile), certFile: f.etcdCertfile && path.resolve(f.etcdCertfile), keyFile: f.etcdKeyfile && path.resolve(f.etcdKeyfile) },
    registryConfig: f.registryConfig,
    // The demo's pod names gcr.io/kuar-demo/...: it is served from the local registry.
    mirrorPublicRegistries: f.mirrorPublicRegistries || f.demo,
    nodeName: f.nodeName,
    apiPort: Number(f.apiPort),
    etcdPort: Number(f.etcdPort),
    registryAddr: f.registryAddr,
    podCidr: f.podCidr,
    bridge: f.bridge,
    syncFrequency: f.syncFrequency,
    serviceCidr: f.serviceCidr,
    nodePortRange: f.serviceNodePortRange,
    apiRelayPort: f.apiRelayPort ? Number(f.apiRelayPort) : undefined,
    disable: f.disable,
  };
}

/** The flags a detached supervisor must be given to run the same cluster. */
function forwardedFlags(f: UpFlags): string[] {
  return [
    ...(f.etcdServers ? ['--etcd-servers', f.etcdServers] : []),
    ...(f.etcdCafile ? ['--etcd-cafile', path.resolve(f.etcdCafile)] : []),
    ...(f.etcdCertfile ? ['--etcd-certfile', path.resolve(f.etcdCertfile)] : []),
    ...(f.etcdKeyfile ? ['--etcd-keyfile', path.resolve(f.etcdKeyfile)] : []),
    ...(f.registryConfig ? ['--registry-config', f.registryConfig] : []),
    ...(f.mirrorPublicRegistries || f.demo ? ['--mirror-public-registries'] : []),
    ...(f.nodeName ? ['--node-name', f.nodeName] : []),
    '--api-port', f.apiPort,
    '--etcd-port', f.etcdPort,
    '--registry-addr', f.registryAddr,
    '--pod-cidr', f.podCidr,
    '--bridge', f.bridge,
    ...(f.syncFrequency ? ['--sync-frequency', f.syncFrequency] : []),
    '--service-cidr', f.serviceCidr,
    '--service-node-port-range', f.serviceNodePortRange,
    ...(f.apiRelayPort ? ['--api-relay-port', f.apiRelayPort] : []),
    ...(f.disable?.length ? ['--disable', f.disable.join(',')] : []),
  ];
}

export function upCommand(): Command {
  return new Command('up')
    .description('start a single-node cluster on this machine (etcd, registry, and one server process: API server, scheduler, controller-manager, kubelet)')
    .option('--state-dir <dir>', 'where the cluster keeps everything', DEFAULT_STATE_DIR)
    .option('--etcd-servers <urls>', 'use this existing etcd cluster instead of a managed one (the managed one: mutual TLS, its own CA)')
    .option('--etcd-cafile <file>', "with --etcd-servers https://...: PEM CA of etcd's serving certificate")
    .option('--etcd-certfile <file>', "with --etcd-servers: the API server's client certificate for etcd (with --etcd-keyfile)")
    .option('--etcd-keyfile <file>', 'with --etcd-servers: the private key of --etcd-certfile')
    .option('--registry-config <file>', "the kubelet's registries.yaml (mirrors, auth, TLS; the local registry's credentials are added)")
    .option(
      '--mirror-public-registries',
      'pull gcr.io, docker.io, ghcr.io, quay.io and registry.k8s.io images from the local registry first: what is pushed there under those names is what pods get (on with --demo)',
      false,
    )
    .option('--node-name <name>', 'name of this machine as a node (default: hostname)')
    .option('--foreground', 'supervise the components in this process, their output on the terminal', false)
    .option('--demo', 'build and run the kuard demo, a Deployment of 2 (turns on --mirror-public-registries)', false)
    .option('--timeout <seconds>', 'how long to wait for the node to be Ready', '120')
    .option('--api-port <n>', 'HTTPS port of the API server on 127.0.0.1', String(DEFAULTS.apiPort))
    .option('--etcd-port <n>', 'client port of the managed etcd (the peer port is the next one)', String(DEFAULTS.etcdPort))
    .option('--registry-addr <addr>', 'address of the local registry', DEFAULTS.registryAddr)
    .option('--pod-cidr <cidr>', "this node's pod CIDR", DEFAULTS.podCidr)
    .option('--bridge <name>', "this node's pod network bridge", DEFAULTS.bridge)
    .option('--sync-frequency <duration>', "the kubelet's --sync-frequency: ConfigMap and Secret updates reach pods within it (default 1m)")
    .option('--service-cidr <cidr>', "Services' cluster IPs (the first is the kubernetes Service's)", DEFAULTS.serviceCidr)
    .option('--service-node-port-range <first-last>', "Services' node ports", DEFAULTS.nodePortRange)
    .option('--api-relay-port <n>', "port on this machine's address where pods reach the API server (the kubernetes Service's endpoint; default: --api-port + 1)")
    .option('--disable <names>', DISABLE_HELP, parseDisable)
    .action(async (f: UpFlags) => {
      const paths = statePaths(f.stateDir);
      const opts = upOptions(f);
      const node = (f.nodeName ?? os.hostname()).toLowerCase();
      // Another cluster's proxy serving inside our ranges: read while the supervisor starts, told before the wait.
      const clashes = runningPid(paths) === undefined ? import('../cluster/neighbour-services.js').then((m) => m.neighbourWarnings(paths.root, f.serviceCidr, f.serviceNodePortRange)) : Promise.resolve([]);
      const warn = async () => {
        for (const w of await clashes) process.stderr.write(`skiff up: warning: ${w}\n`);
      };
      if (f.foreground) {
        await warn();
        const stop = new AbortController();
        for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort());
        const { runCluster } = await import('../cluster/up.js');
        await runCluster({ ...opts, tee: process.stdout.isTTY ? process.stdout : undefined }, stop.signal, () => {
          process.stdout.write(`skiff: components started; kubeconfig ${paths.kubeconfig}\n`);
        });
        return;
      }
      const pid = runningPid(paths);
      if (pid !== undefined) {
        process.stdout.write(`skiff is already running for ${paths.root} (pid ${pid}); kubeconfig: ${paths.kubeconfig}\n`);
      } else {
        const started = Date.now();
        const child = await startDetached(opts, forwardedFlags(f));
        await warn();
        try {
          await waitForNodeReady(paths.kubeconfig, node, Number(f.timeout) * 1000, started);
        } catch (e) {
          throw new Error(`${(e as Error).message}\n  logs: ${paths.logDir}/ (skiff-up.log, apiserver.log, kubelet.log, ...)`, { cause: e });
        }
        if (!isAlive(child)) throw new Error(`the skiff supervisor exited; see ${paths.logDir}/skiff-up.log`);
        process.stdout.write(
          [
            `skiff is up (${((Date.now() - started) / 1000).toFixed(1)} s): node ${node} is Ready.`,
            `  export KUBECONFIG=${paths.kubeconfig}`,
            '  skiff get nodes          # or: kubectl get nodes',
            `  local registry ${f.registryAddr}: its credentials are in ${paths.dockerConfig} (skiff build --push reads them; DOCKER_CONFIG=${path.dirname(paths.dockerConfig)} for docker and skopeo)`,
            `  skiff down --state-dir ${paths.root}   # stop it (add --purge to forget everything)`,
            '',
          ].join('\n'),
        );
      }
      if (f.demo) {
        // Loaded here, not at the top: the supervisor runs this file and needs neither the demo nor down.
        const { runDemo } = await import('../cluster/demo.js');
        await runDemo({ stateDir: paths.root, registryAddr: f.registryAddr, out: process.stdout });
      }
    });
}

export function downCommand(): Command {
  return new Command('down')
    .description('stop the cluster and remove its pods, mounts, network namespaces, cgroups and iptables rules')
    .option('--state-dir <dir>', 'the cluster state dir', DEFAULT_STATE_DIR)
    .option('--purge', "also forget the cluster's state (etcd data, images, credentials)", false)
    .action(async (f: { stateDir: string; purge: boolean }) => {
      const { tearDown } = await import('../cluster/down.js');
      const report = await tearDown({ stateDir: f.stateDir, purge: f.purge });
      process.stdout.write(`${report.join('\n')}\n`);
    });
}

export function statusCommand(): Command {
  return new Command('status')
    .description("show each component's health")
    .option('--state-dir <dir>', 'the cluster state dir', DEFAULT_STATE_DIR)
    .option('-o, --output <format>', 'json for the raw status', '')
    .action((f: { stateDir: string; output: string }) => {
      const paths = statePaths(f.stateDir);
      const pid = runningPid(paths);
      if (!existsSync(paths.statusFile)) {
        process.stdout.write(`skiff is not running for ${paths.root}\n`);
        process.exitCode = 1;
        return;
      }
      const status = JSON.parse(readFileSync(paths.statusFile, 'utf8')) as {
        server?: string;
        node?: string;
        components: { name: string; pid?: number; running: boolean; restarts: number; lastExit?: { code: number | null; signal: string | null; at: string }; hosts?: string[] }[];
      };
      if (f.output === 'json') {
        process.stdout.write(`${JSON.stringify({ running: pid !== undefined, ...status }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`skiff ${pid !== undefined ? `running (pid ${pid})` : 'stopped'} for ${paths.root}; API ${status.server ?? '?'}\n`);
      const rows = [['COMPONENT', 'STATUS', 'PID', 'RESTARTS', 'LAST EXIT']];
      for (const c of status.components) {
        const exit = c.lastExit ? `${c.lastExit.signal ?? `code ${c.lastExit.code}`} at ${c.lastExit.at}` : '';
        const state = pid !== undefined && c.running && c.pid && isAlive(c.pid) ? 'Running' : 'Stopped';
        rows.push([c.name, state, String(c.pid ?? ''), String(c.restarts), exit]);
        // Components inside that process (skiff server) live and die with it.
        for (const h of c.hosts ?? []) rows.push([`  ${h} (in ${c.name})`, state, String(c.pid ?? ''), String(c.restarts), '']);
      }
      const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd()}\n`);
      if (pid === undefined) process.exitCode = 1;
    });
}
