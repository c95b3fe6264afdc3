import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKubeconfig, KubeconfigError, loadKubeconfig, resolveContext, writeKubeconfig } from './kubeconfig.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-kubeconfig-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const first = `
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority: certs/ca.crt
- name: shared
  cluster:
    server: https://first.invalid
contexts:
- name: dev
  context: { cluster: dev, user: alice, namespace: team-a }
- name: other
  context: { cluster: prod, user: bob }
users:
- name: alice
  user: { token: alice-token }
`;

const second = `
apiVersion: v1
kind: Config
current-context: other
clusters:
- name: prod
  cluster:
    server: http://127.0.0.2:8080
    insecure-skip-tls-verify: true
- name: shared
  cluster:
    server: https://second.invalid
users:
- name: bob
  user:
    client-certificate-data: ${Buffer.from('CERT').toString('base64')}
    client-key-data: ${Buffer.from('KEY').toString('base64')}
`;

describe('kubeconfig', () => {
  it('merges KUBECONFIG files first-wins and resolves relative paths against the file', async () => {
    await writeFile(path.join(dir, 'a.yaml'), first);
    await writeFile(path.join(dir, 'b.yaml'), second);
    await mkdir(path.join(dir, 'certs'), { recursive: true });
    await writeFile(path.join(dir, 'certs', 'ca.crt'), 'PEM-CA');
    const config = loadKubeconfig(undefined, { KUBECONFIG: `${path.join(dir, 'a.yaml')}:${path.join(dir, 'missing.yaml')}:${path.join(dir, 'b.yaml')}` });
    expect(config['current-context']).toBe('dev');
    expect(config.clusters.map((c) => c.name).sort()).toEqual(['dev', 'prod', 'shared']);
    expect(config.clusters.find((c) => c.name === 'shared')?.cluster.server).toBe('https://first.invalid');

    const dev = resolveContext(config);
    expect(dev).toMatchObject({ server: 'https://127.0.0.1:6443', token: 'alice-token', namespace: 'team-a', contextName: 'dev' });
    expect(dev.ca?.toString()).toBe('PEM-CA');

    const other = resolveContext(config, 'other');
    expect(other.server).toBe('http://127.0.0.2:8080');
    expect(other.insecureSkipTLSVerify).toBe(true);
    expect(other.cert?.toString()).toBe('CERT');
    expect(other.key?.toString()).toBe('KEY');
    expect(other.namespace).toBe('default');
  });

  it('names what is missing', async () => {
    await writeFile(path.join(dir, 'a.yaml'), first);
    const config = loadKubeconfig(path.join(dir, 'a.yaml'));
    expect(() => resolveContext(config, 'nope')).toThrow(/context "nope" does not exist/);
    expect(() => resolveContext(config, 'other')).toThrow(/cluster "prod"/);
    expect(() => loadKubeconfig(path.join(dir, 'absent.yaml'))).toThrow(KubeconfigError);
    await writeFile(path.join(dir, 'bad.yaml'), 'clusters: [unclosed');
    expect(() => loadKubeconfig(path.join(dir, 'bad.yaml'))).toThrow(/not valid YAML/);
  });

  it('writes a file it (and kubectl) can read back, private to its owner', async () => {
    const file = path.join(dir, 'out', 'config');
    await writeKubeconfig(file, buildKubeconfig({ server: 'https://127.0.0.1:7443', ca: 'CA-PEM', token: 't0k', namespace: 'ns1' }));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toContain('certificate-authority-data');
    const conn = resolveContext(loadKubeconfig(file));
    expect(conn).toMatchObject({ server: 'https://127.0.0.1:7443', token: 't0k', namespace: 'ns1' });
    expect(conn.ca?.toString()).toBe('CA-PEM');
  });
});
