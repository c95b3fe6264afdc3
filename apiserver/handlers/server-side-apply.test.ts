import { describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types/meta.js';
import { applyToLive, createdByApply } from './server-side-apply.js';

const now = new Date('2026-01-02T03:04:05Z');
const cfg = (labels: Record<string, string>, image = 'nginx'): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels }, spec: { containers: [{ name: 'app', image }] } }) as KubeObject;
const apply = (live: KubeObject, config: KubeObject, manager: string, force = false) => applyToLive(live, config, { manager, force, now, plural: 'pods' });

function live(): KubeObject {
  const created = createdByApply(cfg({ app: 'web', tier: 'front' }), { manager: 'alice', force: false, now });
  // What the server adds: defaults and system fields no manager applied.
  const spec = (created as unknown as { spec: { containers: Record<string, unknown>[] } }).spec;
  spec.containers[0] = { ...spec.containers[0], imagePullPolicy: 'Always' };
  return { ...created, metadata: { ...created.metadata, uid: 'u1', resourceVersion: '5' } };
}

describe('applyToLive', () => {
  it('records the applier as the owner of what it sent', () => {
    const l = live();
    expect(l.metadata.managedFields).toEqual([
      {
        manager: 'alice',
        operation: 'Apply',
        apiVersion: 'v1',
        time: '2026-01-02T03:04:05Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {}, 'f:tier': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    ]);
  });

  it('changes nothing, not even the time, when the same config is applied again', () => {
    const l = live();
    expect(applyToLive(l, cfg({ app: 'web', tier: 'front' }), { manager: 'alice', force: false, now: new Date('2027-01-01T00:00:00Z'), plural: 'pods' })).toEqual(l);
  });

  it('removes fields the manager applied before and omits now, and keeps defaults nobody applied', () => {
    const next = apply(live(), cfg({ app: 'web' }, 'nginx:2'), 'alice');
    expect(next.metadata.labels).toEqual({ app: 'web' });
    expect((next as unknown as { spec: unknown }).spec).toEqual({ containers: [{ name: 'app', image: 'nginx:2', imagePullPolicy: 'Always' }] });
  });

  it('refuses to change another manager\'s field, in Kubernetes\' words, unless forced', () => {
    let err: unknown;
    try {
      apply(live(), cfg({ app: 'other' }), 'bob');
    } catch (e) {
      err = e;
    }
    expect(isApiError(err, 'Conflict')).toBe(true);
    expect((err as Error).message).toBe('Apply failed with 1 conflict: conflict with "alice": .metadata.labels.app');
    expect((err as { details?: unknown }).details).toMatchObject({ name: 'web', kind: 'pods', causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.metadata.labels.app' }] });

    expect(() => apply(live(), cfg({ app: 'x', tier: 'y' }), 'bob')).toThrow(/^Apply failed with 2 conflicts: conflicts with "alice":\n- \.metadata\.labels\.(app|tier)\n- \.metadata\.labels\.(app|tier)$/);

    const forced = apply(live(), cfg({ app: 'other' }), 'bob', true);
    expect(forced.metadata.labels).toEqual({ app: 'other', tier: 'front' });
    const [alice, bob] = forced.metadata.managedFields ?? [];
    expect(alice?.fieldsV1).toEqual({
      'f:metadata': { 'f:labels': { 'f:tier': {} } },
      'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
    });
    expect(bob).toMatchObject({ manager: 'bob', operation: 'Apply' });
  });

  it('shares a field set to the same value without conflict, and keeps it while either owns it', () => {
    const shared = apply(live(), cfg({ app: 'web' }), 'bob');
    expect(shared.metadata.managedFields?.map((m) => m.manager)).toEqual(['alice', 'bob']);
    // alice stops applying the label: bob still owns it, so it stays.
    const next = apply(shared, cfg({ tier: 'front' }), 'alice');
    expect(next.metadata.labels).toEqual({ app: 'web', tier: 'front' });
  });

  it('removes a list element its manager stops applying whole, not its fields one by one', () => {
    const two = { ...cfg({ app: 'web', tier: 'front' }), spec: { containers: [{ name: 'app', image: 'nginx' }, { name: 'side', image: 'busybox' }] } } as KubeObject;
    const withSide = apply(live(), two, 'alice');
    expect((withSide as unknown as { spec: { containers: unknown[] } }).spec.containers).toHaveLength(2);
    const without = apply(withSide, cfg({ app: 'web', tier: 'front' }), 'alice');
    expect((without as unknown as { spec: { containers: unknown[] } }).spec.containers).toEqual([{ name: 'app', image: 'nginx', imagePullPolicy: 'Always' }]);
  });
});
