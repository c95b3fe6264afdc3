// The ConfigMaps and Secrets a pod refers to (env, envFrom, volumes, projected sources), and
// the lookup the pure env and volume code reads them through: each name is found, not found,
// or could not be read, decided once per sync by the ConfigSource.
import type { ConfigMap, Container, Pod, Secret } from '../api/types/core.js';

export type ConfigKind = 'ConfigMap' | 'Secret';

/** What a name came to: the object, a 404, or another failure (its message). */
export type Fetched<T> = { found: T } | { notFound: true } | { error: string };

export interface ConfigLookup {
  configMap(name: string): Fetched<ConfigMap>;
  secret(name: string): Fetched<Secret>;
}

/** The lookup of a pod with no references, or a test's fixed objects. */
export function staticLookup(objects: { configMaps?: ConfigMap[]; secrets?: Secret[] } = {}): ConfigLookup {
  const find = <T extends ConfigMap | Secret>(list: T[] | undefined, name: string): Fetched<T> => {
    const o = list?.find((x) => x.metadata.name === name);
    return o ? { found: o } : { notFound: true };
  };
  return { configMap: (n) => find(objects.configMaps, n), secret: (n) => find(objects.secrets, n) };
}

/**
 * Kubernetes' words for a missing object: the kubelet's object managers answer NotFound for
 * the singular resource ("configmap", "secret"), and that error is what the user sees.
 */
export function notFoundMessage(kind: ConfigKind, name: string): string {
  return `${kind === 'ConfigMap' ? 'configmap' : 'secret'} ${JSON.stringify(name)} not found`;
}

export interface PodConfigRefs {
  configMaps: Set<string>;
  secrets: Set<string>;
}

function containerRefs(c: Container, out: PodConfigRefs): void {
  for (const e of c.env ?? []) {
    if (e.valueFrom?.configMapKeyRef) out.configMaps.add(e.valueFrom.configMapKeyRef.name);
    if (e.valueFrom?.secretKeyRef) out.secrets.add(e.valueFrom.secretKeyRef.name);
  }
  for (const f of c.envFrom ?? []) {
    if (f.configMapRef) out.configMaps.add(f.configMapRef.name);
    if (f.secretRef) out.secrets.add(f.secretRef.name);
  }
}

/** Every ConfigMap and Secret name the pod's containers and volumes name (in its namespace). */
export function podConfigRefs(pod: Pod): PodConfigRefs {
  const out: PodConfigRefs = { configMaps: new Set(), secrets: new Set() };
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) containerRefs(c, out);
  for (const v of pod.spec.volumes ?? []) {
    if (v.configMap) out.configMaps.add(v.configMap.name);
    if (v.secret) out.secrets.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap) out.configMaps.add(s.configMap.name);
      if (s.secret) out.secrets.add(s.secret.name);
    }
  }
  return out;
}

/** A Secret's value as bytes: the API sends base64. */
export function secretBytes(value: string): Buffer {
  return Buffer.from(value, 'base64');
}
