import { describe, expect, it } from 'vitest';
import { makeNodeInfo, makePod } from '../../framework/builders.js';
import { CycleState } from '../../framework/cycle-state.js';
import { PodInfo } from '../../framework/node-info.js';
import { ERR_REASON_UNSCHEDULABLE, NodeUnschedulable } from './node-unschedulable.js';

describe('NodeUnschedulable', () => {
  it.each([
    { name: 'schedulable node', unschedulable: false, tolerate: false, fits: true },
    { name: 'cordoned node', unschedulable: true, tolerate: false, fits: false },
    { name: 'cordoned but tolerated', unschedulable: true, tolerate: true, fits: true },
  ])('$name', ({ unschedulable, tolerate, fits }) => {
    const ni = makeNodeInfo({ name: 'n', unschedulable });
    const tolerations = tolerate ? [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' as const, effect: 'NoSchedule' as const }] : [];
    const s = new NodeUnschedulable().filter(new CycleState(), new PodInfo(makePod({ tolerations })), ni);
    expect(s.isSuccess()).toBe(fits);
    if (!fits) {
      expect(s.code).toBe('UnschedulableAndUnresolvable');
      expect([...s.reasons]).toEqual([ERR_REASON_UNSCHEDULABLE]);
    }
  });
});
