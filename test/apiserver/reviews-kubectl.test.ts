// `kubectl auth can-i` (SelfSubjectAccessReview), `kubectl auth can-i --list`
// (SelfSubjectRulesReview) and `kubectl auth whoami` (SelfSubjectReview) against the real API
// server over HTTPS, with the real kubectl 1.33, 1.30 and 1.27: what the admin and a node's
// token may do, as the authorizer's table says.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { KUBECTL_VERSIONS, runKubectl, type KubectlOn } from '../fixtures/kubectl-stream-checks.js';

let etcd: EtcdFixture;
let api: ApiServerFixture;
let dir = '';
const ns = `reviews-${process.pid}`;
const kubeconfigs = { admin: '', node: '' };
const as = (who: keyof typeof kubeconfigs, version: string): KubectlOn => ({ kubeconfig: kubeconfigs[who], namespace: ns, version });

async function kubectl(k: KubectlOn, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = await runKubectl(k, args);
  return { code: r.code, out: r.stdout.toString(), err: r.stderr };
}

beforeAll(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcd, inProcess: true, nodes: ['node-a'], tls: 'only' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-reviews-'));
  const ca = await readFile(api.caFile ?? '');
  const tokens = { admin: api.adminToken, node: api.nodeToken('node-a') };
  for (const who of Object.keys(kubeconfigs) as (keyof typeof kubeconfigs)[]) {
    kubeconfigs[who] = path.join(dir, `kubeconfig-${who}`);
    await writeKubeconfig(kubeconfigs[who], buildKubeconfig({ server: api.url, ca, token: tokens[who], name: who }));
  }
});

afterAll(async () => {
  await api?.stop();
  await etcd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(KUBECTL_VERSIONS)('kubectl %s', (version) => {
  it('auth can-i: yes for the admin, and for a node what the table gives it', async () => {
    const yes = await kubectl(as('admin', version), ['auth', 'can-i', 'create', 'pods']);
    expect(yes, yes.err).toMatchObject({ code: 0, out: 'yes\n' });
    const cases: [string[], boolean][] = [
      [['get', 'secrets', '-n', 'kube-system'], false],
      [['get', 'nodes'], false],
      [['get', 'nodes/node-a'], true],
      [['get', 'nodes/node-b'], false],
      [['update', 'nodes/node-a', '--subresource', 'status'], true],
      [['create', 'events'], true],
      [['list', 'services', '--all-namespaces'], true],
      [['create', 'pods'], false],
      [['delete', 'namespaces'], false],
    ];
    for (const [args, allowed] of cases) {
      const r = await kubectl(as('node', version), ['auth', 'can-i', ...args]);
      expect({ args, code: r.code, answer: r.out.split(/[\s-]/)[0] }, r.err).toEqual({ args, code: allowed ? 0 : 1, answer: allowed ? 'yes' : 'no' });
    }
  });

  it('auth can-i --list: everything for the admin; a node its own Node and lease by name, the reads it has', async () => {
    const all = await kubectl(as('admin', version), ['auth', 'can-i', '--list']);
    expect(all.code, all.err).toBe(0);
    expect(all.out).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
    const node = await kubectl(as('node', version), ['auth', 'can-i', '--list', '-n', 'kube-node-lease']);
    expect(node.code, node.err).toBe(0);
    expect(node.out).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    expect(node.out).toMatch(/^nodes\s+\[\]\s+\[node-a\]\s+\[get create update patch\]$/m);
    expect(node.out).toMatch(/^leases\.coordination\.k8s\.io\s+\[\]\s+\[node-a\]\s+\[get create update patch delete\]$/m);
    expect(node.out).toMatch(/^services\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    expect(node.out).toMatch(/^\s+\[\/api\/\*\]\s+\[\]\s+\[get\]$/m);
    expect(node.out).not.toMatch(/^secrets/m);
    // What depends on the objects (pods bound to it, what they name) is not listed, and kubectl says so.
    expect(node.err).toMatch(/incomplete/);
    // Outside kube-node-lease the lease rule does not hold.
    const elsewhere = await kubectl(as('node', version), ['auth', 'can-i', '--list', '-n', ns]);
    expect(elsewhere.out).not.toMatch(/^leases/m);
  });

  it('auth whoami: the username and groups of the admin and of a node', async () => {
    const admin = await kubectl(as('admin', version), ['auth', 'whoami', '-o', 'json']);
    expect(admin.code, admin.err).toBe(0);
    expect(JSON.parse(admin.out)).toMatchObject({ kind: 'SelfSubjectReview', status: { userInfo: { username: 'admin', uid: 'admin-uid', groups: ['system:masters', 'system:authenticated'] } } });
    const node = await kubectl(as('node', version), ['auth', 'whoami']);
    expect(node.code, node.err).toBe(0);
    expect(node.out).toMatch(/^Username\s+system:node:node-a$/m);
    expect(node.out).toMatch(/^Groups\s+\[system:nodes system:authenticated\]$/m);
  });
});
