import { describe, expect, it } from 'vitest';
import type { Kubeconfig } from '../../client/kubeconfig.js';
import { minify, redact } from './config.js';

const cfg: Kubeconfig = {
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [
    { name: 'a', cluster: { server: 'https://a:6443', 'certificate-authority-data': 'Q0E=' } },
    { name: 'b', cluster: { server: 'https://b:6443' } },
  ],
  users: [
    { name: 'admin-a', user: { token: 'secret', 'client-key-data': 'S0VZ' } },
    { name: 'admin-b', user: { username: 'u', password: 'p' } },
  ],
  contexts: [
    { name: 'a', context: { cluster: 'a', user: 'admin-a' } },
    { name: 'b', context: { cluster: 'b', user: 'admin-b', namespace: 'dev' } },
  ],
  'current-context': 'b',
};

describe('config view helpers', () => {
  it('redacts keys, certificates, tokens and passwords as kubectl config view does', () => {
    const r = redact(cfg);
    expect(r.clusters[0]?.cluster['certificate-authority-data']).toBe('DATA+OMITTED');
    expect(r.users[0]?.user).toEqual({ token: 'REDACTED', 'client-key-data': 'DATA+OMITTED' });
    expect(r.users[1]?.user).toEqual({ username: 'u', password: 'REDACTED' });
    expect(cfg.users[0]?.user.token).toBe('secret');
  });

  it('minifies to the current context, or a named one', () => {
    expect(minify(cfg).contexts.map((c) => c.name)).toEqual(['b']);
    expect(minify(cfg).clusters.map((c) => c.name)).toEqual(['b']);
    const a = minify(cfg, 'a');
    expect([a['current-context'], a.users.map((u) => u.name)]).toEqual(['a', ['admin-a']]);
    expect(() => minify(cfg, 'zz')).toThrow('context "zz" does not exist');
  });
});
