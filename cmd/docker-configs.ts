// Where the CLI's own registry requests (build --push, build's base images, cri pull and run,
// and the credentials `skiff pull` sends its node) find credentials besides registries.yaml: the user's docker config, then the one `skiff up`
// writes in the default state dir (root's only: it is 0600, and a non-root CLI skips it).
import { statePaths, DEFAULT_STATE_DIR } from '../cluster/state.js';
import { splitImageName } from '../api/image-name.js';
import { readDockerAuths, userDockerConfigFile } from '../runtime/images/docker-config.js';

export function cliDockerConfigs(): string[] {
  return [userDockerConfigFile(), statePaths(DEFAULT_STATE_DIR).dockerConfig];
}

/** The user's credentials for an image's registry, which `skiff pull` hands the kubelet for that pull. */
export async function cliRegistryAuth(image: string): Promise<{ username?: string; password?: string; identityToken?: string; registryToken?: string } | undefined> {
  const auths = await readDockerAuths(cliDockerConfigs());
  const a = auths[splitImageName(image).domain];
  if (!a) return undefined;
  return Object.fromEntries(Object.entries({ username: a.username, password: a.password, identityToken: a.identityToken, registryToken: a.registryToken }).filter(([, v]) => v !== undefined));
}
