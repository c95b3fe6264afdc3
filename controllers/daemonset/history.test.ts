import { describe, expect, it } from 'vitest';
import type { ControllerRevision, DaemonSet } from '../../api/types/apps.js';
import type { Pod } from '../../api/types/core.js';
import { matchesRevision, newRevision, planHistory, revisionData, revisionsToDelete } from './history.js';
import { CONTROLLER_REVISION_HASH } from './util.js';

function ds(image: string, revisionHistoryLimit?: number): DaemonSet {
  return {
    metadata: { name: 'agent', namespace: 'default', uid: 'u1', annotations: { 'kubernetes.io/change-cause': `image ${image}` } },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image }] } },
      revisionHistoryLimit,
    },
  };
}

const rev = (image: string, revision: number): ControllerRevision => newRevision(ds(image), revision);
const podOf = (r: ControllerRevision): Pod => ({ metadata: { labels: { [CONTROLLER_REVISION_HASH]: r.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? '' } }, spec: { containers: [] } });

describe('DaemonSet revisions', () => {
  it('hold the patch that puts the template back, named and labelled by its hash, with the change-cause', () => {
    const r = rev('agent:1', 1);
    const hash = r.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? '';
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(r.metadata.name).toBe(`agent-${hash}`);
    expect(r.metadata.labels).toEqual({ app: 'agent', [CONTROLLER_REVISION_HASH]: hash });
    expect(r.metadata.annotations).toEqual({ 'kubernetes.io/change-cause': 'image agent:1' });
    expect(r.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', name: 'agent', uid: 'u1', controller: true });
    expect(r.data).toEqual({ spec: { template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'agent:1' }] }, $patch: 'replace' } } });
    expect(rev('agent:2', 1).metadata.name).not.toBe(r.metadata.name);
  });

  it('match the template as Go would compare it (zero values as absent)', () => {
    const d = ds('agent:1');
    const r = rev('agent:1', 1);
    expect(matchesRevision(d, r)).toBe(true);
    // kubectl's rollout undo writes back what Go marshals: creationTimestamp null, resources {}.
    const goish = structuredClone(d);
    (goish.spec.template.metadata as Record<string, unknown>).creationTimestamp = null;
    (goish.spec.template.spec?.containers[0] as unknown as Record<string, unknown>).resources = {};
    expect(matchesRevision(goish, r)).toBe(true);
    expect(matchesRevision(ds('agent:2'), r)).toBe(false);
    expect(revisionData(d).spec.template.$patch).toBe('replace');
  });

  it('split into the current one and the old ones, the current numbered above every old one', () => {
    const r1 = rev('agent:1', 1);
    const r2 = rev('agent:2', 2);
    expect(planHistory(ds('agent:3'), [r1, r2])).toEqual({ current: undefined, revision: 3, duplicates: [], old: [r1, r2] });
    // rollout undo to revision 1: it is current again and must become 3.
    expect(planHistory(ds('agent:1'), [r1, r2])).toEqual({ current: r1, revision: 3, duplicates: [], old: [r2] });
    const dup = { ...rev('agent:2', 5), metadata: { ...r2.metadata, name: 'agent-other' } };
    expect(planHistory(ds('agent:2'), [r1, r2, dup])).toMatchObject({ current: dup, revision: 2, duplicates: [r2] });
  });

  it('beyond revisionHistoryLimit the oldest old revisions go, except those a live pod still uses', () => {
    const old = [rev('a:4', 4), rev('a:1', 1), rev('a:3', 3), rev('a:2', 2)];
    expect(revisionsToDelete(ds('a:5', 10), old, [])).toEqual([]);
    expect(revisionsToDelete(ds('a:5', 2), old, []).map((r) => r.revision)).toEqual([1, 2]);
    // a pod of revision 1 is still running: 2 and 3 go instead.
    expect(revisionsToDelete(ds('a:5', 2), old, [podOf(rev('a:1', 1))]).map((r) => r.revision)).toEqual([2, 3]);
    expect(revisionsToDelete(ds('a:5', 0), old, []).map((r) => r.revision)).toEqual([1, 2, 3, 4]);
  });
});
