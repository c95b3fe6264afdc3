import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../api/types/core.js';
import { admitPod, rejectedStatus } from './admission.js';
import { makePod } from './testing/builders.js';

const node = { milliCPU: 2000, memory: 4 * 2 ** 30, pods: 3 };
const c = (cpu: string, memory: string, extra: Partial<Container> = {}): Container => ({ name: 'app', image: 'x', resources: { requests: { cpu, memory } }, ...extra });
const pod = (name: string, ...containers: Container[]): Pod => makePod({ containers }, name);

describe('admitPod', () => {
  it('admits a pod that fits beside the others', () => {
    expect(admitPod(pod('new', c('500m', '1Gi')), [pod('a', c('1', '2Gi'))], node)).toEqual({ admit: true });
  });

  it('rejects with OutOfcpu and the Kubernetes message', () => {
    expect(admitPod(pod('new', c('1500m', '1Mi')), [pod('a', c('1', '1Mi'))], node)).toEqual({
      admit: false,
      reason: 'OutOfcpu',
      message: "Node didn't have enough resource: cpu, requested: 1500, used: 1000, capacity: 2000",
    });
  });

  it('rejects with OutOfmemory', () => {
    const r = admitPod(pod('new', c('10m', '3Gi')), [pod('a', c('10m', '2Gi'))], node);
    expect(r).toMatchObject({ admit: false, reason: 'OutOfmemory' });
  });

  it('rejects past max pods with OutOfpods', () => {
    const r = admitPod(pod('new', c('1m', '1')), [pod('a', c('1m', '1')), pod('b', c('1m', '1')), pod('c', c('1m', '1'))], node);
    expect(r).toMatchObject({ admit: false, reason: 'OutOfpods' });
  });

  it('rejects a host port already taken (0.0.0.0 clashes with any address) with NodePorts', () => {
    const withPort = (hostPort: number, hostIP?: string) => c('1m', '1', { ports: [{ containerPort: 80, hostPort, ...(hostIP ? { hostIP } : {}) }] });
    expect(admitPod(pod('new', withPort(8080)), [pod('a', withPort(8080, '10.0.0.1'))], node)).toEqual({
      admit: false,
      reason: 'NodePorts',
      message: "node(s) didn't have free ports for the requested pod ports",
    });
    expect(admitPod(pod('new', withPort(8081)), [pod('a', withPort(8080))], node)).toEqual({ admit: true });
  });

  it('a rejected pod is Failed with "Pod was rejected: ..."', () => {
    expect(rejectedStatus(pod('x', c('1', '1')), 'OutOfcpu', 'msg')).toEqual({ phase: 'Failed', reason: 'OutOfcpu', message: 'Pod was rejected: msg' });
  });
});
