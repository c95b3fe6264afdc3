// `skiff server`: the control plane in one process, as `k3s server` runs it. The API server
// starts first; the scheduler and the controller-manager (and, with --kubelet-arg, this
// machine's kubelet: k3s' embedded agent) then run in the same process, each a separate
// client of the API server over its loopback HTTPS with its own kubeconfig, so every request
// still carries that component's own token and user (audit and authorization see
// system:kube-scheduler, system:kube-controller-manager, system:node:<name>, never a shared
// identity). One Node process instead of four saves what each would pay on its own (~40 MB of
// runtime, module loading on start).
//
// Flags follow k3s: --kube-apiserver-arg, --kube-scheduler-arg, --kube-controller-manager-arg and
// --kubelet-arg, each repeatable, each taking one flag of that component's own daemon (the same
// flags `skiff apiserver`, `skiff scheduler`, ... take, parsed by their own definitions).
// If any hosted component stops on its own, the process exits non-zero: the supervisor
// restarts the whole server, the way systemd restarts k3s.
import { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import type { RestClient } from '../client/rest.js';
import { apiServerOptions, apiserverCommand, type ApiFlags } from './apiserver.js';
import type { ControllerManagerFlags as ControllerFlags } from './controller-manager.js';
import { DISABLE_HELP, parseDisable } from './disable-flag.js';
import { createLogger } from './log.js';

// Only the API server's code loads before it serves: the clients' code (scheduler,
// controllers, their REST clients) loads afterwards, off the path to a Ready node.
const clients = () => Promise.all([import('../client/kubeconfig.js'), import('../client/rest.js')]).then(([k, r]) => ({ ...k, ...r }));

const collect = (v: string, all: string[]) => [...all, v];

/** Parses `args` with a component's own flag definitions; returns its options without running it. */
async function parseFlags<T>(cmd: Command, args: string[]): Promise<T> {
  let parsed: T | undefined;
  cmd.exitOverride().action((o: T) => void (parsed = o));
  await cmd.parseAsync(args, { from: 'user' });
  if (parsed === undefined) throw new Error(`${cmd.name()}: no options parsed`);
  return parsed;
}

async function startApi(o: ApiFlags, log: Logger) {
  const { startApiServer } = await import('../apiserver/server.js');
  return startApiServer(await apiServerOptions(o, log));
}

/** Runs `work` while holding the Lease kube-system/<lease> (when `elect`), or at once. */
async function elected(client: RestClient, elect: boolean, lease: string, log: Logger, signal: AbortSignal, work: (s: AbortSignal) => Promise<void>): Promise<void> {
  if (!elect) return work(signal);
  const { LeaderElector } = await import('../client/leader-election.js');
  const identity = `${os.hostname()}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const elector = new LeaderElector({ client, namespace: 'kube-system', name: lease, identity, onStartedLeading: work, onNewLeader: (leader) => log.info({ leader }, 'new leader') });
  return elector.run(signal);
}

type SchedulerFlags = { kubeconfig?: string; context?: string; config?: string; leaderElect: boolean; identity?: string };
type ControllerManagerFlags = ControllerFlags & { kubeconfig: string; leaderElect: boolean };

async function runScheduler(o: SchedulerFlags, signal: AbortSignal): Promise<void> {
  const { Scheduler } = await import('../scheduler/scheduler.js');
  const { defaultConfig, loadConfigFile } = await import('../scheduler/framework/profile.js');
  const { connectionFromKubeconfig, RestClient } = await clients();
  const log = createLogger('scheduler');
  const config = o.config ? await loadConfigFile(o.config) : defaultConfig();
  const client = new RestClient(connectionFromKubeconfig({ kubeconfig: o.kubeconfig, context: o.context }), { userAgent: 'skiff-scheduler' });
  const identity = o.identity ?? `${os.hostname()}_${randomBytes(4).toString('hex')}`;
  try {
    await elected(client, o.leaderElect, 'kube-scheduler', log, signal, async (s) => {
      const scheduler = new Scheduler({ client, config, logger: log, identity });
      log.info({ identity, profiles: [...scheduler.frameworks.keys()] }, 'scheduler starting');
      await scheduler.run(s);
    });
  } finally {
    client.close();
  }
}

async function runControllerManager(o: ControllerManagerFlags, signal: AbortSignal): Promise<void> {
  const { runControllersUntil } = await import('./controller-manager.js');
  const { connectionFromKubeconfig, RestClient } = await clients();
  const log = createLogger('controller-manager');
  const client = new RestClient(connectionFromKubeconfig({ kubeconfig: o.kubeconfig }), { userAgent: 'skiff-controller-manager' });
  try {
    await elected(client, o.leaderElect, 'kube-controller-manager', log, signal, (s) => runControllersUntil(client, o, log, s));
  } finally {
    client.close();
  }
}

interface ServerFlags {
  kubeApiserverArg: string[];
  kubeSchedulerArg: string[];
  kubeControllerManagerArg: string[];
  kubeletArg: string[];
  disable?: string[];
}

export function serverCommand(): Command {
  return new Command('server')
    .description('run the API server, scheduler and controller-manager (and with --kubelet-arg the kubelet) in one process')
    .option('--kube-apiserver-arg <flag>', 'a flag for the API server, e.g. --etcd-servers=URL (repeatable)', collect, [])
    .option('--kube-scheduler-arg <flag>', 'a flag for the scheduler, e.g. --kubeconfig=F (repeatable)', collect, [])
    .option('--kube-controller-manager-arg <flag>', 'a flag for the controller-manager (repeatable)', collect, [])
    .option('--kubelet-arg <flag>', 'a flag for the embedded kubelet (repeatable; none: no kubelet here)', collect, [])
    .option('--disable <names>', DISABLE_HELP, parseDisable)
    .action(async (f: ServerFlags) => {
      const log = createLogger('server');
      const apiFlags = await parseFlags<ApiFlags>(apiserverCommand(), f.kubeApiserverArg);
      // The kubelet's code (the runtime, images, CNI: a quarter second of CPU, seconds on a busy machine) loads while the
      // API server waits on etcd and primes its watch caches, not after.
      const kubeletModule = f.kubeletArg.length ? import('./kubelet.js') : undefined;
      kubeletModule?.catch(() => undefined);
      log.info({ sinceSpawnMs: Math.round(performance.now()) }, 'starting the API server');
      const api = await startApi(apiFlags, createLogger('apiserver'));
      log.info({ sinceSpawnMs: Math.round(performance.now()), https: api.httpsUrl, http: api.httpUrl }, 'API server serving');
      process.stdout.write(`${JSON.stringify({ serving: true, http: api.httpUrl, https: api.httpsUrl })}\n`);

      const stop = new AbortController();
      let stopping = false;
      // A hosted component that ends while nobody asked it to takes the process down with it.
      const watch = (name: string, p: Promise<unknown>) =>
        p.then(
          () => {
            if (!stopping) fail(name, new Error('stopped on its own'));
          },
          (err: unknown) => {
            if (!stopping) fail(name, err);
          },
        );
      const fail = (name: string, err: unknown) => {
        log.error({ err, component: name }, 'hosted component failed; exiting so the supervisor restarts the server');
        process.exit(1);
      };
      // The kubelet runs through its own command: it waits for SIGTERM/SIGINT itself, stops
      // (containers keep running) and returns, which is the cue for the rest to stop. It goes
      // first: its node turning Ready is what `skiff up` waits for.
      const kubelet = kubeletModule?.then((m) => m.kubeletCommand().exitOverride().parseAsync(f.kubeletArg, { from: 'user' }));
      if (kubelet) void watch('kubelet', kubelet);
      // Their flags are parsed (by their own definitions) only now, their code being loaded only
      // now; a bad one stops the server like any failure of theirs, its message in the log.
      const scheduler = watch(
        'scheduler',
        import('./scheduler.js').then(async (m) => runScheduler(await parseFlags<SchedulerFlags>(m.schedulerCommand(), f.kubeSchedulerArg), stop.signal)),
      );
      const controllers = watch(
        'controller-manager',
        import('./controller-manager.js').then(async (m) => runControllerManager(await parseFlags<ControllerManagerFlags>(m.controllerManagerCommand(), [...f.kubeControllerManagerArg, ...(f.disable?.length ? [`--disable=${f.disable.join(',')}`] : [])]), stop.signal)),
      );

      const shutdown = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'shutting down');
        // A kubelet still starting has no SIGTERM listener yet and would wait for one forever.
        await Promise.race([kubelet?.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
        stop.abort();
        await Promise.all([scheduler, controllers]);
        await api.close();
        process.exit(0);
      };
      for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void shutdown(sig));
    });
}
