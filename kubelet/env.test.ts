import { describe, expect, it } from 'vitest';
import type { Container } from '../api/types/core.js';
import { makeEnvironment } from './env.js';
import { makePod } from './testing/builders.js';

describe('resourceFieldRef', () => {
  const app: Container = {
    name: 'app',
    image: 'busybox',
    resources: { requests: { cpu: '250m' }, limits: { cpu: '1', memory: '128Mi', 'skiff.dev/memory-swap': '1Gi' } },
    env: [
      { name: 'CPU_REQUEST', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      { name: 'MEM_REQUEST', valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi' } } },
      { name: 'MEM_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
      { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
    ],
  };

  it('reads requests as defaulting leaves them (a limit stands in for a missing request), limits as declared', () => {
    const env = makeEnvironment(makePod({ containers: [app] }), app, {});
    expect(env).toEqual([
      { key: 'CPU_REQUEST', value: '250' },
      { key: 'MEM_REQUEST', value: '128' },
      { key: 'MEM_LIMIT', value: String(128 * 2 ** 20) },
      { key: 'CPU_LIMIT', value: '1' },
    ]);
  });

  it('a limit not set reads the node allocatable', () => {
    const c: Container = { name: 'app', image: 'busybox', env: [{ name: 'MEM_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } }] };
    expect(makeEnvironment(makePod({ containers: [c] }), c, { nodeAllocatable: { milliCPU: 4000, memory: 8 * 2 ** 30 } })).toEqual([{ key: 'MEM_LIMIT', value: String(8 * 2 ** 30) }]);
  });
});
