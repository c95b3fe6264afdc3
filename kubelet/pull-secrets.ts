// A pod's image pull secrets, read for its pulls: each name in `spec.imagePullSecrets`, in
// order, is a Secret in the pod's namespace of type `kubernetes.io/dockerconfigjson` whose
// `.dockerconfigjson` (base64 in `data`) is a docker config (the legacy
// `kubernetes.io/dockercfg` with `.dockercfg` too, as Kubernetes reads it). A Secret that is
// missing, of another type or unreadable is named in `missing` and skipped: Kubernetes warns
// (FailedToRetrieveImagePullSecret) and tries the pull with what it has.
//
// The GET of the Secret itself is the one thing handed in (`getSecret`): the kubelet gets it
// from the API server once the Secret kind is served; until then it has none to give.
import type { Pod } from '../api/types/core.js';
import type { PullSecretPayload } from './pull-credentials.js';

/** The part of a Secret (core/v1) a pull reads. */
export interface PullSecretObject {
  type?: string;
  /** base64 values, as the API serves them */
  data?: Record<string, string>;
}

/** The Secret `name` in `namespace`, or undefined when there is none (or it may not be read). */
export type GetSecret = (namespace: string, name: string) => Promise<PullSecretObject | undefined>;

export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
const KEYS: Record<string, string> = { [DOCKER_CONFIG_JSON_TYPE]: '.dockerconfigjson', 'kubernetes.io/dockercfg': '.dockercfg' };

export interface PodPullSecrets {
  payloads: PullSecretPayload[];
  /** Secrets named by the pod that give nothing, each with why (never a value). */
  missing: string[];
}

/** The pod's pull secrets' payloads, in the pod's order. */
export async function podPullSecrets(pod: Pod, getSecret: GetSecret): Promise<PodPullSecrets> {
  const out: PodPullSecrets = { payloads: [], missing: [] };
  const namespace = pod.metadata.namespace ?? 'default';
  for (const ref of pod.spec?.imagePullSecrets ?? []) {
    const name = ref.name ?? '';
    if (!name) continue;
    let secret: PullSecretObject | undefined;
    try {
      secret = await getSecret(namespace, name);
    } catch (e) {
      out.missing.push(`${name} (${e instanceof Error ? e.message : String(e)})`);
      continue;
    }
    if (!secret) {
      out.missing.push(name);
      continue;
    }
    const key = KEYS[secret.type ?? ''];
    if (!key) {
      out.missing.push(`${name} (type ${secret.type ?? 'Opaque'}, not ${DOCKER_CONFIG_JSON_TYPE})`);
      continue;
    }
    const encoded = secret.data?.[key];
    if (encoded === undefined) {
      out.missing.push(`${name} (no ${key})`);
      continue;
    }
    try {
      out.payloads.push({ secret: name, dockerConfig: JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as unknown });
    } catch {
      out.missing.push(`${name} (${key} is not JSON)`);
    }
  }
  return out;
}

/** Until the Secret kind is served: no Secret can be read, so every pull secret is reported missing. */
export const noSecrets: GetSecret = async () => undefined;
