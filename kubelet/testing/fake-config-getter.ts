// An API server's ConfigMaps and Secrets in memory for kubelet tests: put, remove, count GETs,
// and make reads fail.
import type { ConfigMap, Secret } from '../../api/types/core.js';
import type { ConfigKind } from '../config-lookup.js';
import type { ConfigGetter } from '../config-source.js';

export class FakeConfigGetter implements ConfigGetter {
  readonly objects = new Map<string, ConfigMap | Secret>();
  readonly gets: string[] = [];
  fail: string | undefined;
  #rv = 1;

  /** A ConfigMap's data as given; a Secret's values are base64-encoded as the API serves them. */
  put(kind: ConfigKind, name: string, data: Record<string, string>, namespace = 'default'): void {
    const encoded = kind === 'Secret' ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) : data;
    this.objects.set(`${kind}/${namespace}/${name}`, { metadata: { name, namespace, resourceVersion: String(++this.#rv) }, data: encoded });
  }

  remove(kind: ConfigKind, name: string, namespace = 'default'): void {
    this.objects.delete(`${kind}/${namespace}/${name}`);
  }

  async get(kind: ConfigKind, namespace: string, name: string): Promise<ConfigMap | Secret | undefined> {
    this.gets.push(`${kind}/${namespace}/${name}`);
    if (this.fail) throw new Error(this.fail);
    return this.objects.get(`${kind}/${namespace}/${name}`);
  }
}
