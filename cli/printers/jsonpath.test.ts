import { describe, expect, it } from 'vitest';
import { executeJsonPath, JsonPathError, selectJsonPath } from './jsonpath.js';

const list = {
  kind: 'List',
  items: [
    {
      metadata: { name: 'a', labels: { app: 'web', 'app.kubernetes.io/name': 'kuard' } },
      spec: { containers: [{ name: 'c1', image: 'busybox' }, { name: 'c2', image: 'nginx' }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }], restarts: 3 },
    },
    {
      metadata: { name: 'b', labels: { app: 'db' } },
      spec: { containers: [{ name: 'c1', image: 'postgres' }] },
      status: { conditions: [{ type: 'Ready', status: 'False' }], restarts: 0 },
    },
  ],
};

describe('executeJsonPath', () => {
  it.each([
    ['{.kind}', 'List'],
    ['{.items[*].metadata.name}', 'a b'],
    ['{range .items[*]}{.metadata.name}{"\\n"}{end}', 'a\nb\n'],
    ['{range .items[*]}{.metadata.name}{"\\t"}{.spec.containers[*].image}{"\\n"}{end}', 'a\tbusybox nginx\nb\tpostgres\n'],
    ['{.items[0].metadata.name}', 'a'],
    ['{.items[-1].metadata.name}', 'b'],
    ['{.items[0:1].metadata.name}', 'a'],
    ['{.items[*].status.conditions[?(@.type=="Ready")].status}', 'True False'],
    ["{.items[?(@.metadata.labels.app=='db')].metadata.name}", 'b'],
    ['{.items[?(@.status.restarts > 1)].metadata.name}', 'a'],
    ["{.items[0].metadata.labels['app.kubernetes.io/name']}", 'kuard'],
    ['{..image}', 'busybox nginx postgres'],
    ['name: {.items[1].metadata.name}!', 'name: b!'],
    ['{.items[0].metadata.labels}', '{"app":"web","app.kubernetes.io/name":"kuard"}'],
    ['{.items[0].status.restarts}', '3'],
    ['{.items[0].nothing.here}', ''],
    ['{$.items[1].metadata.name}', 'b'],
    ['{.items[?(@.status.missing)].metadata.name}', ''],
  ])('%s', (template, want) => {
    expect(executeJsonPath(template, list)).toBe(want);
  });

  it.each(['{.items[', '{range .items[*]}{.x}', '{end}', '{.items[?(@.a==1]}', '{.items[x]}'])('rejects %s', (template) => {
    expect(() => executeJsonPath(template, list)).toThrow(JsonPathError);
  });
});

describe('selectJsonPath', () => {
  it('takes a path with or without braces or the leading dot', () => {
    expect(selectJsonPath('.metadata.name', list.items[0])).toEqual(['a']);
    expect(selectJsonPath('{.status.restarts}', list.items[0])).toEqual([3]);
    expect(selectJsonPath('metadata.name', list.items[1])).toEqual(['b']);
  });
});
