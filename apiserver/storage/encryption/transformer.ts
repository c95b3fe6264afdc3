// A resource's providers in the configured order, as Kubernetes' prefix transformers: the
// first writes; a read goes to the provider whose prefix the value starts with (identity's
// is empty, so it takes what no other claims, but never a value that starts `k8s:enc:`),
// and is "stale" when that was not the first provider, so an update writes the value again
// even if the object did not change (that is what rotates keys under `kubectl replace`).
import { ENCRYPTED_PREFIX, type ValueProvider } from './providers.js';

/** A stored value read back: the object's JSON, and whether it should be written again. */
export interface ReadValue {
  data: string;
  stale: boolean;
}

/** What the etcd storage calls: every value of one resource goes through one of these. */
export interface ValueTransformer {
  toStorage(data: string, etcdKey: string): Buffer;
  /** Throws an Error naming the key (never answers the stored bytes as they are) when no provider opens the value. */
  fromStorage(value: Buffer, etcdKey: string): ReadValue;
}

const STORED_PREFIX = /^k8s:enc:([a-z0-9]+):v1:([^:]*):/;

/** How a stored value says it was written: `secretbox key "key1"`, or undefined when it does not say. */
function writtenWith(value: Buffer): string | undefined {
  const m = STORED_PREFIX.exec(value.subarray(0, 256).toString('latin1'));
  return m ? `${m[1]} key "${m[2]}"` : undefined;
}

export class PrefixTransformer implements ValueTransformer {
  readonly providers: readonly ValueProvider[];
  readonly #prefixes: readonly Buffer[];

  constructor(providers: readonly ValueProvider[]) {
    if (providers.length === 0) throw new Error('a transformer needs at least one provider');
    this.providers = providers;
    this.#prefixes = providers.map((p) => Buffer.from(p.prefix, 'latin1'));
  }

  /** The provider values are written with. */
  get writer(): ValueProvider {
    return this.providers[0];
  }

  toStorage(data: string, etcdKey: string): Buffer {
    const w = this.writer;
    const sealed = w.seal(Buffer.from(data, 'utf8'), etcdKey);
    return w.prefix ? Buffer.concat([this.#prefixes[0], sealed]) : sealed;
  }

  fromStorage(value: Buffer, etcdKey: string): ReadValue {
    const failures: string[] = [];
    for (let i = 0; i < this.providers.length; i++) {
      const prefix = this.#prefixes[i];
      if (!startsWith(value, prefix)) continue;
      const p = this.providers[i];
      try {
        const out = p.open(value.subarray(prefix.length), etcdKey);
        return { data: out.toString('utf8'), stale: i !== 0 };
      } catch (e) {
        // Several keys of one provider kind share `k8s:enc:<kind>:v1:` only up to the name, and
        // identity refuses encrypted values: a failure here is not the last word.
        if (prefix.length > 0) failures.push(`${p.description}: ${(e as Error).message}`);
      }
    }
    const by = writtenWith(value);
    if (failures.length > 0) throw new Error(`unable to transform key "${etcdKey}": ${failures.join('; ')}`);
    if (by) throw new Error(`unable to transform key "${etcdKey}": it was written with ${by}, which is not among the configured providers (${this.providers.map((p) => p.description).join(', ')})`);
    const what = startsWith(value, Buffer.from(ENCRYPTED_PREFIX)) ? 'an encrypted value of an unknown provider' : 'not encrypted, and identity is not among the providers';
    throw new Error(`unable to transform key "${etcdKey}": no matching prefix found (the value is ${what})`);
  }
}

function startsWith(value: Buffer, prefix: Buffer): boolean {
  return prefix.length === 0 || (value.length >= prefix.length && value.compare(prefix, 0, prefix.length, 0, prefix.length) === 0);
}
