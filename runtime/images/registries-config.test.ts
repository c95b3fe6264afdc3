import { describe, expect, it } from 'vitest';
import { endpointsFor, isLoopbackHost, parseRegistriesConfig } from './registries-config.js';

describe('registries.yaml', () => {
  it('lists mirrors in order, then the upstream (docker.io is registry-1.docker.io)', async () => {
    const cfg = await parseRegistriesConfig(`
mirrors:
  docker.io:
    endpoint: ["https://mirror.example.com", "127.0.0.1:5000"]
  "*":
    endpoint: ["http://10.0.0.1:5000/v2"]
configs:
  "127.0.0.1:5000":
    auth: { username: u, password: p }
  insecure.example.com:
    insecure: true
`);
    expect(endpointsFor(cfg, 'docker.io').map((e) => [e.base, e.mirrorOf])).toEqual([
      ['https://mirror.example.com', 'docker.io'],
      ['http://127.0.0.1:5000', 'docker.io'],
      ['https://registry-1.docker.io', undefined],
    ]);
    expect(endpointsFor(cfg, 'docker.io')[1].config.auth).toEqual({ username: 'u', password: 'p', auth: undefined, identityToken: undefined });
    // The upstream's credentials never go to a mirror.
    const withUpstreamAuth = await parseRegistriesConfig('mirrors:\n  gcr.io:\n    endpoint: ["https://m.example.com"]\nconfigs:\n  gcr.io:\n    auth: { username: g, password: s }\n');
    expect(endpointsFor(withUpstreamAuth, 'gcr.io').map((e) => e.config.auth?.username)).toEqual([undefined, 'g']);
    expect(endpointsFor(cfg, 'quay.io').map((e) => e.base)).toEqual(['http://10.0.0.1:5000', 'https://quay.io']);
    expect(endpointsFor(cfg, 'insecure.example.com').at(-1)?.base).toBe('http://insecure.example.com');
    expect(endpointsFor({ mirrors: {}, configs: {} }, 'localhost:5000').map((e) => e.base)).toEqual(['http://localhost:5000']);
    // A loopback registry whose entry has tls: (its CA) is on HTTPS.
    expect(endpointsFor({ mirrors: {}, configs: { '127.0.0.1:5443': { tls: { ca: Buffer.from('ca') } } } }, '127.0.0.1:5443').map((e) => e.base)).toEqual(['https://127.0.0.1:5443']);
  });

  it('stays on the mirrors with disable_default_endpoint', async () => {
    const cfg = await parseRegistriesConfig('disable_default_endpoint: true\nmirrors:\n  gcr.io:\n    endpoint: ["http://127.0.0.1:1"]\n');
    expect(endpointsFor(cfg, 'gcr.io').map((e) => e.base)).toEqual(['http://127.0.0.1:1']);
    expect(endpointsFor(cfg, 'quay.io').map((e) => e.base)).toEqual(['https://quay.io']);
  });

  it('explains what is wrong', async () => {
    await expect(parseRegistriesConfig('- a list')).rejects.toThrow(/top level must be a mapping/);
    await expect(parseRegistriesConfig('mirrors:\n  x: 1\n')).rejects.toThrow(/mirrors.x must be a mapping/);
    await expect(parseRegistriesConfig('mirrors:\n  x:\n    endpoint: ["ftp://a"]\n')).rejects.toThrow(/only http and https/);
    await expect(parseRegistriesConfig('configs:\n  x:\n    tls: { ca_file: /nonexistent/ca.pem }\n')).rejects.toThrow(/cannot read \/nonexistent\/ca.pem/);
    await expect(parseRegistriesConfig('configs:\n  x:\n    auth: { username: 5 }\n')).rejects.toThrow(/auth.username must be a string/);
    expect(await parseRegistriesConfig('')).toEqual({ mirrors: {}, configs: {} });
  });

  it('knows loopback hosts', () => {
    expect(['localhost', 'localhost:5000', '127.0.0.1', '127.1.2.3:80', '[::1]:5000', '::1'].every(isLoopbackHost)).toBe(true);
    expect(['example.com', '10.0.0.1:5000', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
  });
});
