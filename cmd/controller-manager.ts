// `skiff controller-manager --kubeconfig F [--leader-elect] [--node-monitor-grace-period 40s]`:
// the cluster's controllers (the node lifecycle, ServiceAccount, disruption and NoExecute taint eviction controllers), one active replica at a
// time when leader election is on.
import { Command } from 'commander';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { connectionFromKubeconfig } from '../client/kubeconfig.js';
import { LeaderElector } from '../client/leader-election.js';
import { RestClient } from '../client/rest.js';
import { DisruptionController } from '../controllers/disruption/controller.js';
import { NodeLifecycleController } from '../controllers/node-lifecycle/controller.js';
import { ServiceAccountController } from '../controllers/service-account/controller.js';
import { TaintEvictionController } from '../controllers/taint-eviction/controller.js';
import { parseGoDuration } from '../api/duration.js';
import { createLogger } from './log.js';

export function controllerManagerCommand(): Command {
  return new Command('controller-manager')
    .description('run the cluster controllers (node lifecycle, service accounts, disruption budgets, taint eviction)')
    .requiredOption('--kubeconfig <file>', 'kubeconfig to reach the API server')
    .option('--leader-elect', 'elect one active replica through a Lease in kube-system', false)
    .option('--node-monitor-grace-period <d>', 'how long a node may be silent before it is Unknown', '40s')
    .option('--node-monitor-period <d>', 'how often nodes are checked', '5s')
    .action(async (o: { kubeconfig: string; leaderElect: boolean; nodeMonitorGracePeriod: string; nodeMonitorPeriod: string }) => {
      const log = createLogger('controller-manager');
      const client = new RestClient(connectionFromKubeconfig({ kubeconfig: o.kubeconfig }), { userAgent: 'skiff-controller-manager' });
      const stop = new AbortController();
      const runControllers = async (signal: AbortSignal) => {
        const nodes = new NodeLifecycleController({
          client,
          gracePeriodMs: parseGoDuration(o.nodeMonitorGracePeriod),
          monitorPeriodMs: parseGoDuration(o.nodeMonitorPeriod),
          logger: log,
        });
        const serviceAccounts = new ServiceAccountController({ client, logger: log });
        const disruption = new DisruptionController({ client, logger: log });
        const taintEviction = new TaintEvictionController({ client, logger: log });
        await Promise.all([nodes.start(signal), serviceAccounts.start(signal), disruption.start(signal), taintEviction.start(signal)]);
        log.info('node lifecycle, service account, disruption and taint eviction controllers started');
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        await Promise.all([nodes.stop(), serviceAccounts.stop(), disruption.stop(), taintEviction.stop()]);
      };
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
