// The registry configuration file, in the shape of k3s's registries.yaml:
//
//   mirrors:
//     gcr.io:                      # a registry host, or "*" for every registry
//       endpoint: ["http://127.0.0.1:5000"]   # tried in order, then the upstream itself
//   configs:
//     "127.0.0.1:5000":            # a registry or mirror host
//       auth: { username: u, password: p }    # or auth: base64(u:p), identity_token
//       tls: { ca_file: ..., cert_file: ..., key_file: ..., insecure_skip_verify: false }
//       insecure: true             # skiff extension: plain HTTP for this host (Docker's insecure-registries)
//   disable_default_endpoint: true # skiff extension (k3s's --disable-default-registry-endpoint):
//                                  # a registry with mirrors is pulled only from its mirrors
//
// Endpoints are URLs; a bare host:port means https (http for localhost and 127.0.0.0/8). A
// registry itself is reached on https, except a loopback one with no tls: in its configs: entry.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { RuntimeError } from '../cri.js';

export interface RegistryAuth {
  username?: string;
  password?: string;
  /** base64("user:pass") */
  auth?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface RegistryTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipVerify?: boolean;
}

export interface HostConfig {
  auth?: RegistryAuth;
  tls?: RegistryTls;
  insecure?: boolean;
}

export interface RegistriesConfig {
  mirrors: Record<string, { endpoints: string[] }>;
  configs: Record<string, HostConfig>;
  disableDefaultEndpoint?: boolean;
}

export const EMPTY_REGISTRIES_CONFIG: RegistriesConfig = { mirrors: {}, configs: {} };

function bad(file: string, why: string): RuntimeError {
  return new RuntimeError('InvalidArgument', `registry config ${file}: ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optString(file: string, where: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(file, `${where} must be a string`);
  return v;
}

/** Parses the YAML text; file paths inside (TLS files) are read relative to nothing: give them absolute. */
export async function parseRegistriesConfig(text: string, file = 'registries.yaml'): Promise<RegistriesConfig> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw bad(file, `not valid YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return { mirrors: {}, configs: {} };
  if (!isObject(doc)) throw bad(file, 'top level must be a mapping with mirrors: and configs:');
  const out: RegistriesConfig = { mirrors: {}, configs: {} };
  if (doc.disable_default_endpoint === true) out.disableDefaultEndpoint = true;
  const mirrors = doc.mirrors ?? {};
  if (!isObject(mirrors)) throw bad(file, 'mirrors must be a mapping of registry host to { endpoint: [...] }');
  for (const [host, m] of Object.entries(mirrors)) {
    if (!isObject(m)) throw bad(file, `mirrors.${host} must be a mapping`);
    const eps = m.endpoint ?? [];
    if (!Array.isArray(eps) || !eps.every((e) => typeof e === 'string')) throw bad(file, `mirrors.${host}.endpoint must be a list of URLs`);
    for (const e of eps as string[]) endpointUrl(e, file);
    out.mirrors[host] = { endpoints: eps as string[] };
  }
  const configs = doc.configs ?? {};
  if (!isObject(configs)) throw bad(file, 'configs must be a mapping of registry host to { auth, tls }');
  for (const [host, c] of Object.entries(configs)) {
    if (!isObject(c)) throw bad(file, `configs.${host} must be a mapping`);
    const hc: HostConfig = {};
    if (c.auth !== undefined && c.auth !== null) {
      if (!isObject(c.auth)) throw bad(file, `configs.${host}.auth must be a mapping`);
      hc.auth = {
        username: optString(file, `configs.${host}.auth.username`, c.auth.username),
        password: optString(file, `configs.${host}.auth.password`, c.auth.password),
        auth: optString(file, `configs.${host}.auth.auth`, c.auth.auth),
        identityToken: optString(file, `configs.${host}.auth.identity_token`, c.auth.identity_token),
      };
    }
    if (c.tls !== undefined && c.tls !== null) {
      if (!isObject(c.tls)) throw bad(file, `configs.${host}.tls must be a mapping`);
      const t = c.tls;
      const readOpt = async (key: string) => {
        const p = optString(file, `configs.${host}.tls.${key}`, t[key]);
        if (p === undefined) return undefined;
        try {
          return await readFile(p);
        } catch (e) {
          throw bad(file, `configs.${host}.tls.${key}: cannot read ${p}: ${(e as Error).message}`);
        }
      };
      hc.tls = { ca: await readOpt('ca_file'), cert: await readOpt('cert_file'), key: await readOpt('key_file'), insecureSkipVerify: t.insecure_skip_verify === true };
    }
    if (c.insecure === true) hc.insecure = true;
    out.configs[host] = hc;
  }
  return out;
}

export async function loadRegistriesConfig(file: string): Promise<RegistriesConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw bad(file, `cannot read: ${(e as Error).message}`);
  }
  return parseRegistriesConfig(text, file);
}

/** Docker's rule: plain HTTP is allowed without asking for loopback registries. */
export function isLoopbackHost(host: string): boolean {
  // "[::1]:5000" and "::1" are IPv6; "host:port" has one colon.
  const h = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':').length > 2 ? host : host.replace(/:\d+$/, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** A mirror endpoint string as a URL (bare host:port gets a scheme by the loopback rule). */
export function endpointUrl(e: string, file = 'registries.yaml'): URL {
  const withScheme = /^[a-z]+:\/\//i.test(e) ? e : `${isLoopbackHost(e.split('/')[0]) ? 'http' : 'https'}://${e}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw bad(file, `endpoint ${JSON.stringify(e)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad(file, `endpoint ${JSON.stringify(e)}: only http and https`);
  return u;
}

export interface Endpoint {
  /** "http://127.0.0.1:5000" (no trailing slash; the /v2 prefix is added per request) */
  base: string;
  /** host:port as in the URL, the key for configs: and for token caches */
  host: string;
  /** The registry this endpoint stands in for, when it is a mirror. */
  mirrorOf?: string;
  config: HostConfig;
}

/** The endpoints to try for a registry host, mirrors first, then the upstream itself. */
export function endpointsFor(cfg: RegistriesConfig, registryHost: string): Endpoint[] {
  const out: Endpoint[] = [];
  const mirror = cfg.mirrors[registryHost] ?? cfg.mirrors['*'];
  for (const e of mirror?.endpoints ?? []) {
    const u = endpointUrl(e);
    const base = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '').replace(/\/v2$/, '')}`;
    // A mirror gets its own configs: entry only: the upstream's credentials must not travel to another host.
    out.push({ base, host: u.host, mirrorOf: registryHost, config: cfg.configs[u.host] ?? {} });
  }
  if (cfg.disableDefaultEndpoint && out.length > 0) return out;
  const upstreamHost = registryHost === 'docker.io' ? 'registry-1.docker.io' : registryHost;
  const hc = cfg.configs[registryHost] ?? {};
  // Loopback registries speak plain HTTP unless their configs: entry has a tls: section (as
  // a node trusting a local registry's CA says it is TLS); insecure: always means plain HTTP.
  const scheme = hc.insecure || (isLoopbackHost(registryHost) && !hc.tls) ? 'http' : 'https';
  if (!out.some((e) => e.base === `${scheme}://${upstreamHost}`)) out.push({ base: `${scheme}://${upstreamHost}`, host: upstreamHost, config: hc });
  return out;
}
