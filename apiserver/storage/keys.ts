// The etcd key layout, as kube-apiserver's: <prefix>/<plural>/<namespace>/<name> for
// namespaced resources and <prefix>/<plural>/<name> for cluster-scoped ones. Every
// per-type prefix ends in '/', so "pods/ns1/" never matches the contents of "pods/ns10/".
import type { ResourceInfo } from '../../api/resources.js';

export class KeyLayout {
  readonly root: string;

  constructor(prefix = '/registry') {
    this.root = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  }

  /** All objects of one resource type (every namespace). */
  typePrefix(r: ResourceInfo): string {
    return `${this.root}/${r.plural}/`;
  }

  /** The objects of one type in one namespace; the whole type when `namespace` is empty. */
  collectionPrefix(r: ResourceInfo, namespace?: string): string {
    return r.namespaced && namespace ? `${this.typePrefix(r)}${namespace}/` : this.typePrefix(r);
  }

  objectKey(r: ResourceInfo, namespace: string | undefined, name: string): string {
    return r.namespaced ? `${this.typePrefix(r)}${namespace ?? ''}/${name}` : `${this.typePrefix(r)}${name}`;
  }
}

/** The first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] < 0xff) {
      const end = b.subarray(0, i + 1);
      end[i] += 1;
      return end;
    }
  }
  return Buffer.from([0]);
}
