// kube-apiserver's --encryption-provider-config: an EncryptionConfiguration
// (apiserver.config.k8s.io/v1) that lists, per group of resources, the providers their values
// are stored with. Read once at start; anything wrong stops the server with every bad field
// named by its path, as Kubernetes' validation does (a secret is never echoed).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { aescbc, aesgcm, identity, secretbox, type ProviderKind, type ValueProvider } from './providers.js';
import { PrefixTransformer } from './transformer.js';

export const ENCRYPTION_API_VERSION = 'apiserver.config.k8s.io/v1';
export const ENCRYPTION_KIND = 'EncryptionConfiguration';

/** A group and resource as the config names them: `secrets` is {group '', resource 'secrets'}, `*.*` is {'*', '*'}. */
interface GroupResource {
  group: string;
  resource: string;
}

/** One `resources[]` entry, checked: what it covers and the providers, in order, with their keys. */
interface Rule {
  covers: GroupResource[];
  transformer: PrefixTransformer;
}

const KEY_LENGTHS: Record<ProviderKind, readonly number[]> = { aescbc: [16, 24, 32], aesgcm: [16, 24, 32], secretbox: [32] };
const MAKERS: Record<ProviderKind, (name: string, key: Buffer) => ValueProvider> = { aescbc, aesgcm, secretbox };
const PROVIDER_FIELDS = ['aescbc', 'aesgcm', 'secretbox', 'identity', 'kms'] as const;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** A resource as Kubernetes lets one be named here: lowercase, an optional group after the first dot. */
const RESOURCE_NAME = /^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.(\*|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?)?$/;

