import { describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import type { Pod } from '../../api/types/core.js';
import { kubeletLogQuery, logContainer } from './pod-log.js';

const pod = (containers: string[], init: string[] = []): Pod => ({
  metadata: { name: 'web', namespace: 'default' },
  spec: { containers: containers.map((name) => ({ name, image: 'x' })), ...(init.length ? { initContainers: init.map((name) => ({ name, image: 'x' })) } : {}) },
});

function badRequest(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isApiError(e, 'BadRequest')) return e.message;
    throw e;
  }
  throw new Error('no error');
}

describe('logContainer', () => {
  it('takes the only container, or the one named (init containers too)', () => {
    expect(logContainer(pod(['app']), undefined)).toBe('app');
    expect(logContainer(pod(['app', 'side'], ['setup']), 'setup')).toBe('setup');
  });

  it("words refusals as kube-apiserver does", () => {
    expect(badRequest(() => logContainer(pod(['a', 'b']), undefined))).toBe('a container name must be specified for pod web, choose one of: [a b]');
    expect(badRequest(() => logContainer(pod(['a', 'b'], ['i']), ''))).toBe('a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [i]');
    expect(badRequest(() => logContainer(pod(['a']), 'c'))).toBe('container c is not valid for pod web');
  });
});

describe('kubeletLogQuery', () => {
  it('passes the log options on, dropping false ones', () => {
    const q = kubeletLogQuery({ follow: 'true', timestamps: 'false', previous: '1', tailLines: '0', limitBytes: '10', sinceSeconds: '5', container: 'x' });
    expect(Object.fromEntries(q)).toEqual({ follow: 'true', previous: 'true', tailLines: '0', limitBytes: '10', sinceSeconds: '5' });
  });

  it('reads any word but "0" and "false" as true, as Kubernetes does', () => {
    expect(Object.fromEntries(kubeletLogQuery({ follow: 'maybe', previous: 'FALSE' }))).toEqual({ follow: 'true' });
  });

  it('refuses values kube refuses', () => {
    expect(badRequest(() => kubeletLogQuery({ tailLines: '-1' }))).toMatch(/^tailLines must be an integer of at least 0/);
    expect(badRequest(() => kubeletLogQuery({ limitBytes: '0' }))).toMatch(/^limitBytes/);
    expect(badRequest(() => kubeletLogQuery({ sinceSeconds: '3', sinceTime: '2024-01-01T00:00:00Z' }))).toBe('at most one of sinceTime or sinceSeconds may be specified');
  });
});
