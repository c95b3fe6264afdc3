import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { clock, node, runningPod } from './fixtures.test-data.js';
import { describeNode } from './node.js';

describe('describeNode', () => {
  const finished: Pod = { ...runningPod, metadata: { ...runningPod.metadata, name: 'done' }, status: { phase: 'Succeeded' } };
  const guaranteed: Pod = {
    metadata: { name: 'db', namespace: 'prod', creationTimestamp: '2026-01-01T00:09:00Z' },
    spec: { containers: [{ name: 'pg', resources: { limits: { cpu: '2', memory: '4Gi' } } }] },
    status: { phase: 'Running' },
  };
  const out = describeNode({ node, pods: [runningPod, finished, guaranteed], events: [], lease: { metadata: { name: 'node-1' }, spec: { holderIdentity: 'node-1', renewTime: '2026-01-01T00:09:58Z' } } }, clock);

  it('shows roles, taints, the lease, conditions and addresses', () => {
    expect(out).toContain('Roles:              control-plane\n');
    expect(out).toContain('Taints:             dedicated=web:NoSchedule\n');
    expect(out).toContain('Lease:\n  HolderIdentity:  node-1\n  AcquireTime:     <unset>\n  RenewTime:       Thu, 01 Jan 2026 00:09:58 +0000\n');
    expect(out).toContain('  Ready   True    Thu, 01 Jan 2026 00:09:50 +0000   Thu, 01 Jan 2026 00:00:05 +0000   KubeletReady   kubelet is posting ready status\n');
    expect(out).toContain('Addresses:\n  InternalIP:  10.0.0.2\n  Hostname:    node-1\n');
  });

  it('lists the non-terminated pods with shares of allocatable, and the totals', () => {
    expect(out).toContain('Non-terminated Pods:          (2 in total)\n');
    expect(out).toContain(
      [
        '  Namespace                   Name   CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age',
        '  ---------                   ----   ------------  ----------  ---------------  -------------  ---',
        '  default                     kuard  100m (2%)     0 (0%)      64Mi (0%)        128Mi (1%)     10m',
        '  prod                        db     2 (50%)       2 (50%)     4Gi (50%)        4Gi (50%)      60s',
        'Allocated resources:',
        '  (Total limits may be over 100 percent, i.e., overcommitted.)',
        '  Resource  Requests      Limits',
        '  --------  --------      ------',
        '  cpu       2100m (52%)   2 (50%)',
        '  memory    4160Mi (50%)  4224Mi (51%)',
      ].join('\n'),
    );
    expect(out).not.toContain('done');
  });
});
