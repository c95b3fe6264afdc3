// The local OCI registry of `skiff up` and labs (Debian's docker-registry, the CNCF
// distribution registry): a config file with its storage under the state dir, listening on
// loopback, and taking no anonymous request: distribution's htpasswd auth (HTTP Basic against
// bcrypt entries) with one user whose random password is made once per cluster. The clients
// (kubelets through registries.yaml, the CLI through a docker-style config) carry it.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { makePrivateDir, writePrivateFile } from './state.js';
import type { ComponentSpec } from './supervisor.js';

const execFileP = promisify(execFile);

export const REGISTRY_USER = 'skiff';

export interface RegistryCredentials {
  username: string;
  password: string;
  htpasswdFile: string;
}

export interface RegistryPlan {
  addr: string;
  dataDir: string;
  configFile: string;
}

/** One htpasswd line for user (bcrypt, by Apache's htpasswd; the password goes on its stdin, never in argv). */
export async function htpasswdLine(username: string, password: string): Promise<string> {
  // bcrypt at htpasswd's default cost: the password is 32 random bytes, so a costlier hash
  // would guard nothing and the registry checks it on every request.
  const run = execFileP('htpasswd', ['-niB', username]);
  run.child.stdin?.end(password);
  const { stdout } = await run.catch((e: Error) => {
    throw new Error(`cannot make the registry's htpasswd entry (htpasswd from apache2-utils): ${e.message}`, { cause: e });
  });
  const line = stdout.trim();
  if (!line.startsWith(`${username}:$2`)) throw new Error('htpasswd did not answer a bcrypt entry');
  return line;
}

/**
 * The registry's credentials under DIR/auth (0700): the password (0600), made once and kept
 * across restarts, and the htpasswd file (0600) the registry checks it against.
 */
export async function ensureRegistryCredentials(registryDir: string): Promise<RegistryCredentials> {
  const dir = path.join(registryDir, 'auth');
  makePrivateDir(dir);
  const passwordFile = path.join(dir, 'password');
  const htpasswdFile = path.join(dir, 'htpasswd');
  let password = existsSync(passwordFile) ? (await readFile(passwordFile, 'utf8')).trim() : '';
  if (!password) {
    password = randomBytes(32).toString('base64url');
    await writePrivateFile(passwordFile, `${password}\n`);
    await writePrivateFile(htpasswdFile, `${await htpasswdLine(REGISTRY_USER, password)}\n`);
  } else if (!existsSync(htpasswdFile)) {
    await writePrivateFile(htpasswdFile, `${await htpasswdLine(REGISTRY_USER, password)}\n`);
  }
  return { username: REGISTRY_USER, password, htpasswdFile };
}

export async function writeRegistryConfig(dir: string, addr: string, htpasswdFile: string): Promise<RegistryPlan> {
  const dataDir = path.join(dir, 'data');
  makePrivateDir(dir);
  makePrivateDir(dataDir);
  const config = {
    version: 0.1,
    log: { level: 'warn', formatter: 'json', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: dataDir }, delete: { enabled: true } },
    http: { addr },
    auth: { htpasswd: { realm: 'skiff', path: htpasswdFile } },
  };
  const configFile = path.join(dir, 'config.yml');
  await writePrivateFile(configFile, stringify(config));
  return { addr, dataDir, configFile };
}

export function registryComponent(plan: RegistryPlan): ComponentSpec {
  return { name: 'registry', command: 'docker-registry', args: ['serve', plan.configFile], stopGraceMs: 5000 };
}
