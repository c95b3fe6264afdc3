import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_SERVER_KUBELET_CLIENT, KubeletAuthenticator } from '../kubelet/server/authn.js';
import { ensureApiserverKubeletClient, ensureKubeletServing, type ApiserverKubeletClient, type KubeletServingCredentials } from './kubelet-credentials.js';
import { createCA, ensureCA, issueCertificate, type CertificateAuthority } from './pki.js';
import { writePrivateFile } from './state.js';

let dir = '';
let ca: CertificateAuthority;
let serving: KubeletServingCredentials;
let client: ApiserverKubeletClient;
let server: https.Server;
let port = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-kubelet-creds-'));
  ca = await ensureCA(path.join(dir, 'pki'));
  await writePrivateFile(path.join(dir, 'kubelet-api.token'), 'the shared token of old\n');
  serving = await ensureKubeletServing(dir, 'n1', ['127.0.0.1']);
  client = await ensureApiserverKubeletClient(dir);
  // The kubelet's server as it judges callers: its serving certificate, the cluster CA for clients.
  const authn = KubeletAuthenticator.fromFile(serving.clientCaFile);
  server = https.createServer({ cert: await readFile(serving.certFile), key: await readFile(serving.keyFile), ...authn.tlsOptions }, (req, res) => {
    const v = authn.judge(req, { verb: 'get', subresource: 'proxy' });
    res.writeHead(v.allowed ? 200 : v.status).end(v.allowed ? `hello ${v.user}` : v.message);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server?.close();
  server?.closeAllConnections();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A request to the kubelet's server, verifying it against the cluster CA as the API server does. */
function call(opts: { cert?: string | Buffer; key?: string | Buffer; token?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: '/pods', ca: ca.certPem, agent: false, cert: opts.cert, key: opts.key, headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
      })
      .on('error', reject);
  });
}

describe("the kubelet's credentials", () => {
  it('keeps the serving and client certificates on a second run and removes the shared token of old', async () => {
    const cert = await readFile(serving.certFile, 'utf8');
    const clientCert = await readFile(client.certFile, 'utf8');
    expect((await ensureKubeletServing(dir, 'n1', ['127.0.0.1'])).certFile).toBe(serving.certFile);
    expect(await readFile(serving.certFile, 'utf8')).toBe(cert);
    expect(await readFile((await ensureApiserverKubeletClient(dir)).certFile, 'utf8')).toBe(clientCert);
    await expect(readFile(path.join(dir, 'kubelet-api.token'))).rejects.toThrow(/ENOENT/);
  });

  it("serves the API server's client certificate, verified against the cluster CA", async () => {
    expect(await call({ cert: await readFile(client.certFile), key: await readFile(client.keyFile) })).toEqual({ status: 200, body: `hello ${API_SERVER_KUBELET_CLIENT}` });
  });

  it('refuses everyone else: no credential 401, any token 403, another CA 401, another name of the CA 403, a serving certificate 401', async () => {
    expect((await call({})).status).toBe(401);
    const token = await call({ token: 'the shared token of old' });
    expect(token.status).toBe(403);
    expect(token.body).toMatch(/bearer tokens are not accepted/);
    const stranger = await issueCertificate(await createCA('other-ca'), { commonName: API_SERVER_KUBELET_CLIENT, usage: 'client' });
    expect((await call({ cert: stranger.certPem, key: stranger.keyPem })).status).toBe(401);
    const user = await issueCertificate(ca, { commonName: 'system:node:n2', organizations: ['system:nodes'], usage: 'client' });
    const forbidden = await call({ cert: user.certPem, key: user.keyPem });
    expect(forbidden).toEqual({ status: 403, body: 'Forbidden (user=system:node:n2, verb=get, resource=nodes, subresource=proxy)' });
    // A node holds its own serving certificate and key: they are no client credential.
    expect(await call({ cert: await readFile(serving.certFile), key: await readFile(serving.keyFile) })).toEqual({ status: 401, body: 'Unauthorized: client certificate not accepted (INVALID_PURPOSE)' });
  });
});
