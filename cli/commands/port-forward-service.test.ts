import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import type { Service, ServicePort } from '../../api/types/service.js';
import { translateServicePorts } from './port-forward-service.js';

const pod = {
  metadata: { name: 'web-1' },
  spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x', ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9090 }] }] },
} as Pod;

function svc(ports: ServicePort[], clusterIP = '10.96.0.20'): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { clusterIP, ports } } as Service;
}

const numbered = svc([{ name: 'web', port: 80, targetPort: 8080 }, { name: 'same', port: 9000 }, { name: 'zero', port: 7000, targetPort: 0 }]);
const named = svc([{ name: 'web', port: 80, targetPort: 'http' }, { name: 'mon', port: 81, targetPort: 'metrics' }, { name: 'gone', port: 82, targetPort: 'nope' }]);
const headless = svc([{ name: 'web', port: 80, targetPort: 8080 }], 'None');

describe("translateServicePorts (kubectl's translateServicePortToTargetPort)", () => {
  it.each([
    ['a bare port keeps the service port locally', numbered, '80', '80:8080'],
    ['LOCAL:PORT goes to the targetPort', numbered, '5000:80', '5000:8080'],
    [':PORT lets the system pick the local port', numbered, ':80', ':8080'],
    ['an omitted targetPort is the port', numbered, '9000', '9000'],
    ['a zero targetPort is the port', numbered, '7000', '7000'],
    ['a local port equal to the target collapses', numbered, '8080:80', '8080'],
    ['a service port by name listens on its number', numbered, 'web', '80:8080'],
    ['LOCAL:NAME', numbered, '5000:web', '5000:8080'],
    ['a named targetPort is looked up in the pod', named, '80', '80:8080'],
    ['in any of its containers', named, '6000:81', '6000:9090'],
    ['by service port name too', named, 'mon', '81:9090'],
    ["a headless service's ports are the pod's", headless, '80', '80'],
  ])('%s: %s', (_what, service, spec, want) => {
    expect(translateServicePorts([spec], service, pod)).toEqual([want]);
  });

  it.each([
    ['a port the service does not have', numbered, '81', 'Service web does not have a service port 81'],
    ['a port name the service does not have', numbered, 'grpc', "Service 'web' does not have a named port 'grpc'"],
    ['a targetPort name the pod does not have', named, '82', "Pod 'web-1' does not have a named port 'nope'"],
  ])('refuses %s', (_what, service, spec, message) => {
    expect(() => translateServicePorts([spec], service, pod)).toThrow(message);
  });

  it('translates each of several specs', () => {
    expect(translateServicePorts(['80', '9000', ':web'], numbered, pod)).toEqual(['80:8080', '9000', ':8080']);
  });
});
