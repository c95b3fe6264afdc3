import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types/core.js';
import type { Service } from '../api/types/service.js';
import { OwnWrites } from './own-writes.js';
import { servicesForPodEvent } from './service-pods.js';

const svc = (name: string, selector?: Record<string, string>): Service => ({ metadata: { name, namespace: 'ns' }, spec: { selector } });
const services = [svc('web', { app: 'web' }), svc('front', { tier: 'front' }), svc('all', {}), svc('manual')];
const pod = (rv: string, labels: Record<string, string>, ready = true, extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'ns', resourceVersion: rv, labels, ...extra },
  spec: { containers: [] },
  status: { podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const keys = (old: Pod | undefined, cur: Pod | undefined) => servicesForPodEvent(() => services, old, cur).sort();

describe('servicesForPodEvent', () => {
  it.each([
    ['an added pod: every Service selecting it (an empty selector selects all, none none)', undefined, pod('1', { app: 'web' }), ['ns/all', 'ns/web']],
    ['a deleted pod: the same', pod('1', { app: 'web' }), undefined, ['ns/all', 'ns/web']],
    ['a resync (same resourceVersion): none', pod('1', { app: 'web' }), pod('1', { app: 'web' }, false), []],
    ['a change the endpoints do not show: none', pod('1', { app: 'web' }), pod('2', { app: 'web' }, true, { annotations: { a: 'b' } }), []],
    ['a readiness change: its Services', pod('1', { app: 'web' }), pod('2', { app: 'web' }, false), ['ns/all', 'ns/web']],
    ['a deletion starting: its Services', pod('1', { app: 'web' }), pod('2', { app: 'web' }, true, { deletionTimestamp: 'now' }), ['ns/all', 'ns/web']],
    ['labels only: the Services it joined or left', pod('1', { app: 'web' }), pod('2', { tier: 'front' }), ['ns/front', 'ns/web']],
    ['labels and readiness: all of them', pod('1', { app: 'web' }), pod('2', { app: 'web', tier: 'front' }, false), ['ns/all', 'ns/front', 'ns/web']],
  ] as const)('%s', (_what, old, cur, want) => {
    expect(keys(old, cur)).toEqual(want);
  });
});

describe('OwnWrites', () => {
  const obj = (name: string, rv: string) => ({ metadata: { name, resourceVersion: rv } });

  it('is stale until the cache shows the writes, then forgets them', () => {
    const w = new OwnWrites();
    w.wrote('ns/web', obj('web-a', '10'));
    w.deleted('ns/web', 'web-b');
    expect(w.stale('ns/web', [obj('web-b', '3')])).toBe(true);
    expect(w.stale('ns/web', [obj('web-a', '9')])).toBe(true);
    expect(w.stale('ns/web', [obj('web-a', '11')])).toBe(false);
    expect(w.stale('ns/web', [])).toBe(false);
    expect(w.stale('ns/other', [])).toBe(false);
  });

  it('a delete seen on the watch settles what was expected of that name', () => {
    const w = new OwnWrites();
    w.wrote('ns/web', obj('web-a', '10'));
    w.observedDelete('ns/web', 'web-a');
    expect(w.stale('ns/web', [])).toBe(false);
  });
});
