import { describe, expect, it } from 'vitest';
import { CliError } from './errors.js';
import { parseResourceArgs } from './resource-args.js';

const simple = (args: string[]) => parseResourceArgs(args).map((r) => `${r.info.plural}:${r.names.join('+')}`);

describe('parseResourceArgs', () => {
  it.each([
    [['pods'], ['pods:']],
    [['po'], ['pods:']],
    [['Pod', 'kuard', 'web'], ['pods:kuard+web']],
    [['po,no,ns,ev'], ['pods:', 'nodes:', 'namespaces:', 'events:']],
    [['leases'], ['leases:']],
    [['leases.coordination.k8s.io'], ['leases:']],
    [['pod/kuard', 'node/n1', 'pod/web'], ['pods:kuard+web', 'nodes:n1']],
  ])('%j', (args, want) => {
    expect(simple(args)).toEqual(want);
  });

  it.each([[[]], [['statefulsets']], [['pods,nodes', 'x']], [['pods', 'pod/x']]])('refuses %j', (args) => {
    expect(() => parseResourceArgs(args)).toThrow(CliError);
  });

  it('names the unknown type', () => {
    expect(() => parseResourceArgs(['foos'])).toThrow('the server doesn\'t have a resource type "foos"');
  });
});
