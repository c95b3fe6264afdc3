// `skiff scheduler --kubeconfig F [--config F] [--leader-elect]`: kube-scheduler's flags,
// then the scheduler until SIGTERM/SIGINT. With --leader-elect only the holder of the
// kube-system/kube-scheduler Lease schedules; the others wait to take over.
import { Command, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { connectionFromKubeconfig } from '../client/kubeconfig.js';
import { LeaderElector } from '../client/leader-election.js';
import { RestClient } from '../client/rest.js';
import { defaultConfig, loadConfigFile } from '../scheduler/framework/profile.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { createLogger } from './log.js';

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${v}`);
  return n;
}

interface SchedulerFlags {
  kubeconfig?: string;
  context?: string;
  config?: string;
  leaderElect: boolean;
  leaderElectLeaseDuration: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
  leaderElectResourceNamespace: string;
  leaderElectResourceName: string;
  identity?: string;
}

export function schedulerCommand(): Command {
  return new Command('scheduler')
    .description('run the scheduler: bind pending pods to nodes by requested resources')
    .option('--kubeconfig <file>', 'kubeconfig of the API server (default: KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('--config <file>', 'KubeSchedulerConfiguration YAML (profiles, plugins, percentageOfNodesToScore)')
    .option('--leader-elect', 'run only while holding the leader Lease', false)
    .addOption(new Option('--leader-elect-lease-duration <seconds>', 'how long a lease lasts unrenewed').default(15).argParser(positive))
    .addOption(new Option('--leader-elect-renew-deadline <seconds>', 'leader gives up after failing to renew this long').default(10).argParser(positive))
    .addOption(new Option('--leader-elect-retry-period <seconds>', 'how often to try to acquire or renew').default(2).argParser(positive))
    .option('--leader-elect-resource-namespace <ns>', 'namespace of the Lease', 'kube-system')
    .option('--leader-elect-resource-name <name>', "name of the Lease (the scheduler's role updates only kube-scheduler: another name needs other credentials, as in Kubernetes without an RBAC grant)", 'kube-scheduler')
    .option('--identity <id>', 'this replica in the Lease and in events (default: hostname_random)')
    .action(async (o: SchedulerFlags) => {
      const log = createLogger('scheduler');
      const config = o.config ? await loadConfigFile(o.config) : defaultConfig();
      const client = new RestClient(connectionFromKubeconfig({ kubeconfig: o.kubeconfig, context: o.context }), { userAgent: 'skiff-scheduler' });
      const identity = o.identity ?? `${os.hostname()}_${randomBytes(4).toString('hex')}`;
      const stop = new AbortController();
      let scheduling: Promise<void> | undefined;
      let electing: Promise<void> | undefined;

      const schedule = async (signal: AbortSignal) => {
        const scheduler = new Scheduler({ client, config, logger: log, identity });
        log.info({ identity, profiles: [...scheduler.frameworks.keys()] }, 'scheduler starting');
        await scheduler.run(signal);
        log.info(scheduler.stats, 'scheduler stopped');
      };

      if (o.leaderElect) {
        const elector = new LeaderElector({
          client,
          namespace: o.leaderElectResourceNamespace,
          name: o.leaderElectResourceName,
          identity,
          leaseDurationSeconds: o.leaderElectLeaseDuration,
          renewDeadlineMs: o.leaderElectRenewDeadline * 1000,
          retryPeriodMs: o.leaderElectRetryPeriod * 1000,
          onStartedLeading: (signal) => {
            log.info({ identity }, 'became leader');
            scheduling = schedule(signal);
            return scheduling;
          },
          onStoppedLeading: () => log.info({ identity }, 'stopped leading'),
          onNewLeader: (leader) => log.info({ leader }, 'new leader observed'),
          onError: (err) => log.warn({ err }, 'leader election'),
        });
        electing = elector.run(stop.signal);
      } else {
        scheduling = schedule(stop.signal);
      }

      const shutdown = (signal: string) => {
        log.info({ signal }, 'shutting down');
        stop.abort();
        void Promise.all([scheduling, electing])
          .catch((err: unknown) => log.error({ err }, 'scheduler failed'))
          .finally(() => {
            client.close();
            process.exit(0);
          });
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
      await (electing ?? scheduling);
    });
}
