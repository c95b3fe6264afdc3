import { describe, expect, it } from 'vitest';
import { isApiError } from '../errors.js';
import type { Event, KubeObject, Pod } from '../types/index.js';
import { fieldGetterFor, matchesFields, parseFieldSelector, supportedFields } from './fields.js';

const bound: Pod = {
  metadata: { name: 'web', namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'nginx' }], nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler' },
  status: { phase: 'Running', podIP: '10.0.0.5' },
};
const pending: Pod = { metadata: { name: 'job', namespace: 'batch' }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: { phase: 'Pending' } };

describe('parseFieldSelector on pods', () => {
  // selector, matches bound?, matches pending?
  const cases: [string, boolean, boolean][] = [
    ['', true, true],
    ['spec.nodeName=n1', true, false],
    ['spec.nodeName==n1', true, false],
    ['spec.nodeName!=n1', false, true],
    ['spec.nodeName=', false, true],
    ['status.phase=Running', true, false],
    ['status.phase!=Running,status.phase!=Succeeded', false, true],
    ['metadata.name=web,metadata.namespace=default', true, false],
    ['metadata.namespace=batch', false, true],
    ['status.podIP=10.0.0.5', true, false],
    ['spec.schedulerName=default-scheduler', true, false],
    ['spec.hostNetwork=false', true, true],
    [' spec.nodeName = n1 ', false, false],
    ['spec.nodeName=n1,', true, false],
  ];
  it.each(cases)('%j -> bound %s, pending %s', (sel, b, p) => {
    const s = parseFieldSelector(sel, 'pods');
    expect(matchesFields(s, 'Pod', bound)).toBe(b);
    expect(matchesFields(s, 'pods', pending)).toBe(p);
  });
});

describe('parseFieldSelector errors', () => {
  const bad: [string, string | undefined, string][] = [
    ['spec.containers=x', 'pods', 'field label not supported: spec.containers'],
    ['status.phase=Ready', 'nodes', 'field label not supported: status.phase'],
    ['metadata.namespace=x', 'nodes', 'field label not supported: metadata.namespace'],
    ['spec.holderIdentity=x', 'leases', 'field label not supported: spec.holderIdentity'],
    ['nodeName', 'pods', "invalid selector: 'nodeName'; can't understand 'nodeName'"],
    ['=x', undefined, "invalid selector: '=x'; can't understand '=x'"],
    ['a=b\\c', undefined, "invalid field selector: 'a=b\\c'; invalid escape sequence"],
    ['metadata.name=x', 'statefulsets', 'field selectors are not supported for statefulsets'],
  ];
  it.each(bad)('%j on %s', (sel, kind, message) => {
    let caught: unknown;
    try {
      parseFieldSelector(sel, kind);
    } catch (e) {
      caught = e;
    }
    expect(isApiError(caught, 'BadRequest')).toBe(true);
    expect((caught as Error).message).toBe(message);
  });
});

describe('field selector details', () => {
  it('unescapes values and prints them escaped', () => {
    const s = parseFieldSelector('metadata.name=a\\,b\\=c,reason!=x');
    expect(s.requirements).toEqual([
      { field: 'metadata.name', operator: '=', value: 'a,b=c' },
      { field: 'reason', operator: '!=', value: 'x' },
    ]);
    expect(s.toString()).toBe('metadata.name=a\\,b\\=c,reason!=x');
    expect(parseFieldSelector(s.toString()).requirements).toEqual(s.requirements);
  });

  it('finds the exact value a selector pins', () => {
    const s = parseFieldSelector('spec.nodeName=n1,status.phase!=Failed');
    expect(s.requiresExactMatch('spec.nodeName')).toBe('n1');
    expect(s.requiresExactMatch('status.phase')).toBeUndefined();
    expect(s.isEmpty()).toBe(false);
    expect(parseFieldSelector('').isEmpty()).toBe(true);
  });

  it('lists exactly the supported fields per kind', () => {
    expect(supportedFields('Node')).toEqual(['metadata.name', 'spec.unschedulable']);
    expect(supportedFields('namespaces')).toEqual(['metadata.name', 'status.phase']);
    expect(supportedFields('Lease')).toEqual(['metadata.name', 'metadata.namespace']);
    expect(supportedFields('po')).toContain('status.nominatedNodeName');
    expect(supportedFields('events')).toContain('involvedObject.uid');
    expect(supportedFields('rs')).toEqual(['metadata.name', 'metadata.namespace', 'status.replicas']);
    expect(supportedFields('jobs')).toEqual(['metadata.name', 'metadata.namespace', 'status.successful']);
    expect(supportedFields('deployments')).toEqual(['metadata.name', 'metadata.namespace']);
  });

  it('reads event fields', () => {
    const ev: Event = {
      metadata: { name: 'web.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1' },
      reason: 'Scheduled',
      source: { component: 'default-scheduler' },
      type: 'Normal',
    };
    const f = fieldGetterFor('Event')(ev);
    expect(f['involvedObject.name']).toBe('web');
    expect(f['involvedObject.fieldPath']).toBe('');
    expect(f.source).toBe('default-scheduler');
    expect(matchesFields(parseFieldSelector('involvedObject.kind=Pod,involvedObject.uid=u1,type=Normal', 'events'), 'events', ev)).toBe(true);
  });

  it('reads node unschedulable as true/false', () => {
    const node: KubeObject = { metadata: { name: 'n1' } };
    expect(fieldGetterFor('nodes')(node)['spec.unschedulable']).toBe('false');
    expect(matchesFields(parseFieldSelector('spec.unschedulable=false', 'nodes'), 'nodes', node)).toBe(true);
  });
});
