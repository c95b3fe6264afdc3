// Which credentials the kubelet tries, in which order, to pull one image for one pod (the
// kubelet's keyring lookup, pkg/credentialprovider): the entries of the pod's image pull
// secrets that match the image, most specific key first and the secrets in the pod's order,
// then the node's own, which is the runtime's registries.yaml (a pull with no credentials of
// the pod's: the runtime answers its registry and mirrors from its configs:, or anonymously).
// Pure: the puller carries the list out, moving to the next entry on a 401 or 403.
import { imageRepository } from '../api/image-name.js';
import { credentialsFor, parseDockerConfig, type RegistryCredential } from '../api/registry-credentials.js';
import type { AuthConfig } from '../runtime/cri.js';

/** One pull secret's payload: its name and its `.dockerconfigjson`, JSON-decoded. */
export interface PullSecretPayload {
  secret: string;
  dockerConfig: unknown;
}

export interface PullAttempt {
  /** Where the credentials come from, for messages: `pull secret "regcred"`, `the node's credentials`. */
  from: string;
  /** Undefined for the node's: the runtime uses its registries.yaml. */
  auth?: AuthConfig;
}

export interface PullPlan {
  attempts: PullAttempt[];
  /** Entries of the secrets left out (malformed), naming the secret and the key only. */
  problems: string[];
}

export const NODE_CREDENTIALS = "the node's credentials";

function toAuth(c: RegistryCredential): AuthConfig {
  const auth: AuthConfig = {};
  if (c.username !== undefined) auth.username = c.username;
  if (c.password !== undefined) auth.password = c.password;
  if (c.identityToken !== undefined) auth.identityToken = c.identityToken;
  if (c.registryToken !== undefined) auth.registryToken = c.registryToken;
  return auth;
}

/** The credentials to try for `image`, in order; the node's always last. */
export function planPullCredentials(image: string, secrets: PullSecretPayload[]): PullPlan {
  const problems: string[] = [];
  const tagged: (RegistryCredential & { secret: string })[] = [];
  for (const s of secrets) {
    const parsed = parseDockerConfig(s.dockerConfig);
    for (const p of parsed.problems) problems.push(`pull secret "${s.secret}": ${p}`);
    for (const c of parsed.credentials) tagged.push({ ...c, secret: s.secret });
  }
  const matching = credentialsFor(imageRepository(image), tagged) as (RegistryCredential & { secret: string })[];
  return { attempts: [...matching.map((c) => ({ from: `pull secret "${c.secret}"`, auth: toAuth(c) })), { from: NODE_CREDENTIALS }], problems };
}
