import { describe, expect, it } from 'vitest';
import type { ReplicaSet } from '../../api/types/apps.js';
import type { Pod } from '../../api/types/core.js';
import { REPLICA_FAILURE, replicaSetStatus, statusChanged } from './status.js';

const now = Date.parse('2026-01-01T00:01:00Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString();

function rs(o: { replicas?: number; minReadySeconds?: number; generation?: number; status?: ReplicaSet['status'] } = {}): ReplicaSet {
  return {
    metadata: { name: 'web', namespace: 'ns', generation: o.generation ?? 3 },
    spec: {
      replicas: o.replicas ?? 3,
      minReadySeconds: o.minReadySeconds,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    },
    status: o.status,
  };
}

function pod(name: string, labels: Record<string, string>, readyFor?: number): Pod {
  return {
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'i' }], nodeName: 'n1' },
    status: { phase: 'Running', conditions: [readyFor === undefined ? { type: 'Ready', status: 'False' } : { type: 'Ready', status: 'True', lastTransitionTime: ago(readyFor) }] },
  };
}

const full = { app: 'web', tier: 'front' };

describe('replicaSetStatus (calculateStatus)', () => {
  it('counts replicas, fully labeled, ready and available pods, and observes the generation', () => {
    const pods = [pod('a', full, 100), pod('b', { app: 'web' }, 100), pod('c', full)];
    const { status, nextAvailableInMs } = replicaSetStatus(rs(), pods, undefined, now);
    expect(status).toEqual({ replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 3 });
    expect(nextAvailableInMs).toBeUndefined();
  });

  it('a pod ready for less than minReadySeconds is ready but not available, and says when it will be', () => {
    const pods = [pod('a', full, 30), pod('b', full, 5), pod('c', full, 12)];
    const { status, nextAvailableInMs } = replicaSetStatus(rs({ minReadySeconds: 10 }), pods, undefined, now);
    expect(status).toMatchObject({ readyReplicas: 3, availableReplicas: 2 });
    expect(nextAvailableInMs).toBe(5_000);
  });

  it('a create error sets ReplicaFailure FailedCreate with its message; a clean sync removes it', () => {
    const err = new Error('pods "web-x" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2');
    const failed = replicaSetStatus(rs({ replicas: 5 }), [pod('a', full, 100)], err, now).status;
    expect(failed.conditions).toEqual([{ type: REPLICA_FAILURE, status: 'True', reason: 'FailedCreate', message: err.message, lastTransitionTime: '2026-01-01T00:01:00Z' }]);
    // Still failing: the condition is kept as it was (its transition time too).
    const again = replicaSetStatus(rs({ replicas: 5, status: failed }), [pod('a', full, 100)], new Error('other'), now + 5000).status;
    expect(again.conditions).toEqual(failed.conditions);
    const cleared = replicaSetStatus(rs({ replicas: 5, status: failed }), [pod('a', full, 100)], undefined, now).status;
    expect(cleared.conditions).toBeUndefined();
    expect(replicaSetStatus(rs({ replicas: 0 }), [pod('a', full)], new Error('no'), now).status.conditions?.[0]?.reason).toBe('FailedDelete');
  });

  it('statusChanged: only a difference in what is reported means a write', () => {
    const r = rs({ status: { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 3 } });
    expect(statusChanged(r, { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 3 })).toBe(false);
    expect(statusChanged(r, { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 0, observedGeneration: 3 })).toBe(true);
    expect(statusChanged(r, { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 4 })).toBe(true);
  });
});
