// The registries.yaml and docker-style config `skiff up` writes for its local registry.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readDockerAuths } from '../runtime/images/docker-config.js';
import { endpointsFor, loadRegistriesConfig } from '../runtime/images/registries-config.js';
import { statePaths } from './state.js';
import { PUBLIC_REGISTRIES, writeDefaultRegistries } from './up.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-up-registries-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const creds = { username: 'skiff', password: 'pw' };

describe('writeDefaultRegistries', () => {
  it('gives the local registry its credentials (0600), mirrors nothing unless asked', async () => {
    const paths = statePaths(path.join(dir, 'plain'));
    await writeDefaultRegistries(paths, '127.0.0.1:5000', creds);
    const cfg = await loadRegistriesConfig(paths.registriesYaml);
    expect(cfg.mirrors).toEqual({});
    expect(cfg.configs['127.0.0.1:5000']).toMatchObject({ insecure: true, auth: creds });
    expect(endpointsFor(cfg, 'gcr.io').map((e) => e.host)).toEqual(['gcr.io']);
    expect((await readDockerAuths([paths.dockerConfig]))['127.0.0.1:5000']).toBeTruthy();
    for (const f of [paths.registriesYaml, paths.dockerConfig]) expect((await stat(f)).mode & 0o777).toBe(0o600);
  });

  it("with the mirror, public registries go to the local one first; the user's file wins where it speaks", async () => {
    const paths = statePaths(path.join(dir, 'mirror'));
    const base = path.join(dir, 'mine.yaml');
    await writeFile(base, 'mirrors:\n  gcr.io:\n    endpoint: ["https://mirror.example.com"]\nconfigs:\n  "registry.example.com":\n    auth: { username: me, password: secret }\n');
    await writeDefaultRegistries(paths, '127.0.0.1:5000', creds, { mirrorPublic: true, base });
    const cfg = await loadRegistriesConfig(paths.registriesYaml);
    expect(Object.keys(cfg.mirrors).sort()).toEqual([...PUBLIC_REGISTRIES].sort());
    expect(endpointsFor(cfg, 'gcr.io')[0].host).toBe('mirror.example.com');
    const dockerHub = endpointsFor(cfg, 'docker.io')[0];
    expect(dockerHub).toMatchObject({ host: '127.0.0.1:5000', mirrorOf: 'docker.io', config: { auth: creds } });
    expect(cfg.configs['registry.example.com'].auth).toMatchObject({ username: 'me', password: 'secret' });
    expect((parse(await readFile(base, 'utf8')) as { configs: object }).configs).not.toHaveProperty(['127.0.0.1:5000']); // the user's file is left alone
    await writeFile(base, 'mirrors: [');
    await expect(writeDefaultRegistries(paths, '127.0.0.1:5000', creds, { base })).rejects.toThrow(/not valid YAML/);
  });
});
