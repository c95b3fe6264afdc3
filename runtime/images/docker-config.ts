// Docker's client config file (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`):
// its `auths` map of registry to `{ "auth": base64("user:password") }`, as docker, skopeo and
// buildah read and write it. The CLI's own registry requests (`skiff build --push`, `skiff cri
// pull`) take credentials from it for registries that registries.yaml gives none; `skiff up`
// writes the local registry's into the state dir's copy and `skiff login` into the user's.
// Credential helpers (`credsStore`, `credHelpers`) are not run.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RuntimeError } from '../cri.js';
import { writePrivateFile } from '../file-modes.js';
import { parseDockerConfig } from '../../api/registry-credentials.js';
import { encodeBasic } from './auth.js';
import { registryDomain } from './reference.js';
import type { RegistriesConfig, RegistryAuth } from './registries-config.js';

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  [other: string]: unknown;
}

/** The user's docker config, where docker itself looks. */
export function userDockerConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG ? path.join(env.DOCKER_CONFIG, 'config.json') : path.join(os.homedir(), '.docker', 'config.json');
}

/** The file's contents; empty when it is missing or not ours to read (another user's 0600 file). */
async function readConfig(file: string): Promise<DockerConfigFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR') return {};
    throw e;
  }
  try {
    const doc = JSON.parse(text) as unknown;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
    return doc as DockerConfigFile;
  } catch (e) {
    throw new RuntimeError('InvalidArgument', `docker config ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Credentials by registry domain from the files in order; the first file naming a registry wins.
 * Docker itself looks credentials up by registry host, so a key with a path counts for its host.
 */
export async function readDockerAuths(files: string[]): Promise<Record<string, RegistryAuth>> {
  const out: Record<string, RegistryAuth> = {};
  for (const file of files) {
    for (const c of parseDockerConfig(await readConfig(file)).credentials) {
      const domain = registryDomain(c.registry);
      if (out[domain]) continue;
      out[domain] = { username: c.username, password: c.password, identityToken: c.identityToken, registryToken: c.registryToken };
    }
  }
  return out;
}

/** `cfg` with `auths` added for the registries whose configs: entry has no auth of its own. */
export function withAuths(cfg: RegistriesConfig, auths: Record<string, RegistryAuth>): RegistriesConfig {
  const configs = { ...cfg.configs };
  for (const [domain, auth] of Object.entries(auths)) {
    if (!configs[domain]?.auth) configs[domain] = { ...configs[domain], auth };
  }
  return { ...cfg, configs };
}

/** Records credentials for a registry in a docker config (0600), keeping everything else in it. */
export async function writeDockerAuth(file: string, server: string, creds: { username: string; password: string }): Promise<void> {
  const { doc, auths } = await othersAuths(file, server);
  // Docker Hub under the key docker itself uses, so docker and skopeo find it too.
  auths[registryDomain(server) === 'docker.io' ? 'https://index.docker.io/v1/' : registryDomain(server)] = { auth: encodeBasic(creds) };
  await writePrivateFile(file, `${JSON.stringify({ ...doc, auths }, null, '\t')}\n`);
}

/** Forgets a registry's credentials (docker logout); false when the file had none. */
export async function removeDockerAuth(file: string, server: string): Promise<boolean> {
  const { doc, auths } = await othersAuths(file, server);
  if (Object.keys(auths).length === Object.keys(doc.auths ?? {}).length) return false;
  await writePrivateFile(file, `${JSON.stringify({ ...doc, auths }, null, '\t')}\n`);
  return true;
}

/** The file, and its auths without any entry naming server's registry. */
async function othersAuths(file: string, server: string): Promise<{ doc: DockerConfigFile; auths: NonNullable<DockerConfigFile['auths']> }> {
  const doc = await readConfig(file);
  return { doc, auths: Object.fromEntries(Object.entries(doc.auths ?? {}).filter(([s]) => registryDomain(s) !== registryDomain(server))) };
}
