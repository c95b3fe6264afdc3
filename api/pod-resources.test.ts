import { describe, expect, it } from 'vitest';
import { podLimits, podRequests, qosClass } from './pod-resources.js';
import type { Container, Pod, ResourceRequirements } from './types/core.js';

const c = (name: string, resources?: ResourceRequirements): Container => ({ name, image: 'busybox', resources });
const pod = (containers: Container[], initContainers?: Container[]): Pod => ({ metadata: { name: 'p' }, spec: { containers, initContainers } });
const both = (cpu: string, memory: string) => ({ cpu, memory });

describe('qosClass', () => {
  const cases: [string, Pod, string][] = [
    ['no resources', pod([c('a'), c('b')]), 'BestEffort'],
    ['zero requests count as none', pod([c('a', { requests: both('0', '0') })]), 'BestEffort'],
    ['equal limits and requests', pod([c('a', { limits: both('1', '1Gi'), requests: both('1000m', '1024Mi') })]), 'Guaranteed'],
    ['limits only (requests default to them)', pod([c('a', { limits: both('500m', '128Mi') })]), 'Guaranteed'],
    ['every container guaranteed', pod([c('a', { limits: both('1', '1Gi') }), c('b', { limits: both('2', '2Gi') })]), 'Guaranteed'],
    ['one container without limits', pod([c('a', { limits: both('1', '1Gi') }), c('b')]), 'Burstable'],
    ['requests below limits', pod([c('a', { limits: both('1', '1Gi'), requests: both('500m', '1Gi') })]), 'Burstable'],
    ['only a memory limit', pod([c('a', { limits: { memory: '1Gi' } })]), 'Burstable'],
    ['only a cpu request', pod([c('a', { requests: { cpu: '100m' } })]), 'Burstable'],
    ['init container without limits', pod([c('a', { limits: both('1', '1Gi') })], [c('init')]), 'Burstable'],
    ['init container guaranteed too', pod([c('a', { limits: both('1', '1Gi') })], [c('init', { limits: both('1', '1Gi') })]), 'Guaranteed'],
    ['other resources ignored', pod([c('a', { limits: { ...both('1', '1Gi'), 'example.com/gpu': '1' } })]), 'Guaranteed'],
    ['only non-qos resources', pod([c('a', { requests: { 'example.com/gpu': '1' } })]), 'BestEffort'],
  ];
  it.each(cases)('%s -> %s', (_name, p, want) => expect(qosClass(p)).toBe(want));
});

describe('podRequests', () => {
  const cases: [string, Pod, number, number][] = [
    ['nothing requested', pod([c('a')]), 0, 0],
    ['one container', pod([c('a', { requests: both('250m', '64Mi') })]), 250, 64 * 1024 ** 2],
    ['sum of app containers', pod([c('a', { requests: both('0.5', '1G') }), c('b', { requests: both('1.5', '1Gi') })]), 2000, 1e9 + 1024 ** 3],
    ['limits stand in for missing requests', pod([c('a', { limits: both('1', '1Gi') })]), 1000, 1024 ** 3],
    ['init container larger than the sum', pod([c('a', { requests: both('100m', '10Mi') })], [c('i', { requests: both('2', '5Mi') })]), 2000, 10 * 1024 ** 2],
    ['several init containers: the max', pod([c('a')], [c('i1', { requests: { memory: '1Gi' } }), c('i2', { requests: { memory: '2Gi' } })]), 0, 2 * 1024 ** 3],
    ['milli cpu rounds up', pod([c('a', { requests: { cpu: '1n' } })]), 1, 0],
  ];
  it.each(cases)('%s', (_name, p, milliCPU, memory) => expect(podRequests(p)).toEqual({ milliCPU, memory, ephemeralStorage: 0, scalar: {} }));
});

describe('podLimits', () => {
  const cases: [string, Pod, number, number][] = [
    ['all limited', pod([c('a', { limits: both('1', '1Gi') }), c('b', { limits: both('500m', '1Gi') })]), 1500, 2 * 1024 ** 3],
    ['one unlimited container means no pod limit', pod([c('a', { limits: both('1', '1Gi') }), c('b', { limits: { cpu: '1' } })]), 2000, 0],
    ['init container max', pod([c('a', { limits: both('1', '1Gi') })], [c('i', { limits: both('3', '1Mi') })]), 3000, 1024 ** 3],
  ];
  it.each(cases)('%s', (_name, p, milliCPU, memory) => expect(podLimits(p)).toEqual({ milliCPU, memory, ephemeralStorage: 0, scalar: {} }));
});
