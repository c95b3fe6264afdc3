import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Pod } from '../../api/types/core.js';
import type { Table } from '../../api/types/meta.js';
import { kubeYaml, OutputFormatError, parseOutput, printObjects, printServerTable } from './output.js';

const clock = () => new Date('2026-01-01T00:01:00Z');

const pod = (name: string, ns: string, labels: Record<string, string>, restarts: number): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels, creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { containers: [{ name: 'c' }] },
  status: { phase: 'Running', containerStatuses: [{ name: 'c', ready: true, restartCount: restarts, image: '', imageID: '', state: { running: {} } }] },
});

const pods = [pod('web', 'prod', { app: 'web', tier: 'front' }, 0), pod('db', 'dev', {}, 2)];

describe('parseOutput', () => {
  it.each([
    [undefined, { format: 'table' }],
    ['wide', { format: 'wide' }],
    ['yaml', { format: 'yaml' }],
    ['jsonpath={.items[*].metadata.name}', { format: 'jsonpath', template: '{.items[*].metadata.name}' }],
  ])('%s', (o, want) => {
    expect(parseOutput(o)).toEqual(want);
  });
  it('names the allowed formats for an unknown one', () => {
    expect(() => parseOutput('xml')).toThrow(OutputFormatError);
    expect(() => parseOutput('xml')).toThrow(/allowed formats are: json, yaml/);
  });
});

describe('printObjects', () => {
  it('prints a NAMESPACE column with -A and LABELS with --show-labels', () => {
    const out = printObjects(pods, { output: { format: 'table' }, withNamespace: true, showLabels: true, clock });
    expect(out.split('\n')).toEqual([
      'NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   LABELS',
      'prod        web    1/1     Running   0          60s   app=web,tier=front',
      'dev         db     1/1     Running   2          60s   <none>',
      '',
    ]);
  });

  it('sorts by a JSONPath', () => {
    const out = printObjects(pods, { output: { format: 'name' }, sortBy: '.metadata.name' });
    expect(out).toBe('pod/db\npod/web\n');
    const byRestarts = printObjects([...pods].reverse(), { output: { format: 'name' }, sortBy: '{.status.containerStatuses[0].restartCount}' });
    expect(byRestarts).toBe('pod/web\npod/db\n');
  });

  it('prints one object as itself and several as a List in yaml and json', () => {
    const one = parseYaml(printObjects([pods[0] as Pod], { output: { format: 'yaml' } }, true)) as Pod;
    expect(one.metadata.name).toBe('web');
    const many = JSON.parse(printObjects(pods, { output: { format: 'json' } })) as { kind: string; items: Pod[] };
    expect(many.kind).toBe('List');
    expect(many.items.map((p) => p.metadata.name)).toEqual(['web', 'db']);
  });

  it('runs jsonpath over the List', () => {
    expect(printObjects(pods, { output: { format: 'jsonpath', template: '{.items[*].metadata.namespace}' } })).toBe('prod dev');
  });

  it('names kinds outside the core group with their group', () => {
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1' } };
    expect(printObjects([lease], { output: { format: 'name' } })).toBe('lease.coordination.k8s.io/n1\n');
  });

  it('prints one table per kind, rows named kind/name, when kinds are mixed', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev', creationTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Active' } };
    const out = printObjects([pods[0] as Pod, ns], { output: { format: 'table' }, clock });
    expect(out).toContain('pod/web');
    expect(out).toContain('\n\nNAME            STATUS   AGE\nnamespace/dev   Active   60s\n');
  });
});

describe('printServerTable', () => {
  const table: Table = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: '', priority: 0 },
      { name: 'Status', type: 'string', format: '', description: '', priority: 0 },
      { name: 'IP', type: 'string', format: '', description: '', priority: 1 },
    ],
    rows: [{ cells: ['kuard', 'Running', '10.0.0.5'], object: { metadata: { namespace: 'default', labels: { a: 'b' } } } }],
  };
  it('shows priority-0 columns, and all with wide', () => {
    expect(printServerTable(table, { output: { format: 'table' } })).toBe('NAME    STATUS\nkuard   Running\n');
    expect(printServerTable(table, { output: { format: 'wide' }, withNamespace: true, showLabels: true })).toBe(
      'NAMESPACE   NAME    STATUS    IP         LABELS\ndefault     kuard   Running   10.0.0.5   a=b\n',
    );
  });
});

describe('kubeYaml', () => {
  it('sorts keys and does not indent list items, as kubectl prints', () => {
    expect(kubeYaml({ kind: 'Pod', apiVersion: 'v1', spec: { containers: [{ name: 'c', image: 'x' }] } })).toBe(
      'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: x\n    name: c\n',
    );
  });
});
