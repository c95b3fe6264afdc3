import { describe, expect, it } from 'vitest';
import { makeNodeInfo, makePod } from '../../framework/builders.js';
import { CycleState } from '../../framework/cycle-state.js';
import { PodInfo } from '../../framework/node-info.js';
import { leastAllocatedScore, mostAllocatedScore, NodeResourcesFit } from './node-resources-fit.js';

const node = { name: 'n', cpu: '2', memory: '4Gi', pods: 3 };

describe('NodeResourcesFit filter', () => {
  const cases: { name: string; existing: { cpu?: string; memory?: string }[]; pod: { cpu?: string; memory?: string }; reasons: string[] }[] = [
    { name: 'fits an empty node', existing: [], pod: { cpu: '1', memory: '1Gi' }, reasons: [] },
    { name: 'fits exactly', existing: [{ cpu: '1500m', memory: '3Gi' }], pod: { cpu: '500m', memory: '1Gi' }, reasons: [] },
    { name: 'cpu short by 1m', existing: [{ cpu: '1500m' }], pod: { cpu: '501m' }, reasons: ['Insufficient cpu'] },
    { name: 'memory short', existing: [{ memory: '3Gi' }], pod: { memory: '1025Mi' }, reasons: ['Insufficient memory'] },
    { name: 'both short, Kubernetes order', existing: [{ cpu: '2', memory: '4Gi' }], pod: { cpu: '1m', memory: '1' }, reasons: ['Insufficient cpu', 'Insufficient memory'] },
    { name: 'a pod requesting nothing fits a full node', existing: [{ cpu: '2', memory: '4Gi' }], pod: {}, reasons: [] },
    { name: 'pod count', existing: [{}, {}, {}], pod: {}, reasons: ['Too many pods'] },
  ];
  it.each(cases)('$name', ({ existing, pod, reasons }) => {
    const ni = makeNodeInfo(node, existing.map((e) => makePod(e)));
    const s = new NodeResourcesFit().filter(new CycleState(), new PodInfo(makePod(pod)), ni);
    expect(s.isSuccess()).toBe(reasons.length === 0);
    expect([...s.reasons]).toEqual(reasons);
    if (reasons.length) expect(s.code).toBe('Unschedulable');
  });

  it('counts a limit without a request as the request (API defaulting)', () => {
    const ni = makeNodeInfo(node, []);
    const greedy = makePod({ containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: '3' } } }] });
    expect([...new NodeResourcesFit().filter(new CycleState(), new PodInfo(greedy), ni).reasons]).toEqual(['Insufficient cpu']);
  });

  it('never counts memory+swap (a limit only) as a request', () => {
    const ni = makeNodeInfo(node, []);
    const web = makePod({ containers: [{ name: 'web', image: 'x', resources: { requests: { cpu: '1' }, limits: { memory: '200Mi', 'skiff.dev/memory-swap': '1Gi' } } }] });
    const s = new NodeResourcesFit().filter(new CycleState(), new PodInfo(web), ni);
    expect([...s.reasons]).toEqual([]);
    expect(s.isSuccess()).toBe(true);
  });

  it('reports extended resources and honours ignoredResources', () => {
    const ni = makeNodeInfo(node, []);
    const gpu = makePod({ containers: [{ name: 'c', image: 'x', resources: { requests: { 'example.com/gpu': '1' } } }] });
    expect([...new NodeResourcesFit().filter(new CycleState(), new PodInfo(gpu), ni).reasons]).toEqual(['Insufficient example.com/gpu']);
    expect(new NodeResourcesFit({ ignoredResources: ['example.com/gpu'] }).filter(new CycleState(), new PodInfo(gpu), ni).isSuccess()).toBe(true);
  });
});

describe('NodeResourcesFit score', () => {
  it.each([
    // requested, capacity, least, most
    [0, 4000, 100, 0],
    [1000, 4000, 75, 25],
    [3999, 4000, 0, 99],
    [4000, 4000, 0, 100],
    [5000, 4000, 0, 100],
    [10, 0, 0, 0],
  ])('requested %i of %i: least %i, most %i', (req, cap, least, most) => {
    expect(leastAllocatedScore(req, cap)).toBe(least);
    expect(mostAllocatedScore(req, cap)).toBe(most);
  });

  it('LeastAllocated prefers the emptier node, MostAllocated the fuller one', () => {
    const empty = makeNodeInfo({ name: 'empty', cpu: '4', memory: '8Gi' });
    const busy = makeNodeInfo({ name: 'busy', cpu: '4', memory: '8Gi' }, [makePod({ cpu: '2', memory: '4Gi' })]);
    const p = new PodInfo(makePod({ cpu: '1', memory: '2Gi' }));
    const least = new NodeResourcesFit();
    const most = new NodeResourcesFit({ scoringStrategy: { type: 'MostAllocated' } });
    const st = new CycleState();
    expect(least.score(st, p, empty)).toBe(75);
    expect(least.score(st, p, busy)).toBe(25);
    expect(most.score(st, p, empty)).toBe(25);
    expect(most.score(st, p, busy)).toBe(75);
  });

  it('scores a pod without requests with the 100m / 200Mi defaults', () => {
    const ni = makeNodeInfo({ name: 'n', cpu: '1', memory: '1000Mi' });
    // cpu: (1000-100)*100/1000 = 90; memory: (1000Mi-200Mi)/1000Mi = 80; mean 85
    expect(new NodeResourcesFit().score(new CycleState(), new PodInfo(makePod({})), ni)).toBe(85);
  });

  it('weights resources', () => {
    const ni = makeNodeInfo({ name: 'n', cpu: '1', memory: '1000Mi' });
    const fit = new NodeResourcesFit({ scoringStrategy: { resources: [{ name: 'cpu', weight: 3 }, { name: 'memory', weight: 1 }] } });
    // (90*3 + 80) / 4 = 87.5 -> 87
    expect(fit.score(new CycleState(), new PodInfo(makePod({})), ni)).toBe(87);
  });

  it('refuses unknown strategies and bad weights', () => {
    expect(() => new NodeResourcesFit({ scoringStrategy: { type: 'Random' as 'LeastAllocated' } })).toThrow(/not supported/);
    expect(() => new NodeResourcesFit({ scoringStrategy: { resources: [{ name: 'cpu', weight: 0 }] } })).toThrow(/weight/);
  });
});
