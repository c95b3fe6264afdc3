import { describe, expect, it } from 'vitest';
import { makeNodeInfo, makePod } from '../../framework/builders.js';
import { CycleState } from '../../framework/cycle-state.js';
import { PodInfo } from '../../framework/node-info.js';
import { NodeName } from './node-name.js';

describe('NodeName', () => {
  it.each([
    { name: 'no nodeName', want: undefined, node: 'a', fits: true },
    { name: 'matching nodeName', want: 'a', node: 'a', fits: true },
    { name: 'other nodeName', want: 'b', node: 'a', fits: false },
  ])('$name', ({ want, node, fits }) => {
    const s = new NodeName().filter(new CycleState(), new PodInfo(makePod({ nodeName: want })), makeNodeInfo({ name: node }));
    expect(s.isSuccess()).toBe(fits);
    if (!fits) expect([...s.reasons]).toEqual(["node(s) didn't match the requested node name"]);
  });
});
