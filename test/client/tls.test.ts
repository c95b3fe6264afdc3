// The client over HTTPS as `skiff up` sets it up: the kubeconfig's embedded CA verifies the
// server, the bearer token rides along; a server the CA did not sign is refused unless the
// kubeconfig says insecure-skip-tls-verify.
import https from 'node:https';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionFromKubeconfig } from '../../client/kubeconfig.js';
import { RestClient } from '../../client/rest.js';
import { ADMIN, ensureCredentials } from '../../cluster/credentials.js';

let dir: string;
let server: https.Server;
let kubeconfig: string;
let otherKubeconfig: string;
const seenAuth: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-client-tls-'));
  const creds = await ensureCredentials({ stateDir: path.join(dir, 'a'), server: 'https://127.0.0.1:1', hosts: [], identities: [ADMIN] });
  // A second, unrelated CA: its kubeconfig must not trust the first one's server.
  const other = await ensureCredentials({ stateDir: path.join(dir, 'b'), server: 'https://127.0.0.1:1', hosts: [], identities: [ADMIN] });
  server = https.createServer({ cert: await readFile(creds.apiserverCertFile), key: await readFile(creds.apiserverKeyFile) }, (req, res) => {
    seenAuth.push(req.headers.authorization ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  kubeconfig = creds.kubeconfigs.get('admin') as string;
  otherKubeconfig = other.kubeconfigs.get('admin') as string;
  // Point both kubeconfigs at the server that was just started (ensureCredentials wrote port 1).
  for (const f of [kubeconfig, otherKubeconfig]) {
    const text = await readFile(f, 'utf8');
    await writeFile(f, text.replace('https://127.0.0.1:1', `https://127.0.0.1:${port}`));
  }
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('RestClient over TLS', () => {
  it('trusts the CA from the kubeconfig and sends the token', async () => {
    const conn = connectionFromKubeconfig({ kubeconfig });
    const client = new RestClient(conn);
    const list = await client.nodes.list();
    expect(list.metadata.resourceVersion).toBe('7');
    expect(seenAuth.at(-1)).toBe(`Bearer ${conn.token}`);
    client.close();
  });

  it('refuses a server its CA did not sign, unless told to skip verification', async () => {
    const conn = connectionFromKubeconfig({ kubeconfig: otherKubeconfig });
    const strict = new RestClient(conn);
    await expect(strict.nodes.list()).rejects.toThrow(/certificate|self[- ]signed|unable to verify/i);
    strict.close();
    const lax = new RestClient({ ...conn, ca: undefined, insecureSkipTLSVerify: true });
    expect((await lax.nodes.list()).kind).toBe('NodeList');
    lax.close();
  });
});