export class EncryptionConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid encryption provider config ${source}:\n  ${problems.join('\n  ')}`);
    this.name = 'EncryptionConfigError';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `leases.coordination.k8s.io` → {coordination.k8s.io, leases}; `*.` → every core resource. */
function parseGroupResource(s: string): GroupResource {
  const dot = s.indexOf('.');
  return dot < 0 ? { group: '', resource: s } : { group: s.slice(dot + 1), resource: s.slice(0, dot) };
}

function label(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource === '*' ? '*.' : gr.resource;
}

/** The providers' configuration, checked: which transformer each resource's values go through. */
export class EncryptionConfig {
  readonly #rules: readonly Rule[];

  constructor(rules: readonly Rule[]) {
    this.#rules = rules;
  }

  /**
   * The transformer of a resource, or undefined when its values are stored as they are (no
   * rule covers it, or its rule has identity alone). The first rule that names the resource
   * wins, then the first `*.<group>`, then the first `*.*`.
   */
  transformerFor(resource: string, group: string): PrefixTransformer | undefined {
    const pick = (match: (c: GroupResource) => boolean) => this.#rules.find((r) => r.covers.some(match));
    const rule =
      pick((c) => c.resource === resource && c.group === group) ?? pick((c) => c.resource === '*' && c.group === group) ?? pick((c) => c.resource === '*' && c.group === '*');
    if (!rule) return undefined;
    const only = rule.transformer.providers;
    return only.length === 1 && only[0] === identity ? undefined : rule.transformer;
  }
}

/** Checks a provider's `keys` and makes one provider per key, in order. */
function keyProviders(kind: ProviderKind, spec: unknown, path: string, problems: string[]): ValueProvider[] {
  if (!isObject(spec) || !Array.isArray(spec.keys) || spec.keys.length === 0) {
    problems.push(`${path}.keys: Required value: keys is required`);
    return [];
  }
  const out: ValueProvider[] = [];
  const names = new Set<string>();
  spec.keys.forEach((k: unknown, j) => {
    const at = `${path}.keys[${j}]`;
    if (!isObject(k)) {
      problems.push(`${at}: Invalid value: a key is an object with name and secret`);
      return;
    }
    const { name, secret } = k;
    let ok = true;
    if (typeof name !== 'string' || name === '') {
      problems.push(`${at}.name: Required value: key name is required`);
      ok = false;
    } else if (name.includes(':')) {
      // The name ends the value's prefix at the next ':'.
      problems.push(`${at}.name: Invalid value: "${name}": key name may not contain ':'`);
      ok = false;
    } else if (names.has(name)) {
      problems.push(`${at}.name: Duplicate value: "${name}"`);
      ok = false;
    }
    if (typeof name === 'string') names.add(name);
    if (typeof secret !== 'string' || secret === '') {
      problems.push(`${at}.secret: Required value: secret is required`);
      return;
    }
    if (!BASE64.test(secret)) {
      problems.push(`${at}.secret: Invalid value: "REDACTED": secrets must be base64 encoded`);
      return;
    }
    const key = Buffer.from(secret, 'base64');
    const lengths = KEY_LENGTHS[kind];
    if (!lengths.includes(key.length)) {
      problems.push(`${at}.secret: Invalid value: "REDACTED": secret is not of the expected length, got ${key.length}, expected one of [${lengths.join(' ')}]`);
      return;
    }
    if (ok) out.push(MAKERS[kind](name as string, key));
  });
  return out;
}

function providersOf(list: unknown, path: string, problems: string[]): ValueProvider[] {
  if (!Array.isArray(list) || list.length === 0) {
    problems.push(`${path}: Required value: at least one provider is required`);
    return [];
  }
  const out: ValueProvider[] = [];
  list.forEach((p: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(p)) {
      problems.push(`${at}: Invalid value: a provider is an object with one of ${PROVIDER_FIELDS.join(', ')}`);
      return;
    }
    const given = PROVIDER_FIELDS.filter((f) => p[f] !== undefined && p[f] !== null);
    if (given.length !== 1) {
      problems.push(
        given.length === 0
          ? `${at}: Invalid value: provider does not contain any of the expected providers: ${PROVIDER_FIELDS.join(', ')}`
          : `${at}: Invalid value: more than one provider specified in a single element (${given.join(', ')}), should split into different list elements`,
      );
      return;
    }
    const kind = given[0];
    if (kind === 'kms') {
      problems.push(`${at}.kms: Unsupported value: skiff has no KMS plugins; use aescbc, aesgcm or secretbox with keys in this file`);
      return;
    }
    if (kind === 'identity') {
      out.push(identity);
      return;
    }
    out.push(...keyProviders(kind, p[kind], `${at}.${kind}`, problems));
  });
  return out;
}

/** Checks an EncryptionConfiguration already parsed from YAML or JSON. */
export function encryptionConfigFrom(doc: unknown, source = 'EncryptionConfiguration'): EncryptionConfig {
  const problems: string[] = [];
  if (!isObject(doc)) throw new EncryptionConfigError(source, ['Invalid value: the file is not an EncryptionConfiguration object']);
  if (doc.kind !== ENCRYPTION_KIND) problems.push(`kind: Invalid value: ${JSON.stringify(doc.kind ?? '')}: must be ${ENCRYPTION_KIND}`);
  if (doc.apiVersion !== ENCRYPTION_API_VERSION) problems.push(`apiVersion: Invalid value: ${JSON.stringify(doc.apiVersion ?? '')}: must be ${ENCRYPTION_API_VERSION}`);
  const rules: Rule[] = [];
  if (!Array.isArray(doc.resources) || doc.resources.length === 0) {
    problems.push('resources: Required value: resources is required');
  } else {
    const seen: GroupResource[] = [];
    doc.resources.forEach((entry: unknown, i) => {
      const at = `resources[${i}]`;
      if (!isObject(entry)) {
        problems.push(`${at}: Invalid value: an entry is an object with resources and providers`);
        return;
      }
      const covers: GroupResource[] = [];
      if (!Array.isArray(entry.resources) || entry.resources.length === 0) {
        problems.push(`${at}.resources: Required value: resources is required`);
      } else {
        entry.resources.forEach((name: unknown, j) => {
          const rat = `${at}.resources[${j}]`;
          if (typeof name !== 'string' || !RESOURCE_NAME.test(name) || name === '*') {
            problems.push(`${rat}: Invalid value: ${JSON.stringify(name)}: resource name should be lowercase, as "secrets", "leases.coordination.k8s.io", "*.apps", "*." (every core resource) or "*.*"`);
            return;
          }
          const gr = parseGroupResource(name);
          const masked = seen.find((s) => (s.resource === '*' && (s.group === '*' || s.group === gr.group)) || (s.resource === gr.resource && s.group === gr.group));
          if (masked) {
            problems.push(`${rat}: Invalid value: ${JSON.stringify(name)}: resource "${name}" is masked by earlier rule "${label(masked)}"`);
            return;
          }
          seen.push(gr);
          covers.push(gr);
        });
      }
      const providers = providersOf(entry.providers, `${at}.providers`, problems);
      if (covers.length > 0 && providers.length > 0) rules.push({ covers, transformer: new PrefixTransformer(providers) });
    });
  }
  if (problems.length > 0) throw new EncryptionConfigError(source, problems);
  return new EncryptionConfig(rules);
}

/** Reads and checks the file kube-apiserver's --encryption-provider-config names. */
export function loadEncryptionConfig(file: string): EncryptionConfig {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    // Only the first line: YAML's message goes on to quote the file, which holds the keys.
    throw new EncryptionConfigError(file, [`cannot read it: ${(e as Error).message.split('\n')[0]}`]);
  }
  return encryptionConfigFrom(doc, file);
}
