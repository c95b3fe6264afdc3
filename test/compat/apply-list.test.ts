// `kubectl apply -f` of a `kind: List` manifest (what `kubectl get -o yaml` writes for
// several objects) against skiff, with each installed kubectl from 1.27 to 1.33: every item
// is created, a second apply finds them unchanged, and a change to one item configures it.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTool } from '../fixtures/tools.js';
import { haveKubectl, kubectlBinary, startKubectlCluster, type KubectlCluster } from './kubectl-harness.js';

let c: KubectlCluster;

const list = (image: string) => `apiVersion: v1
kind: List
metadata: {}
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: listed
- apiVersion: v1
  kind: Pod
  metadata:
    name: listed-a
    namespace: listed
    labels: {app: listed}
  spec:
    containers:
    - name: app
      image: ${image}
- apiVersion: v1
  kind: Pod
  metadata:
    name: listed-b
    namespace: listed
  spec:
    containers:
    - name: app
      image: busybox:1.36
`;

const VERSIONS = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'].filter((v) => haveTool(kubectlBinary(v)));

describe.skipIf(!haveKubectl)('kubectl apply -f of a kind: List', () => {
  beforeAll(async () => {
    c = await startKubectlCluster();
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('creates every item, then finds them unchanged, then configures the changed one', async () => {
    const file = path.join(c.dir, 'list.yaml');
    await writeFile(file, list('busybox:1.36'));
    const first = await c.kubectl(['apply', '-f', file]);
    expect(first.stderr).toBe('');
    expect(first).toMatchObject({ code: 0, stdout: 'namespace/listed created\npod/listed-a created\npod/listed-b created\n' });
    expect(await c.kubectl(['apply', '-f', file])).toMatchObject({ code: 0, stdout: 'namespace/listed unchanged\npod/listed-a unchanged\npod/listed-b unchanged\n' });
    await writeFile(file, list('busybox:1.37'));
    expect(await c.kubectl(['apply', '-f', file])).toMatchObject({ code: 0, stdout: 'namespace/listed unchanged\npod/listed-a configured\npod/listed-b unchanged\n' });
    expect((await c.admin.pods.get('listed-a', { namespace: 'listed' })).spec.containers[0]?.image).toBe('busybox:1.37');
  });

  it('validates the items on kubectl\'s side against the served schema: a typo\'d field is refused', async () => {
    const file = path.join(c.dir, 'typo.yaml');
    await writeFile(file, list('busybox:1.36').replaceAll('listed', 'typo').replace('      image: busybox:1.36\n', '      imagee: busybox:1.36\n'));
    const r = await c.kubectl(['apply', '-f', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown field "imagee"/);
    expect(r.stdout).toBe('');
    await expect(c.admin.namespaces.get('typo')).rejects.toMatchObject({ reason: 'NotFound' });
  });

  it.each(VERSIONS)('kubectl %s applies a List too', async (version) => {
    const file = path.join(c.dir, `list-${version}.yaml`);
    await writeFile(file, list('busybox:1.36').replaceAll('listed', `listed-${version.replace('.', '-')}`));
    const r = await c.kubectl(['apply', '-f', file], { version });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.endsWith(' created'))).toHaveLength(3);
  });
});
