// Where the CLI's own registry requests (build --push, build's base images, cri pull and run)
// find credentials besides registries.yaml: the user's docker config, then the one `skiff up`
// writes in the default state dir (root's only: it is 0600, and a non-root CLI skips it).
import { statePaths, DEFAULT_STATE_DIR } from '../cluster/state.js';
import { userDockerConfigFile } from '../runtime/images/docker-config.js';

export function cliDockerConfigs(): string[] {
  return [userDockerConfigFile(), statePaths(DEFAULT_STATE_DIR).dockerConfig];
}
