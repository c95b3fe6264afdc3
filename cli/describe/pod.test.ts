import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { clock, podEvents, runningPod } from './fixtures.test-data.js';
import { describePod, probeText, tolerationText } from './pod.js';

describe('describePod', () => {
  it('lays out a running pod as kubectl does', () => {
    expect(describePod(runningPod, podEvents, clock)).toBe(
      [
        'Name:         kuard',
        'Namespace:    default',
        'Priority:     0',
        'Node:         node-1/10.0.0.2',
        'Start Time:   Thu, 01 Jan 2026 00:00:01 +0000',
        'Labels:       app=kuard',
        '              tier=web',
        'Annotations:  example.com/owner: team-a',
        'Status:       Running',
        'IP:           10.88.0.5',
        'IPs:',
        '  IP:  10.88.0.5',
        'Containers:',
        '  kuard:',
        '    Container ID:  skiff://0123',
        '    Image:         kuard:1',
        '    Image ID:      sha256:abc',
        '    Port:          8080/TCP',
        '    Host Port:     8080/TCP',
        '    Command:',
        '      /kuard',
        '    Args:',
        '      --port',
        '      8080',
        '    State:          Running',
        '      Started:      Thu, 01 Jan 2026 00:05:00 +0000',
        '    Last State:     Terminated',
        '      Reason:       OOMKilled',
        '      Exit Code:    137',
        '      Started:      Thu, 01 Jan 2026 00:00:02 +0000',
        '      Finished:     Thu, 01 Jan 2026 00:04:59 +0000',
        '    Ready:          True',
        '    Restart Count:  1',
        '    Limits:',
        '      memory:  128Mi',
        '    Requests:',
        '      cpu:      100m',
        '      memory:   64Mi',
        '    Liveness:   http-get http://:8080/healthy delay=0s timeout=1s period=10s #success=1 #failure=3',
        '    Readiness:  exec [cat /tmp/ready] delay=0s timeout=1s period=5s #success=1 #failure=3',
        '    Environment:',
        '      MODE:  demo',
        '      POD:    (v1:metadata.name)',
        '    Mounts:',
        '      /data from data (rw)',
        'Conditions:',
        '  Type           Status',
        '  Initialized    True ',
        '  Ready          True ',
        '  PodScheduled   True ',
        'Volumes:',
        '  data:',
        "    Type:        EmptyDir (a temporary directory that shares a pod's lifetime)",
        '    Medium:      ',
        '    SizeLimit:   <unset>',
        'QoS Class:       Burstable',
        'Node-Selectors:  <none>',
        'Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s',
        'Events:',
        '  Type     Reason     Age              From               Message',
        '  ----     ------     ----             ----               -------',
        '  Normal   Scheduled  10m              default-scheduler  Successfully assigned default/kuard to node-1',
        '  Warning  BackOff    2m (x4 over 8m)  kubelet            Back-off restarting failed container',
        '',
      ].join('\n'),
    );
  });

  it('shows a waiting container, a terminating pod and no events', () => {
    const pod: Pod = {
      ...runningPod,
      metadata: { ...runningPod.metadata, deletionTimestamp: '2026-01-01T00:09:30Z', deletionGracePeriodSeconds: 30 },
      status: {
        phase: 'Pending',
        containerStatuses: [{ name: 'kuard', ready: false, restartCount: 0, image: 'kuard:1', imageID: '', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "kuard:1"' } } }],
      },
    };
    const out = describePod(pod, [], clock);
    expect(out).toContain('Status:                    Terminating (lasts 30s)\nTermination Grace Period:  30s\n');
    expect(out).toContain('    State:          Waiting\n      Reason:       ImagePullBackOff\n      Message:      Back-off pulling image "kuard:1"\n');
    expect(out).toContain('IPs:                       <none>\n');
    expect(out.endsWith('QoS Class:       Burstable\nNode-Selectors:  <none>\nTolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\nEvents:          <none>\n')).toBe(true);
    expect(out).not.toContain('Last State');
  });

  it('explains why the scheduler rejected each node of a pending pod', () => {
    const record = {
      v: 1,
      at: '2026-01-01T00:09:55Z',
      profile: 'default-scheduler',
      result: 'Unschedulable',
      nodes: 3,
      evaluated: 3,
      feasible: 0,
      message: '0/3 nodes are available: 2 Insufficient memory, 1 node(s) had untolerated taint {dedicated: web}.',
      rejected: {
        'node-2': { plugin: 'NodeResourcesFit', reasons: ['Insufficient memory'] },
        'node-1': { plugin: 'TaintToleration', reasons: ['node(s) had untolerated taint {dedicated: web}'] },
        'node-3': { plugin: 'NodeResourcesFit', reasons: ['Insufficient memory', 'Insufficient cpu'] },
      },
      scores: {},
    };
    const pod: Pod = {
      metadata: { name: 'big', namespace: 'default', annotations: { 'scheduler.skiff.dev/last-cycle': JSON.stringify(record) } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
      status: { phase: 'Pending' },
    };
    const out = describePod(pod, undefined, clock);
    expect(out).toContain('Annotations:  <none>\n');
    expect(out).toContain(
      [
        'Scheduling:',
        '  Result:        Unschedulable',
        '  Last Attempt:  5s ago',
        '  Nodes:         0 feasible of 3 (3 evaluated)',
        '  Message:       0/3 nodes are available: 2 Insufficient memory, 1 node(s) had untolerated taint {dedicated: web}.',
        '  Rejected Nodes:',
        '    Node    Plugin            Reasons',
        '    ----    ------            -------',
        '    node-1  TaintToleration   node(s) had untolerated taint {dedicated: web}',
        '    node-2  NodeResourcesFit  Insufficient memory',
        '    node-3  NodeResourcesFit  Insufficient memory; Insufficient cpu',
        '',
      ].join('\n'),
    );
  });
});

describe('probe and toleration texts', () => {
  it.each([
    [{ tcpSocket: { port: 5432 }, initialDelaySeconds: 5, timeoutSeconds: 2, periodSeconds: 3, successThreshold: 1, failureThreshold: 6 }, 'tcp-socket :5432 delay=5s timeout=2s period=3s #success=1 #failure=6'],
    [{ httpGet: { scheme: 'HTTPS' as const, host: 'x', port: 'web', path: '/' } }, 'http-get https://x:web/ delay=0s timeout=1s period=10s #success=1 #failure=3'],
  ])('%j', (probe, want) => {
    expect(probeText(probe)).toBe(want);
  });

  it.each([
    [{ operator: 'Exists' as const }, 'op=Exists'],
    [{ key: 'k', operator: 'Equal' as const, value: 'v', effect: 'NoSchedule' as const }, 'k=v:NoSchedule'],
    [{ key: 'k', operator: 'Exists' as const }, 'k op=Exists'],
  ])('%j', (t, want) => {
    expect(tolerationText(t)).toBe(want);
  });
});
