// The lookup the pure env and volume code reads a pod's ConfigMaps and Secrets through (the
// names come from api/pod-references.ts): each name is found, not found, or could not be
// read, decided once per sync by the ConfigSource.
import type { ConfigMap, Secret } from '../api/types/core.js';

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

/** A Secret's value as bytes: the API sends base64. */
export function secretBytes(value: string): Buffer {
  return Buffer.from(value, 'base64');
}
