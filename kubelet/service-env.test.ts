import { describe, expect, it } from 'vitest';
import type { Container } from '../api/types/core.js';
import type { Service, ServicePort } from '../api/types/service.js';
import { makeEnvironment } from './env.js';
import { serviceEnvVars } from './service-env.js';
import { makePod } from './testing/builders.js';

function svc(namespace: string, name: string, clusterIP: string, ports: ServicePort[]): Service {
  return { metadata: { name, namespace }, spec: { clusterIP, ports } };
}

const kubernetes = svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]);
const redis = svc('shop', 'redis-primary', '10.96.0.30', [{ port: 6379 }]);
const web = svc('shop', 'web', '10.96.0.40', [
  { name: 'http', port: 80, protocol: 'TCP' },
  { name: 'dns-udp', port: 53, protocol: 'UDP' },
]);
const headless = svc('shop', 'db', 'None', [{ port: 5432 }]);
const external = { metadata: { name: 'ext', namespace: 'shop' }, spec: { type: 'ExternalName', externalName: 'example.com' } } as Service;
const elsewhere = svc('other', 'api', '10.96.0.50', [{ port: 8080 }]);
const all = [kubernetes, redis, web, headless, external, elsewhere];

describe('serviceEnvVars', () => {
  it('gives the variables of the Services of the pod namespace and of kubernetes, as the kubelet names them', () => {
    expect(Object.fromEntries(serviceEnvVars(all, 'shop', true))).toEqual({
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
      REDIS_PRIMARY_SERVICE_HOST: '10.96.0.30',
      REDIS_PRIMARY_SERVICE_PORT: '6379',
      REDIS_PRIMARY_PORT: 'tcp://10.96.0.30:6379',
      REDIS_PRIMARY_PORT_6379_TCP: 'tcp://10.96.0.30:6379',
      REDIS_PRIMARY_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_6379_TCP_PORT: '6379',
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: '10.96.0.30',
      WEB_SERVICE_HOST: '10.96.0.40',
      WEB_SERVICE_PORT: '80',
      WEB_SERVICE_PORT_HTTP: '80',
      WEB_SERVICE_PORT_DNS_UDP: '53',
      WEB_PORT: 'tcp://10.96.0.40:80',
      WEB_PORT_80_TCP: 'tcp://10.96.0.40:80',
      WEB_PORT_80_TCP_PROTO: 'tcp',
      WEB_PORT_80_TCP_PORT: '80',
      WEB_PORT_80_TCP_ADDR: '10.96.0.40',
      WEB_PORT_53_UDP: 'udp://10.96.0.40:53',
      WEB_PORT_53_UDP_PROTO: 'udp',
      WEB_PORT_53_UDP_PORT: '53',
      WEB_PORT_53_UDP_ADDR: '10.96.0.40',
    });
  });

  it('without enableServiceLinks only kubernetes', () => {
    expect([...serviceEnvVars(all, 'shop', false).keys()].every((k) => k.startsWith('KUBERNETES_'))).toBe(true);
    expect(serviceEnvVars(all, 'shop', false).get('KUBERNETES_SERVICE_HOST')).toBe('10.96.0.1');
  });

  it('a Service named kubernetes in the pod namespace wins over the default one; IPv6 addresses are bracketed', () => {
    const own = svc('shop', 'kubernetes', 'fd00::5', [{ port: 8443 }]);
    const vars = serviceEnvVars([kubernetes, own], 'shop', true);
    expect(vars.get('KUBERNETES_SERVICE_HOST')).toBe('fd00::5');
    expect(vars.get('KUBERNETES_PORT')).toBe('tcp://[fd00::5]:8443');
  });
});

describe('makeEnvironment with service links', () => {
  it('$(VAR) may name a service variable; the container own value wins; the rest come last', () => {
    const c: Container = {
      name: 'app',
      image: 'busybox',
      env: [
        { name: 'URL', value: 'http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)/' },
        { name: 'WEB_SERVICE_PORT', value: '8080' },
      ],
    };
    const env = makeEnvironment(makePod({ containers: [c] }), c, { serviceEnv: serviceEnvVars([web], 'shop', true) });
    expect(env.slice(0, 3)).toEqual([
      { key: 'URL', value: 'http://10.96.0.40:80/' },
      { key: 'WEB_SERVICE_PORT', value: '8080' },
      { key: 'WEB_SERVICE_HOST', value: '10.96.0.40' },
    ]);
    expect(env.filter((e) => e.key === 'WEB_SERVICE_PORT')).toHaveLength(1);
  });
});
