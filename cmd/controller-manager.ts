// `skiff controller-manager --kubeconfig F [--leader-elect] [--node-monitor-grace-period 40s]
// [--root-ca-file F]`: the cluster's controllers (node lifecycle, ServiceAccount, ReplicaSet,
// Deployment, DaemonSet, Job, CronJob, TTL-after-finished, namespace, disruption and NoExecute
// taint eviction controllers, the garbage collector, the pod garbage collector, the EndpointSlice
// and Endpoints controllers, the root CA publisher, k3s's ServiceLB unless `--disable servicelb`), one active replica at a time when leader
// election is on. Controllers share one informer per resource.
import { Command } from 'commander';
import type { Logger } from 'pino';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { connectionFromKubeconfig } from '../client/kubeconfig.js';
import { LeaderElector } from '../client/leader-election.js';
import { RestClient } from '../client/rest.js';
import { NamespaceController } from '../controllers/namespace/controller.js';
import { NodeLifecycleController } from '../controllers/node-lifecycle/controller.js';
import { ServiceAccountController } from '../controllers/service-account/controller.js';
import { ReplicaSetController } from '../controllers/replicaset/controller.js';
import { DeploymentController } from '../controllers/deployment/controller.js';
import { DisruptionController } from '../controllers/disruption/controller.js';
import { TaintEvictionController } from '../controllers/taint-eviction/controller.js';
import { DaemonSetController } from '../controllers/daemonset/controller.js';
import { JobController } from '../controllers/job/controller.js';
import { CronJobController } from '../controllers/cronjob/controller.js';
import { TtlAfterFinishedController } from '../controllers/ttl-after-finished/controller.js';
import { RootCAPublisher } from '../controllers/root-ca/controller.js';
import { EndpointSliceController } from '../controllers/endpointslice/controller.js';
import { EndpointsController } from '../controllers/endpoints/controller.js';
import { SharedInformers } from '../controllers/shared-informers.js';
import { GarbageCollector } from '../controllers/garbage-collector/controller.js';
import { PodGcController } from '../controllers/pod-gc/controller.js';
import { ServiceLBController } from '../controllers/service-lb/controller.js';
import { parseGoDuration } from '../api/duration.js';
import { DISABLE_HELP, parseDisable } from './disable-flag.js';
import { createLogger } from './log.js';

export interface ControllerManagerFlags {
  nodeMonitorGracePeriod: string;
  nodeMonitorPeriod: string;
  concurrentReplicasetSyncs: number;
  concurrentDeploymentSyncs: number;
  concurrentDaemonsetSyncs?: number;
  concurrentJobSyncs?: number;
  concurrentCronJobSyncs?: number;
  /** --root-ca-file: the CA published in every namespace as kube-root-ca.crt (none: not published). */
  rootCaFile?: string;
  terminatedPodGcThreshold?: number;
  /** --disable: controllers not to run, as k3s's --disable (only `servicelb` is known). */
  disable?: string[];
}

/**
 * Runs every controller until `signal` aborts, on one set of shared informers: the one list of
 * them, for `skiff controller-manager` and `skiff server`.
 */
export async function runControllersUntil(client: RestClient, o: ControllerManagerFlags, log: Logger, signal: AbortSignal): Promise<void> {
  const informers = new SharedInformers();
  // Every controller is built before any starts, so each has its handlers on the shared
  // informers before their first list.
  const controllers: Record<string, { start(signal: AbortSignal): Promise<void>; stop(): Promise<void> }> = {
    'node-lifecycle': new NodeLifecycleController({
      client,
      informers,
      gracePeriodMs: parseGoDuration(o.nodeMonitorGracePeriod),
      monitorPeriodMs: parseGoDuration(o.nodeMonitorPeriod),
      logger: log,
    }),
    serviceaccount: new ServiceAccountController({ client, informers, logger: log }),
    replicaset: new ReplicaSetController({ client, informers, workers: o.concurrentReplicasetSyncs, logger: log }),
    deployment: new DeploymentController({ client, informers, workers: o.concurrentDeploymentSyncs, logger: log }),
    namespace: new NamespaceController({ client, informers, logger: log }),
    disruption: new DisruptionController({ client, informers, logger: log }),
    'taint-eviction': new TaintEvictionController({ client, informers, logger: log }),
    daemonset: new DaemonSetController({ client, informers, workers: o.concurrentDaemonsetSyncs ?? 2, logger: log }),
    job: new JobController({ client, informers, workers: o.concurrentJobSyncs ?? 5, logger: log }),
    cronjob: new CronJobController({ client, informers, workers: o.concurrentCronJobSyncs ?? 5, logger: log }),
    'ttl-after-finished': new TtlAfterFinishedController({ client, informers, logger: log }),
    'garbage-collector': new GarbageCollector({ client, informers, logger: log }),
    endpointslice: new EndpointSliceController({ client, informers, logger: log }),
    endpoints: new EndpointsController({ client, informers, logger: log }),
    ...(o.rootCaFile ? { 'root-ca-cert-publisher': new RootCAPublisher({ client, informers, rootCA: readFileSync(o.rootCaFile, 'utf8'), logger: log }) } : {}),
    podgc: new PodGcController({ client, informers, terminatedPodThreshold: o.terminatedPodGcThreshold, logger: log }),
    ...(o.disable?.includes('servicelb') ? {} : { servicelb: new ServiceLBController({ client, informers, logger: log }) }),
  };
  await Promise.all(Object.values(controllers).map((c) => c.start(signal)));
  log.info({ controllers: Object.keys(controllers) }, 'controllers started');
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  await Promise.all(Object.values(controllers).map((c) => c.stop()));
  await informers.stop();
}

export function controllerManagerCommand(): Command {
  return new Command('controller-manager')
    .description('run the cluster controllers (node lifecycle, service accounts, replica sets, deployments, daemon sets, jobs, cron jobs, namespaces, disruption budgets, taint eviction, garbage collector)')
    .requiredOption('--kubeconfig <file>', 'kubeconfig to reach the API server')
    .option('--leader-elect', 'elect one active replica through a Lease in kube-system', false)
    .option('--node-monitor-grace-period <d>', 'how long a node may be silent before it is Unknown', '40s')
    .option('--node-monitor-period <d>', 'how often nodes are checked', '5s')
    .option('--concurrent-replicaset-syncs <n>', 'ReplicaSets synced at once', (v) => Number.parseInt(v, 10), 5)
    .option('--concurrent-deployment-syncs <n>', 'Deployments synced at once', (v) => Number.parseInt(v, 10), 5)
    .option('--concurrent-daemonset-syncs <n>', 'DaemonSets synced at once', (v) => Number.parseInt(v, 10), 2)
    .option('--concurrent-job-syncs <n>', 'Jobs synced at once', (v) => Number.parseInt(v, 10), 5)
    .option('--concurrent-cron-job-syncs <n>', 'CronJobs synced at once', (v) => Number.parseInt(v, 10), 5)
    .option('--root-ca-file <file>', 'the cluster CA, published in every namespace as the ConfigMap kube-root-ca.crt')
    .option('--disable <names>', DISABLE_HELP, parseDisable)
    .option('--terminated-pod-gc-threshold <n>', 'terminated pods kept before the pod garbage collector deletes the oldest (0: never)', (v) => Number.parseInt(v, 10), 12500)
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
