import { describe, expect, it } from 'vitest';
import { PodStates } from './pod-state.js';
import { makePod } from './testing/builders.js';

describe('PodStates', () => {
  it('forget drops the record and calls every part that keeps per-pod state', () => {
    const forgotten: string[] = [];
    const s = new PodStates([(uid) => forgotten.push(`status:${uid}`), (uid) => forgotten.push(`worker:${uid}`)]);
    const pod = makePod();
    s.set(pod);
    s.admit('uid-web');
    expect(s.admitted()).toEqual([pod]);
    s.forget('uid-web');
    expect(s.get('uid-web')).toBeUndefined();
    expect(s.admitted()).toEqual([]);
    expect(forgotten).toEqual(['status:uid-web', 'worker:uid-web']);
  });

  it('set returns the previous object and keeps the admission', () => {
    const s = new PodStates();
    const a = makePod();
    const b = { ...makePod(), metadata: { ...a.metadata, labels: { x: 'y' } } };
    expect(s.set(a)).toBeUndefined();
    s.reject('uid-web');
    expect(s.set(b)).toBe(a);
    expect(s.admission('uid-web')).toBe('rejected');
  });

  it('a pod terminated while its object exists is ignored until the delete event, then gone', () => {
    const s = new PodStates();
    s.set(makePod());
    s.terminated('uid-web');
    expect(s.isTerminated('uid-web')).toBe(true);
    expect(s.removed('uid-web')).toBe(false);
    expect(s.isTerminated('uid-web')).toBe(false);
  });

  it('a pod whose object went first leaves no tombstone when its kill ends', () => {
    const s = new PodStates();
    s.set(makePod());
    expect(s.removed('uid-web')).toBe(true);
    expect(s.has('uid-web')).toBe(false);
    s.terminated('uid-web');
    expect(s.isTerminated('uid-web')).toBe(false);
  });
});
