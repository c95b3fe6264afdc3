import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types/meta.js';
import { labelsChanged, ownersSelecting, resolveControllerRef, type OwnerCache } from './owners.js';

type Owner = KubeObject & { selector?: { matchLabels?: Record<string, string> } };
const owner = (name: string, uid: string, selector?: Owner['selector']): Owner => ({ metadata: { name, namespace: 'ns', uid }, selector });
const cache = (...owners: Owner[]): OwnerCache<Owner> => ({
  get: (name, namespace) => owners.find((o) => o.metadata.name === name && o.metadata.namespace === namespace),
  list: (namespace) => owners.filter((o) => o.metadata.namespace === namespace),
});
const KIND = { apiVersion: 'apps/v1', kind: 'Deployment' };
const ref = (name: string, uid: string, kind = 'Deployment', apiVersion = 'apps/v1') => ({ apiVersion, kind, name, uid, controller: true });
const obj = (refs: ReturnType<typeof ref>[], labels: Record<string, string> = {}): KubeObject => ({ metadata: { name: 'x', namespace: 'ns', labels, ownerReferences: refs } });

describe('resolveControllerRef', () => {
  const owners = cache(owner('web', 'u1'));
  it.each<[string, KubeObject, string | undefined]>([
    ['the owner named, same uid', obj([ref('web', 'u1')]), 'web'],
    ['a new object of that name (another uid)', obj([ref('web', 'u0')]), undefined],
    ['another kind', obj([ref('web', 'u1', 'StatefulSet')]), undefined],
    ['another group', obj([ref('web', 'u1', 'Deployment', 'extensions/v1beta1')]), undefined],
    ['no controllerRef', obj([]), undefined],
  ])('%s', (_what, o, want) => {
    expect(resolveControllerRef(o, KIND, owners)?.metadata.name).toBe(want);
  });
});

describe('ownersSelecting', () => {
  it('answers the owners whose non-empty, valid selector matches', () => {
    const owners = cache(owner('a', '1', { matchLabels: { app: 'web' } }), owner('all', '2', {}), owner('b', '3', { matchLabels: { app: 'db' } }), owner('bad', '4', { matchLabels: { '!!': 'x' } }));
    expect(ownersSelecting(obj([], { app: 'web' }), owners, (o) => o.selector).map((o) => o.metadata.name)).toEqual(['a']);
  });
});

describe('labelsChanged', () => {
  it.each<[string, Record<string, string> | undefined, Record<string, string> | undefined, boolean]>([
    ['the same labels in another key order', { a: '1', b: '2' }, { b: '2', a: '1' }, false],
    ['none and empty', undefined, {}, false],
    ['a value changed', { a: '1' }, { a: '2' }, true],
    ['a label added', { a: '1' }, { a: '1', b: '2' }, true],
  ])('%s', (_what, now, before, want) => {
    expect(labelsChanged({ metadata: { labels: now } }, { metadata: { labels: before } })).toBe(want);
  });
});
