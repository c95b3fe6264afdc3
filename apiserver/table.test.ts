import { describe, expect, it } from 'vitest';
import { findResource } from '../api/resources.js';
import { humanAge, toTable, wantsTable } from './table.js';

describe('Table printing', () => {
  it('reads the Table version kubectl asks for, and nothing otherwise', () => {
    expect(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).toBe('v1');
    expect(wantsTable('application/json;as=Table;v=v1beta1;g=meta.k8s.io')).toBe('v1beta1');
    expect(wantsTable('application/json')).toBeUndefined();
    expect(wantsTable(undefined)).toBeUndefined();
  });

  it('writes ages as kubectl does', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    const ago = (s: number) => new Date(now - s * 1000).toISOString();
    expect(humanAge(ago(5), now)).toBe('5s');
    expect(humanAge(ago(150), now)).toBe('2m30s');
    expect(humanAge(ago(3600), now)).toBe('60m');
    expect(humanAge(ago(5 * 3600 + 60), now)).toBe('5h1m');
    expect(humanAge(ago(30 * 3600), now)).toBe('30h');
    expect(humanAge(ago(3 * 86400), now)).toBe('3d');
    expect(humanAge(undefined, now)).toBe('<unknown>');
  });

  it('prints pods with kube-apiserver columns', () => {
    const pods = findResource('pods');
    if (!pods) throw new Error('no pods resource');
    const t = toTable(pods, 'v1', [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', creationTimestamp: new Date().toISOString() },
        spec: { containers: [{ name: 'a' }, { name: 'b' }], nodeName: 'n1' },
        status: { phase: 'Running', podIP: '10.0.0.2', containerStatuses: [{ name: 'a', ready: true, restartCount: 2, image: '', imageID: '', state: { running: {} } }, { name: 'b', ready: false, restartCount: 1, image: '', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
      } as never,
    ], { resourceVersion: '5' }) as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
    expect(t.columnDefinitions.map((c) => c.name).slice(0, 5)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    expect(t.rows[0].cells.slice(0, 4)).toEqual(['p', '1/2', 'CrashLoopBackOff', '3']);
    expect(t.rows[0].cells.slice(5, 7)).toEqual(['10.0.0.2', 'n1']);
  });
});
