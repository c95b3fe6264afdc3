// ConfigMaps with the installed kubectl against a real skiff API server on a real etcd: the
// kind is one declaration (api/kinds/configmap.ts), and kubectl's create, get (NAME DATA AGE),
// describe, apply (create, then merge), immutability and explain all work from it.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveKubectl, KUBECTL, startKubectlCluster, type KubectlCluster } from './kubectl-harness.js';

if (!haveKubectl) console.warn(`kubectl not found at ${KUBECTL}: skipping the kubectl ConfigMap suite (test/compat/kubectl-configmap.test.ts)`);

let cluster: KubectlCluster;

async function ok(...args: string[]): Promise<string> {
  const r = await cluster.kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(!haveKubectl)('kubectl and ConfigMaps', () => {
  beforeAll(async () => {
    cluster = await startKubectlCluster();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('create configmap --from-literal, get cm (NAME DATA AGE), get -o jsonpath, describe', async () => {
    expect(await ok('create', 'configmap', 'x', '--from-literal=a=b', '--from-literal=c=d')).toBe('configmap/x created\n');
    const table = (await ok('get', 'cm')).split('\n');
    expect(table[0]).toMatch(/^NAME\s+DATA\s+AGE\s*$/);
    expect(table.find((l) => l.startsWith('x '))).toMatch(/^x\s+2\s+\d+s\s*$/);
    expect(await ok('get', 'configmaps', 'x', '-o', 'jsonpath={.data.a}')).toBe('b');
    const described = await ok('describe', 'cm', 'x');
    expect(described).toMatch(/^Name:\s+x$/m);
    expect(described).toMatch(/^Namespace:\s+default$/m);
    // kubectl walks the data map in Go's random order.
    expect(described).toMatch(/^Data\n====\n/m);
    expect(described).toMatch(/^a:\n----\nb\n/m);
    expect(described).toMatch(/^c:\n----\nd\n/m);
  });

  it("refuses a bad key and a key in both maps with Kubernetes' messages", async () => {
    // kubectl create checks keys itself; a manifest reaches the server.
    const file = path.join(cluster.dir, 'bad.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  "a b": c\n  k: x\nbinaryData:\n  k: eA==\n');
    const bad = await cluster.kubectl(['create', '-f', file]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('ConfigMap "bad" is invalid');
    expect(bad.stderr).toContain('data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters');
    expect(bad.stderr).toContain('data[k]: Invalid value: "k": duplicate of key present in binaryData');
  });

  it('apply creates and then merges; an immutable ConfigMap keeps its data', async () => {
    const file = path.join(cluster.dir, 'cm.yaml');
    const manifest = (data: string, immutable = false) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n${data}${immutable ? 'immutable: true\n' : ''}`;
    await writeFile(file, manifest('  k: v1\n'));
    expect(await ok('apply', '-f', file)).toBe('configmap/applied created\n');
    await writeFile(file, manifest('  k: v2\n  extra: e\n', true));
    expect(await ok('apply', '-f', file)).toBe('configmap/applied configured\n');
    expect(await ok('get', 'cm', 'applied', '-o', 'jsonpath={.data.k},{.data.extra},{.immutable}')).toBe('v2,e,true');
    await writeFile(file, manifest('  k: v3\n', true));
    const refused = await cluster.kubectl(['apply', '-f', file]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('data: Forbidden: field is immutable when `immutable` is set');
    const unset = await cluster.kubectl(['patch', 'cm', 'applied', '--type=merge', '-p', '{"immutable":false}']);
    expect(unset.code).not.toBe(0);
    expect(unset.stderr).toContain('immutable: Forbidden: field is immutable when `immutable` is set');
    // Metadata still changes.
    expect(await ok('label', 'cm', 'applied', 'team=a')).toBe('configmap/applied labeled\n');
  });

  it('explain configmap reads the served OpenAPI', async () => {
    const out = await ok('explain', 'configmap');
    expect(out).toMatch(/^KIND:\s+ConfigMap$/m);
    expect(out).toMatch(/^\s+binaryData\s+<map\[string\]string>/m);
    expect(out).toMatch(/^\s+immutable\s+<boolean>/m);
  });
});
