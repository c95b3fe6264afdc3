import { describe, expect, it } from 'vitest';
import type { Container } from '../api/types/core.js';
import { podRequests, qosClass } from './resources.js';
import { makePod } from './testing/builders.js';

const c = (name: string, resources?: Container['resources']): Container => ({ name, image: 'busybox', resources });

describe('qosClass', () => {
  it.each([
    ['no resources', [c('a')], 'BestEffort'],
    ['limits equal requests for cpu and memory', [c('a', { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '0.5', memory: '64Mi' } })], 'Guaranteed'],
    ['limits only (requests default to them)', [c('a', { limits: { cpu: '1', memory: '1Gi' } })], 'Guaranteed'],
    ['requests below limits', [c('a', { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m' } })], 'Burstable'],
    ['memory only', [c('a', { limits: { memory: '1Gi' } })], 'Burstable'],
    ['one guaranteed, one best effort', [c('a', { limits: { cpu: '1', memory: '1Gi' } }), c('b')], 'Burstable'],
  ] as const)('%s -> %s', (_n, containers, want) => {
    expect(qosClass(makePod({ containers: [...containers] }))).toBe(want);
  });
});

describe('podRequests', () => {
  it('sums app containers and takes the largest init container when larger', () => {
    const pod = makePod({
      containers: [c('a', { requests: { cpu: '250m', memory: '64Mi' } }), c('b', { limits: { cpu: '1', memory: '1Gi' } })],
      initContainers: [c('i', { requests: { cpu: '2', memory: '1Mi' } })],
    });
    expect(podRequests(pod)).toEqual({ milliCPU: 2000, memory: 64 * 2 ** 20 + 2 ** 30 });
  });
});
