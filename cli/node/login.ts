// `skiff login [-u USER] [-p PASS | --password-stdin] REGISTRY` and `skiff logout REGISTRY`,
// as docker's: the credentials are checked against the registry's /v2/ first, then kept in the
// user's docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json, 0600), where
// skiff build --push and skiff cri pull (and docker, skopeo, buildah) find them.
import { Command } from 'commander';
import { readStdin } from '../stdin.js';
import { RuntimeError } from '../../runtime/cri.js';
import { removeDockerAuth, userDockerConfigFile, writeDockerAuth } from '../../runtime/images/docker-config.js';
import { errorText } from '../../runtime/images/http.js';
import { loadRegistriesConfig, EMPTY_REGISTRIES_CONFIG } from '../../runtime/images/registries-config.js';
import { registryDomain } from '../../runtime/images/reference.js';
import { RegistryClient } from '../../runtime/images/registry-client.js';

interface LoginFlags {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  registryConfig?: string;
}

/**
 * Asks the registry's /v2/ with the credentials; throws when it refuses them, saying which
 * registry and why ("login h:5000: h:5000 answered 401 Unauthorized: ..."), never the password.
 */
export async function checkLogin(registry: string, creds: { username: string; password: string }, registryConfig?: string): Promise<void> {
  const client = new RegistryClient({ config: registryConfig ? await loadRegistriesConfig(registryConfig) : EMPTY_REGISTRIES_CONFIG });
  const endpoints = client.endpoints(registryDomain(registry));
  const ep = endpoints[endpoints.length - 1]; // the registry itself, never a mirror
  try {
    const res = await client.request(ep, 'GET', '/v2/', { scope: '', auth: creds });
    if (res.statusCode !== 200) throw new RuntimeError('Unavailable', `${ep.base}/v2/: HTTP ${res.statusCode} ${await errorText(res)}`);
    res.resume();
  } catch (e) {
    if (e instanceof RuntimeError) throw new RuntimeError(e.kind, `login ${registryDomain(registry)}: ${e.message}`, { cause: e });
    throw e;
  }
}

export function loginCommand(): Command {
  return new Command('login')
    .description("log in to a registry: check the credentials and keep them in the user's docker config")
    .argument('<registry>', 'e.g. 127.0.0.1:5000, ghcr.io')
    .option('-u, --username <user>', 'username')
    .option('-p, --password <password>', 'password (visible to other users in the process list: prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin')
    .option('--registry-config <file>', 'registries.yaml (TLS, plain HTTP) in k3s format')
    .action(async (registry: string, flags: LoginFlags) => {
      if (!flags.username) throw new Error('skiff login needs --username');
      if (flags.password !== undefined && flags.passwordStdin) throw new Error('--password and --password-stdin are exclusive');
      const password = flags.passwordStdin ? (await readStdin()).replace(/\r?\n$/, '') : flags.password;
      if (!password) throw new Error('skiff login needs a password: --password-stdin or --password');
      const creds = { username: flags.username, password };
      await checkLogin(registry, creds, flags.registryConfig);
      const file = userDockerConfigFile();
      await writeDockerAuth(file, registry, creds);
      process.stdout.write(`Login Succeeded (credentials kept in ${file})\n`);
    });
}

export function logoutCommand(): Command {
  return new Command('logout')
    .description("forget a registry's credentials in the user's docker config")
    .argument('<registry>', 'e.g. 127.0.0.1:5000')
    .action(async (registry: string) => {
      const file = userDockerConfigFile();
      const removed = await removeDockerAuth(file, registry);
      process.stdout.write(removed ? `Removed login credentials for ${registryDomain(registry)} from ${file}\n` : `Not logged in to ${registryDomain(registry)}\n`);
    });
}
