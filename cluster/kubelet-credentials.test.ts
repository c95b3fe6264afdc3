import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureKubeletApiCredentials } from './kubelet-credentials.js';
import { ensureCA } from './pki.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ensureKubeletApiCredentials', () => {
  it('issues a serving certificate the cluster CA verifies, and keeps token and certificate on a second run', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-kubelet-creds-'));
    const ca = await ensureCA(path.join(dir, 'pki'));
    const first = await ensureKubeletApiCredentials(dir, 'n1', ['127.0.0.1']);
    const token = await readFile(first.tokenFile, 'utf8');
    expect(token.trim()).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const cert = await readFile(first.certFile, 'utf8');
    const again = await ensureKubeletApiCredentials(dir, 'n1', ['127.0.0.1']);
    expect(await readFile(again.tokenFile, 'utf8')).toBe(token);
    expect(await readFile(again.certFile, 'utf8')).toBe(cert);

    // A real TLS handshake: what the API server does with --kubelet-certificate-authority.
    const server = https.createServer({ cert, key: await readFile(first.keyFile) }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const body = await new Promise<string>((resolve, reject) => {
        https.get({ host: '127.0.0.1', port, path: '/', ca: ca.certPem, agent: false }, (res) => {
          let b = '';
          res.on('data', (d: Buffer) => (b += d.toString()));
          res.on('end', () => resolve(b));
        }).on('error', reject);
      });
      expect(body).toBe('ok');
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
