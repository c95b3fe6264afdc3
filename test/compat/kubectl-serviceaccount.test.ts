// ServiceAccounts with the real kubectl against a skiff API server on a real etcd: `get sa`
// (NAME SECRETS AGE) shows each namespace's default, `create serviceaccount` makes one, and a
// pod created the moment its namespace exists runs as default with the ServiceAccount's pull
// secrets.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveKubectl, KUBECTL, startKubectlCluster, type KubectlCluster } from './kubectl-harness.js';

if (!haveKubectl) console.warn(`kubectl not found at ${KUBECTL}: skipping the kubectl ServiceAccount suite (test/compat/kubectl-serviceaccount.test.ts)`);

let cluster: KubectlCluster;

async function ok(...args: string[]): Promise<string> {
  const r = await cluster.kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(!haveKubectl)('kubectl and ServiceAccounts', () => {
  beforeAll(async () => {
    cluster = await startKubectlCluster();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('get sa shows default (NAME SECRETS AGE); create serviceaccount makes one', async () => {
    const table = (await ok('get', 'sa')).split('\n');
    expect(table[0]).toMatch(/^NAME\s+SECRETS\s+AGE\s*$/);
    expect(table.find((l) => l.startsWith('default '))).toMatch(/^default\s+0\s+\d+s\s*$/);
    expect(await ok('create', 'serviceaccount', 'x')).toBe('serviceaccount/x created\n');
    expect(await ok('get', 'serviceaccounts', 'x', '-o', 'jsonpath={.metadata.name}')).toBe('x');
    expect(await ok('get', 'sa', '-n', 'kube-system', '-o', 'name')).toContain('serviceaccount/default');
    // kubectl 1.33 sends create's body as protobuf (apiserver/protobuf-body.ts).
    const v133 = await cluster.kubectl(['create', 'serviceaccount', 'y'], { version: '1.33' });
    expect(v133.stderr).toBe('');
    expect(v133.stdout).toBe('serviceaccount/y created\n');
    expect(await ok('get', 'sa', 'y', '-o', 'jsonpath={.metadata.namespace}')).toBe('default');
    const again = await cluster.kubectl(['create', 'serviceaccount', 'x']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('serviceaccounts "x" already exists');
  });

  it("a pod made right after its namespace runs as default and gets the ServiceAccount's pull secrets", async () => {
    const created = await cluster.kubectl(['create', 'namespace', 'fresh'], { version: '1.33' });
    expect(created.stdout, created.stderr).toBe('namespace/fresh created\n');
    expect(await ok('patch', 'sa', 'default', '-n', 'fresh', '-p', '{"imagePullSecrets":[{"name":"regcred"}]}')).toBe('serviceaccount/default patched\n');
    const file = path.join(cluster.dir, 'pod.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: fresh\nspec:\n  containers:\n  - name: c\n    image: busybox\n');
    expect(await ok('create', '-f', file)).toBe('pod/p created\n');
    expect(await ok('get', 'pod', 'p', '-n', 'fresh', '-o', 'jsonpath={.spec.serviceAccountName} {.spec.imagePullSecrets[*].name}')).toBe('default regcred');
    await writeFile(file, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: q\n  namespace: fresh\nspec:\n  serviceAccountName: nobody\n  containers:\n  - name: c\n    image: busybox\n');
    const refused = await cluster.kubectl(['create', '-f', file]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('pods "q" is forbidden: error looking up service account fresh/nobody: serviceaccount "nobody" not found');
  });
});
