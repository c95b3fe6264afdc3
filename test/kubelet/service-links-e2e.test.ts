// Service links end to end (etcd, API server, the kubelet with its node token reading Services,
// conmon + runc/crun): a container has the variables of its namespace's Services and of the
// `kubernetes` Service, none of headless ones; with enableServiceLinks false only kubernetes'.
import { describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import type { Pod } from '../../api/types/core.js';
import type { Service } from '../../api/types/service.js';
import { nodeClusterPerFile, type NodeCluster } from './harness.js';

let c: NodeCluster;
nodeClusterPerFile({ syncFrequencyMs: 1000 }, (started) => {
  c = started;
});

describe('service links', () => {
  it('gives containers the variables of the Services of their namespace and of kubernetes', async () => {
    const services = c.admin.resourceByName<Service>('services', '');
    const create = (svc: Service) => services.create(svc, { namespace: svc.metadata.namespace }).catch((e: unknown) => (isApiError(e, 'AlreadyExists') ? undefined : Promise.reject(e)));
    // The API server's own: the first address of the service range, port 443 named https.
    const kubernetesIP = (await services.get('kubernetes', { namespace: 'default' })).spec.clusterIP;
    await create({ metadata: { name: 'redis-primary', namespace: c.ns }, spec: { clusterIP: '10.96.0.30', selector: { app: 'redis' }, ports: [{ name: 'redis', port: 6379 }] } });
    await create({ metadata: { name: 'db', namespace: c.ns }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] } });

    const pod = (name: string, enableServiceLinks?: boolean): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: c.ns },
      spec: {
        nodeName: c.node,
        terminationGracePeriodSeconds: 1,
        ...(enableServiceLinks === undefined ? {} : { enableServiceLinks }),
        containers: [{ name: 'app', image: c.image, command: ['sleep', '3600'], env: [{ name: 'REDIS_URL', value: 'redis://$(REDIS_PRIMARY_SERVICE_HOST):$(REDIS_PRIMARY_SERVICE_PORT_REDIS)' }] }],
      },
    });
    const envOf = async (name: string) => {
      await c.createPod(pod(name, name === 'unlinked' ? false : undefined));
      const running = await c.waitPod(name, (p) => !!p.status?.containerStatuses?.[0]?.state?.running, `${name} running`, 60_000);
      const id = running.status?.containerStatuses?.[0]?.containerID?.replace(/^[a-z]+:\/\//, '') ?? '';
      const out = (await c.runtime.execSync(id, ['env'], 5)).stdout.toString();
      return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    };

    const linked = await envOf('linked');
    expect(linked).toMatchObject({
      REDIS_URL: 'redis://10.96.0.30:6379',
      REDIS_PRIMARY_SERVICE_HOST: '10.96.0.30',
      REDIS_PRIMARY_SERVICE_PORT: '6379',
      REDIS_PRIMARY_SERVICE_PORT_REDIS: '6379',
      REDIS_PRIMARY_PORT: 'tcp://10.96.0.30:6379',
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: '10.96.0.30',
      KUBERNETES_SERVICE_HOST: kubernetesIP,
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
    });
    expect(Object.keys(linked).filter((k) => k.startsWith('DB_'))).toEqual([]);

    const unlinked = await envOf('unlinked');
    expect(unlinked.KUBERNETES_SERVICE_HOST).toBe(kubernetesIP);
    expect(Object.keys(unlinked).filter((k) => k.startsWith('REDIS_PRIMARY'))).toEqual([]);
    // Unset references stay as written, as the kubelet's expansion leaves them.
    expect(unlinked.REDIS_URL).toBe('redis://$(REDIS_PRIMARY_SERVICE_HOST):$(REDIS_PRIMARY_SERVICE_PORT_REDIS)');
  }, 150_000);
});
