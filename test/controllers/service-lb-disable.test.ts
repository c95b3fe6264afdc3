// The controller-manager's wiring of ServiceLB on a real API server with a hollow node: with
// `--disable servicelb` a LoadBalancer Service stays pending while the other controllers work
// on it (its EndpointSlice is written); without, it gets the node's address. An unknown name
// for --disable is refused.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../../api/types/service.js';
import { RestClient } from '../../client/rest.js';
import { controllerManagerCommand, runControllersUntil, type ControllerManagerFlags } from '../../cmd/controller-manager.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { eventually } from '../fixtures/eventually.js';
import { startHollowNodes, type HollowNodes } from '../fixtures/hollow-nodes.js';

const NS = 'default';
const FLAGS: ControllerManagerFlags = { nodeMonitorGracePeriod: '40s', nodeMonitorPeriod: '5s', concurrentReplicasetSyncs: 1, concurrentDeploymentSyncs: 1 };

describe('controller-manager --disable servicelb', () => {
  let cluster: ApiCluster;
  let admin: RestClient;
  let manager: RestClient;
  let nodes: HollowNodes;

  /** Runs the controller-manager's controllers until the returned stop is called. */
  const run = (flags: ControllerManagerFlags) => {
    const stop = new AbortController();
    const done = runControllersUntil(manager, flags, pino({ level: 'silent' }), stop.signal);
    return async () => {
      stop.abort();
      await done;
    };
  };
  const ingress = async (name: string) => (await admin.resourceByName<Service>('services', '').get(name, { namespace: NS })).status?.loadBalancer?.ingress ?? [];

  beforeAll(async () => {
    cluster = await startApiCluster();
    admin = new RestClient({ server: cluster.api.url, token: cluster.api.adminToken, namespace: NS });
    manager = new RestClient({ server: cluster.api.url, token: cluster.api.controllerManagerToken, namespace: NS });
    nodes = await startHollowNodes({ client: admin, count: 1 });
  });
  afterAll(async () => {
    await nodes?.stop({ deleteNodes: true });
    admin?.close();
    manager?.close();
    await cluster?.stop();
  });

  it('leaves LoadBalancers pending when disabled and publishes them when not', async () => {
    const stopDisabled = run({ ...FLAGS, disable: ['servicelb'] });
    try {
      await admin.resourceByName<Service>('services', '').create(
        { metadata: { name: 'lb', namespace: NS }, spec: { type: 'LoadBalancer', selector: { app: 'lb' }, ports: [{ port: 80 }] } },
        { namespace: NS },
      );
      // The EndpointSlice controller has seen the Service (so the others have had it too).
      const slices = admin.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io');
      await eventually(async () => (await slices.list({ namespace: NS, labelSelector: 'kubernetes.io/service-name=lb' })).items.length > 0, 'the Service slice', 20_000);
      expect(await ingress('lb')).toEqual([]);
    } finally {
      await stopDisabled();
    }
    const stopEnabled = run(FLAGS);
    try {
      await eventually(async () => (await ingress('lb')).length === 1, 'the ingress', 20_000);
      expect(await ingress('lb')).toEqual([{ ip: '127.0.0.1', ipMode: 'VIP' }]);
    } finally {
      await stopEnabled();
    }
  });

  it('refuses a name it does not know', async () => {
    const cmd = controllerManagerCommand().exitOverride().configureOutput({ writeErr: () => undefined });
    await expect(cmd.parseAsync(['--kubeconfig', '/nonexistent', '--disable', 'traefik'], { from: 'user' })).rejects.toThrow(/unknown controller "traefik" \(known: servicelb\)/);
  });
});
