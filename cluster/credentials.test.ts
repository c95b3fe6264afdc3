import { afterEach, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { TokenAuthenticator } from '../apiserver/auth/token-file.js';
import { ADMIN, ensureCredentials, nodeIdentity, SCHEDULER } from './credentials.js';

describe('cluster credentials', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('makes a token file the API server reads, kubeconfigs per identity, and keeps them across runs', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-cred-'));
    const opts = { stateDir: dir, server: 'https://127.0.0.1:6443', hosts: ['10.200.0.1'], identities: [ADMIN, SCHEDULER, nodeIdentity('n1')] };
    const first = await ensureCredentials(opts);

    const auth = TokenAuthenticator.parse(await readFile(first.tokenFile, 'utf8'));
    expect(auth.authenticate(first.tokens.get('admin')!)).toMatchObject({ name: 'skiff-admin', groups: ['system:masters'] });
    expect(auth.authenticate(first.tokens.get('kubelet-n1')!)).toMatchObject({ name: 'system:node:n1', groups: ['system:nodes'] });
    expect(auth.authenticate(first.tokens.get('scheduler')!)).toMatchObject({ name: 'system:kube-scheduler', groups: [] });
    expect((await stat(first.tokenFile)).mode & 0o777).toBe(0o600);

    const kc = parse(await readFile(first.kubeconfigs.get('admin')!, 'utf8'));
    expect(kc.clusters[0].cluster.server).toBe('https://127.0.0.1:6443');
    expect(Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toBe(first.caPem);
    expect(kc.users[0].user.token).toBe(first.tokens.get('admin'));

    const cert = new X509Certificate(await readFile(first.apiserverCertFile));
    expect(cert.subjectAltName).toContain('IP Address:10.200.0.1');
    expect(cert.subjectAltName).toContain('DNS:localhost');

    const second = await ensureCredentials(opts);
    expect(second.tokens).toEqual(first.tokens);
    expect(await readFile(second.apiserverCertFile, 'utf8')).toBe(await readFile(first.apiserverCertFile, 'utf8'));
    // A new address for the API server reissues its certificate under the same CA.
    const third = await ensureCredentials({ ...opts, hosts: ['10.200.0.2'] });
    const reissued = new X509Certificate(await readFile(third.apiserverCertFile));
    expect(reissued.subjectAltName).toContain('IP Address:10.200.0.2');
    expect(reissued.checkIssued(new X509Certificate(first.caPem))).toBe(true);
  });
});
