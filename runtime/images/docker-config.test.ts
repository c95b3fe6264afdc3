import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBasic } from './auth.js';
import { readDockerAuths, userDockerConfigFile, withAuths, writeDockerAuth } from './docker-config.js';
import { registryDomain } from './reference.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-docker-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('docker config credentials', () => {
  it('names registries as references do', () => {
    expect(registryDomain('https://index.docker.io/v1/')).toBe('docker.io');
    expect(registryDomain('registry-1.docker.io')).toBe('docker.io');
    expect(registryDomain('http://127.0.0.1:5000')).toBe('127.0.0.1:5000');
    expect(registryDomain('Quay.io/v2/')).toBe('quay.io');
  });

  it('reads auths from the first file naming a registry; missing files are skipped', async () => {
    const a = path.join(dir, 'a.json');
    const b = path.join(dir, 'b.json');
    await writeFile(a, JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: encodeBasic({ username: 'hub', password: 'p:1' }) }, 'ghcr.io': {} } }));
    await writeFile(b, JSON.stringify({ auths: { 'docker.io': { auth: encodeBasic({ username: 'other', password: 'x' }) }, 'http://127.0.0.1:5000': { username: 'skiff', password: 'pw' } } }));
    const auths = await readDockerAuths([path.join(dir, 'none.json'), a, b]);
    expect(Object.keys(auths).sort()).toEqual(['127.0.0.1:5000', 'docker.io']);
    expect(auths['docker.io']).toMatchObject({ username: 'hub', password: 'p:1' });
    // registries.yaml's own auth wins over the docker config's.
    const cfg = withAuths({ mirrors: {}, configs: { '127.0.0.1:5000': { insecure: true, auth: { username: 'yaml' } } } }, auths);
    expect(cfg.configs['127.0.0.1:5000']).toEqual({ insecure: true, auth: { username: 'yaml' } });
    expect(cfg.configs['docker.io'].auth).toBe(auths['docker.io']);
    await writeFile(b, '{ not json');
    await expect(readDockerAuths([b])).rejects.toThrow(/docker config .*b\.json/);
  });

  it('writes credentials 0600 in a 0700 dir, keeping the rest of the file', async () => {
    const file = path.join(dir, 'new', 'config.json');
    await writeDockerAuth(file, 'http://127.0.0.1:5000', { username: 'u', password: 'one' });
    await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), credHelpers: { 'gcr.io': 'gcloud' } }));
    await writeDockerAuth(file, '127.0.0.1:5000', { username: 'u', password: 'two' });
    await writeDockerAuth(file, 'docker.io', { username: 'hub', password: 'h' });
    const doc = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, { auth: string }>; credHelpers: unknown };
    expect(doc.auths).toEqual({ '127.0.0.1:5000': { auth: encodeBasic({ username: 'u', password: 'two' }) }, 'https://index.docker.io/v1/': { auth: encodeBasic({ username: 'hub', password: 'h' }) } });
    expect(doc.credHelpers).toEqual({ 'gcr.io': 'gcloud' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
  });

  it('finds the user file where docker does', () => {
    expect(userDockerConfigFile({ DOCKER_CONFIG: '/x/y' })).toBe('/x/y/config.json');
    expect(userDockerConfigFile({})).toBe(path.join(os.homedir(), '.docker', 'config.json'));
  });
});
