import { describe, expect, it } from 'vitest';
import type { ConfigMap, Namespace } from '../../api/types/core.js';
import { DESCRIPTION, DESCRIPTION_ANNOTATION, rootCAAction } from './plan.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const ns = (phase: 'Active' | 'Terminating' = 'Active'): Namespace => ({ metadata: { name: 'shop' }, status: { phase } });
const cm = (data: Record<string, string>, annotations: Record<string, string> = { [DESCRIPTION_ANNOTATION]: DESCRIPTION }): ConfigMap => ({
  metadata: { name: 'kube-root-ca.crt', namespace: 'shop', resourceVersion: '4', annotations },
  data,
});

describe('rootCAAction', () => {
  it('creates the ConfigMap in an Active namespace', () => {
    expect(rootCAAction(ns(), undefined, CA)).toEqual({
      create: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'shop', annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data: { 'ca.crt': CA } },
    });
  });

  it.each([
    ['a terminating namespace', ns('Terminating')],
    ['a namespace that is gone', undefined],
  ])('creates nothing in %s', (_what, namespace) => {
    expect(rootCAAction(namespace, undefined, CA)).toBeUndefined();
  });

  it('leaves a right one alone', () => {
    expect(rootCAAction(ns(), cm({ 'ca.crt': CA }), CA)).toBeUndefined();
  });

  it.each([
    ['another CA', { 'ca.crt': 'forged' }, undefined],
    ['an extra key', { 'ca.crt': CA, extra: 'x' }, undefined],
    ['no description', { 'ca.crt': CA }, { owner: 'me' }],
  ])('puts back one with %s, keeping its other annotations and resourceVersion', (_what, data, annotations) => {
    const action = rootCAAction(ns(), cm(data, annotations), CA);
    expect(action && 'update' in action ? action.update : undefined).toMatchObject({
      metadata: { resourceVersion: '4', annotations: { ...(annotations ?? {}), [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
      data: { 'ca.crt': CA },
    });
    expect(action && 'update' in action ? Object.keys(action.update.data ?? {}) : []).toEqual(['ca.crt']);
  });
});
