// skiff apply against a real API server on a real etcd: created / unchanged / configured,
// dry runs, and bad input that must fail with one line naming the place and apply nothing.
import { describe, expect, it, vi } from 'vitest';
import { isApiError } from '../../api/errors.js';
import type { Pod } from '../../api/types/core.js';
import { cliClusterPerFile, writeManifest, type CliCluster } from './harness.js';

// Every skiff run is a fresh node process loading the TypeScript sources: seconds each on a
// busy machine, so the tests get room well beyond the default.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 120_000 });

let c: CliCluster;
cliClusterPerFile((started) => {
  c = started;
});

const pod = (name: string, opts: { image?: string; label?: string; extra?: string } = {}) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
    app: ${opts.label ?? 'kuard'}
spec:
  containers:
  - name: kuard
    image: ${opts.image ?? 'kuard:1'}
${opts.extra ?? ''}`;

async function exists(name: string): Promise<boolean> {
  try {
    await c.rest.pods.get(name);
    return true;
  } catch (err) {
    if (isApiError(err, 'NotFound')) return false;
    throw err;
  }
}

describe('skiff apply', () => {
  it('creates, leaves unchanged, and configures after a label or image change', async () => {
    const file = await writeManifest(c, 'kuard.yaml', pod('kuard'));
    expect(await c.skiff(['apply', '-f', file])).toMatchObject({ code: 0, stdout: 'pod/kuard created\n', stderr: '' });
    expect(await c.skiff(['apply', '-f', file])).toMatchObject({ code: 0, stdout: 'pod/kuard unchanged\n' });

    await writeManifest(c, 'kuard.yaml', pod('kuard', { label: 'kuard-v2' }));
    expect(await c.skiff(['apply', '-f', file])).toMatchObject({ code: 0, stdout: 'pod/kuard configured\n' });
    await writeManifest(c, 'kuard.yaml', pod('kuard', { label: 'kuard-v2', image: 'kuard:2' }));
    expect(await c.skiff(['apply', '-f', file])).toMatchObject({ code: 0, stdout: 'pod/kuard configured\n' });

    const live = await c.rest.pods.get('kuard');
    expect(live.metadata.labels).toEqual({ app: 'kuard-v2' });
    expect(live.spec.containers[0]?.image).toBe('kuard:2');
    const recorded = JSON.parse(live.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '{}') as Pod;
    expect(recorded.spec.containers[0]?.image).toBe('kuard:2');
  });

  it('--server-side lets the server apply: managedFields name the manager, a conflict is the server\'s, --force-conflicts wins', async () => {
    const file = await writeManifest(c, 'ssa.yaml', pod('ssa'));
    expect(await c.skiff(['apply', '--server-side', '-f', file])).toMatchObject({ code: 0, stdout: 'pod/ssa serverside-applied\n', stderr: '' });
    const live = await c.rest.pods.get('ssa');
    expect(live.metadata.managedFields?.map((m) => [m.manager, m.operation])).toEqual([['skiff', 'Apply']]);
    expect(live.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
    expect(await c.skiff(['apply', '--server-side', '-f', file])).toMatchObject({ code: 0, stdout: 'pod/ssa serverside-applied\n' });
    expect((await c.rest.pods.get('ssa')).metadata.resourceVersion).toBe(live.metadata.resourceVersion);

    await writeManifest(c, 'ssa.yaml', pod('ssa', { label: 'other' }));
    const refused = await c.skiff(['apply', '--server-side', '--field-manager', 'team-b', '-f', file]);
    expect(refused).toMatchObject({ code: 1, stdout: '', stderr: 'Error from server (Conflict): Apply failed with 1 conflict: conflict with "skiff": .metadata.labels.app\n' });
    expect(await c.skiff(['apply', '--server-side', '--field-manager', 'team-b', '--force-conflicts', '-f', file])).toMatchObject({ code: 0 });
    expect((await c.rest.pods.get('ssa')).metadata.labels).toEqual({ app: 'other' });
    expect(await c.skiff(['apply', '--force-conflicts', '-f', file])).toMatchObject({ code: 1, stderr: 'error: --force-conflicts and --field-manager only work with --server-side\n' });
  });

  it('removes a label the manifest no longer has, keeping labels others added', async () => {
    const file = await writeManifest(c, 'labels.yaml', pod('labels').replace('    app: kuard\n', '    app: kuard\n    tier: web\n'));
    expect((await c.skiff(['apply', '-f', file])).code).toBe(0);
    await c.rest.pods.patch('labels', { metadata: { labels: { 'added-by': 'someone-else' } } });
    await writeManifest(c, 'labels.yaml', pod('labels'));
    expect(await c.skiff(['apply', '-f', file])).toMatchObject({ code: 0, stdout: 'pod/labels configured\n' });
    expect((await c.rest.pods.get('labels')).metadata.labels).toEqual({ app: 'kuard', 'added-by': 'someone-else' });
  });

  it('reads several documents, a List, JSON and stdin; --dry-run=client sends nothing', async () => {
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }] });
    const multi = await writeManifest(c, 'multi.yaml', `${pod('multi-a')}---\n${pod('multi-b')}`);
    const json = await writeManifest(c, 'list.json', list);
    const dry = await c.skiff(['apply', '-f', multi, '-f', json, '--dry-run=client']);
    expect(dry).toMatchObject({ code: 0, stdout: 'pod/multi-a created (dry run)\npod/multi-b created (dry run)\nnamespace/team-a created (dry run)\n' });
    expect(await exists('multi-a')).toBe(false);

    const real = await c.skiff(['apply', '-f', multi, '-f', json]);
    expect(real).toMatchObject({ code: 0, stdout: 'pod/multi-a created\npod/multi-b created\nnamespace/team-a created\n' });
    const piped = await c.skiff(['apply', '-f', '-'], { stdin: pod('from-stdin') });
    expect(piped).toMatchObject({ code: 0, stdout: 'pod/from-stdin created\n' });
    expect(await exists('from-stdin')).toBe(true);
  });

  describe('bad input: one line naming the place, exit code 1, nothing applied from that file', () => {
    it('a typo in a field name', async () => {
      // The first document is fine; it must not be applied either.
      const file = await writeManifest(c, 'typo.yaml', `${pod('typo-ok')}---\n${pod('typo-bad').replace('    image: kuard:1', '    imagee: kuard:1')}`);
      const r = await c.skiff(['apply', '-f', file]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`error: ${file}:21:5: error validating pod/typo-bad: spec.containers[0].imagee: unknown field "spec.containers[0].imagee"; turn validation off with --validate=false\n`);
      expect(await exists('typo-ok')).toBe(false);
      expect(await exists('typo-bad')).toBe(false);
    });

    it('a YAML syntax error', async () => {
      const file = await writeManifest(c, 'syntax.yaml', `${pod('syntax-ok')}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [syntax-bad\n`);
      const r = await c.skiff(['apply', '-f', file]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: YAML syntax error: `));
      expect(await exists('syntax-ok')).toBe(false);
    });

    it('a missing file', async () => {
      const r = await c.skiff(['apply', '-f', `${c.dir}/no-such.yaml`]);
      expect(r).toMatchObject({ code: 1, stdout: '', stderr: `error: the path "${c.dir}/no-such.yaml" does not exist\n` });
    });

    it('an unknown kind', async () => {
      const file = await writeManifest(c, 'kind.yaml', `${pod('kind-ok')}---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\n`);
      const r = await c.skiff(['apply', '-f', file]);
      expect(r).toMatchObject({ code: 1, stdout: '', stderr: `error: ${file}:12:1: no matches for kind "StatefulSet" in version "apps/v1"\n` });
      expect(await exists('kind-ok')).toBe(false);
    });

    it('the good files of a run are still applied', async () => {
      const good = await writeManifest(c, 'good.yaml', pod('good-one'));
      const r = await c.skiff(['apply', '-f', `${c.dir}/missing.yaml`, '-f', good]);
      expect(r).toMatchObject({ code: 1, stdout: 'pod/good-one created\n' });
      expect(await exists('good-one')).toBe(true);
    });
  });

  it('create -f makes objects, and refuses an existing one with the server\'s message', async () => {
    const file = await writeManifest(c, 'create.yaml', pod('created-once'));
    expect(await c.skiff(['create', '-f', file])).toMatchObject({ code: 0, stdout: 'pod/created-once created\n' });
    expect(await c.skiff(['create', '-f', file])).toMatchObject({
      code: 1,
      stderr: 'Error from server (AlreadyExists): pods "created-once" already exists\n',
    });
  });
});
