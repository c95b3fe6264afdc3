// `skiff controller-manager --kubeconfig F [--leader-elect] [--node-monitor-grace-period 40s]`:
// the cluster's controllers (the node lifecycle, ServiceAccount and ReplicaSet controllers), one
// active replica at a time when leader election is on. Controllers share one informer per resource.
import { Command } from 'commander';
import type { Logger } from 'pino';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { connectionFromKubeconfig } from '../client/kubeconfig.js';
import { LeaderElector } from '../client/leader-election.js';
import { RestClient } from '../client/rest.js';
import { NodeLifecycleController } from '../controllers/node-lifecycle/controller.js';
import { ServiceAccountController } from '../controllers/service-account/controller.js';
import { ReplicaSetController } from '../controllers/replicaset/controller.js';
import { JobController } from '../controllers/job/controller.js';
import { CronJobController } from '../controllers/cronjob/controller.js';
import { TtlAfterFinishedController } from '../controllers/ttl-after-finished/controller.js';
import { SharedInformers } from '../controllers/shared-informers.js';
import { parseGoDuration } from '../api/duration.js';
import { createLogger } from './log.js';

export interface ControllerManagerFlags {
  nodeMonitorGracePeriod: string;
  nodeMonitorPeriod: string;
  concurrentReplicasetSyncs: number;
  concurrentJobSyncs?: number;
  concurrentCronJobSyncs?: number;
}

/**
 * Runs every controller until `signal` aborts, on one set of shared informers: the one list of
 * them, for `skiff controller-manager` and `skiff server`.
 */
export async function runControllersUntil(client: RestClient, o: ControllerManagerFlags, log: Logger, signal: AbortSignal): Promise<void> {
  const nodes = new NodeLifecycleController({
    client,
    gracePeriodMs: parseGoDuration(o.nodeMonitorGracePeriod),
    monitorPeriodMs: parseGoDuration(o.nodeMonitorPeriod),
    logger: log,
  });
  const serviceAccounts = new ServiceAccountController({ client, logger: log });
  const informers = new SharedInformers();
  const replicaSets = new ReplicaSetController({ client, informers, workers: o.concurrentReplicasetSyncs, logger: log });
  const jobs = new JobController({ client, informers, workers: o.concurrentJobSyncs ?? 5, logger: log });
  const cronJobs = new CronJobController({ client, informers, workers: o.concurrentCronJobSyncs ?? 5, logger: log });
  const ttl = new TtlAfterFinishedController({ client, informers, logger: log });
  await Promise.all([nodes.start(signal), serviceAccounts.start(signal), replicaSets.start(signal), jobs.start(signal), cronJobs.start(signal), ttl.start(signal)]);
  log.info('node lifecycle, service account, replica set, job, cron job and ttl-after-finished controllers started');
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  await Promise.all([nodes.stop(), serviceAccounts.stop(), replicaSets.stop(), jobs.stop(), cronJobs.stop(), ttl.stop()]);
  await informers.stop();
}

export function controllerManagerCommand(): Command {
  return new Command('controller-manager')
    .description('run the cluster controllers (node lifecycle, service accounts, replica sets)')
    .requiredOption('--kubeconfig <file>', 'kubeconfig to reach the API server')
    .option('--leader-elect', 'elect one active replica through a Lease in kube-system', false)
    .option('--node-monitor-grace-period <d>', 'how long a node may be silent before it is Unknown', '40s')
    .option('--node-monitor-period <d>', 'how often nodes are checked', '5s')
    .option('--concurrent-replicaset-syncs <n>', 'ReplicaSets synced at once', (v) => Number.parseInt(v, 10), 5)
    .option('--concurrent-job-syncs <n>', 'Jobs synced at once', (v) => Number.parseInt(v, 10), 5)
    .option('--concurrent-cron-job-syncs <n>', 'CronJobs synced at once', (v) => Number.parseInt(v, 10), 5)
    .action(async (o: ControllerManagerFlags & { kubeconfig: string; leaderElect: boolean }) => {
      const log = createLogger('controller-manager');
      const client = new RestClient(connectionFromKubeconfig({ kubeconfig: o.kubeconfig }), { userAgent: 'skiff-controller-manager' });
      const stop = new AbortController();
      const runControllers = (signal: AbortSignal) => runControllersUntil(client, o, log, signal);
      for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort());
      if (o.leaderElect) {
        const elector = new LeaderElector({
          client,
          namespace: 'kube-system',
          name: 'kube-controller-manager',
          identity: `${os.hostname()}_${process.pid}_${randomBytes(4).toString('hex')}`,
          onStartedLeading: runControllers,
          onNewLeader: (id) => log.info({ leader: id }, 'new leader'),
        });
        await elector.run(stop.signal);
      } else {
        await runControllers(stop.signal);
      }
      client.close();
      process.exit(0);
    });
}
