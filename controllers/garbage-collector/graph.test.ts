import { describe, expect, it } from 'vitest';
import type { KubeObject, OwnerReference } from '../../api/types/meta.js';
import { DependencyGraph } from './graph.js';

const cm = (name: string, uid: string, extra: Partial<KubeObject['metadata']> = {}, namespace = 'ns'): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, uid, ...extra } });
const ref = (o: KubeObject, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: 'v1', kind: o.kind ?? '', name: o.metadata.name ?? '', uid: o.metadata.uid ?? '', ...extra });

describe('DependencyGraph', () => {
  it('links dependents to owners, and an owner not seen yet is a virtual node to verify', () => {
    const g = new DependencyGraph();
    const owner = cm('owner', 'o');
    const dep = cm('dep', 'd', { ownerReferences: [ref(owner)] });
    expect(g.observe(dep).attemptToDelete).toEqual(['o']);
    expect(g.node('o')).toMatchObject({ observed: false, identity: { name: 'owner', namespace: 'ns' } });
    expect(g.observe(owner).attemptToDelete).toEqual([]);
    expect(g.node('o')?.observed).toBe(true);
    expect(g.dependents('o').map((n) => n.identity.uid)).toEqual(['d']);
  });

  it('a deleted owner asks for its dependents, and is remembered as absent', () => {
    const g = new DependencyGraph();
    const owner = cm('owner', 'o');
    g.observe(owner);
    g.observe(cm('dep', 'd', { ownerReferences: [ref(owner)] }));
    expect(g.remove(owner).attemptToDelete).toEqual(['d']);
    expect(g.absentOwners.has({ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', namespace: 'ns', uid: 'o' })).toBe(true);
  });

  it('a deletion that starts with orphan asks to orphan; one with foregroundDeletion asks for the dependents and itself', () => {
    const g = new DependencyGraph();
    const owner = cm('owner', 'o');
    g.observe(owner);
    g.observe(cm('dep', 'd', { ownerReferences: [ref(owner)] }));
    const orphaning = cm('owner', 'o', { deletionTimestamp: 't', finalizers: ['orphan'] });
    expect(g.observe(orphaning, owner).attemptToOrphan).toEqual(['o']);
    // Seen again in the same state: not asked twice.
    expect(g.observe(orphaning, orphaning).attemptToOrphan).toEqual([]);
    const g2 = new DependencyGraph();
    g2.observe(owner);
    g2.observe(cm('dep', 'd', { ownerReferences: [ref(owner)] }));
    const fx = g2.observe(cm('owner', 'o', { deletionTimestamp: 't', finalizers: ['foregroundDeletion'] }), owner);
    expect(fx.attemptToDelete).toEqual(['d', 'o']);
    expect(g2.node('o')).toMatchObject({ beingDeleted: true, deletingDependents: true });
  });

  it('a blocking dependent that goes, or stops blocking, wakes its owner in foreground deletion', () => {
    const g = new DependencyGraph();
    const owner = cm('owner', 'o', { deletionTimestamp: 't', finalizers: ['foregroundDeletion'] });
    g.observe(owner);
    const dep = cm('dep', 'd', { ownerReferences: [ref(owner, { blockOwnerDeletion: true })] });
    g.observe(dep);
    expect(g.blockingDependents('o').map((n) => n.identity.uid)).toEqual(['d']);
    expect(g.observe(cm('dep', 'd', { ownerReferences: [ref(owner)] }), dep).attemptToDelete).toEqual(['o']);
    expect(g.blockingDependents('o')).toEqual([]);
    expect(g.remove(dep).attemptToDelete).toContain('o');
  });

  it('a dependent naming an owner of another namespace is reported and checked', () => {
    const g = new DependencyGraph();
    const owner = cm('owner', 'o', {}, 'elsewhere');
    g.observe(owner);
    const fx = g.observe(cm('dep', 'd', { ownerReferences: [ref(owner)] }));
    expect(fx.invalidNamespace).toEqual([{ dependent: expect.objectContaining({ uid: 'd', namespace: 'ns' }), owner: ref(owner) }]);
    expect(fx.attemptToDelete).toEqual(['d']);
  });

  it('a virtual owner found absent goes with its dependents asked for; one nobody names is forgotten', () => {
    const g = new DependencyGraph();
    const ghost = cm('ghost', 'g');
    const dep = cm('dep', 'd', { ownerReferences: [ref(ghost)] });
    g.observe(dep);
    expect(g.virtualDelete(g.node('g')!.identity).attemptToDelete).toEqual(['d']);
    expect(g.node('g')).toBeUndefined();
    const g2 = new DependencyGraph();
    g2.observe(dep);
    g2.observe(cm('dep', 'd'), dep);
    expect(g2.node('g')).toBeUndefined();
    expect(g2.size).toBe(1);
  });
});
