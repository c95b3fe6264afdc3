// Registry credentials as docker writes them: a docker config's `auths` (`~/.docker/config.json`)
// and a `kubernetes.io/dockerconfigjson` Secret's `.dockerconfigjson` are the same document,
// `{"auths": {"<registry>": {"auth": base64("user:pass")} | {"username", "password"} |
// {"identitytoken"}}}` (the legacy `.dockercfg` is the map without `auths`). This is the one
// parser of it, and the one rule that says which entries apply to an image, as the kubelet's
// credential keyring matches them (k8s.io/kubernetes/pkg/credentialprovider): a key is a
// registry host, scheme optional, port significant, `*` globbing one DNS label, an optional
// path that the image's repository must start with; Docker Hub's aliases are one registry.
import { registryDomain } from './image-name.js';

export interface RegistryCredential {
  /** The entry's key, normalised: "host[:port][/path]" ("docker.io" for Docker Hub's aliases). */
  registry: string;
  username?: string;
  password?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface ParsedDockerConfig {
  credentials: RegistryCredential[];
  /** Entries left out, with why; they name the key only, never a value. */
  problems: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const optString = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A docker config's `auth`, base64("username:password") (the password may hold colons); undefined when it is not that. */
export function decodeBasicAuth(auth: string): { username: string; password: string } | undefined {
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } : undefined;
}

/** "https://index.docker.io/v1/" -> "docker.io", "http://h:5000/v2/team" -> "h:5000/team". */
export function registryKey(server: string): string {
  const host = registryDomain(server);
  const rest = server.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = rest.indexOf('/');
  // docker's own keys carry the API version ("/v1/"): it names the API, not a repository.
  const path = slash < 0 ? '' : rest.slice(slash).replace(/^\/v[12](?=\/|$)/, '').replace(/^\/+|\/+$/g, '');
  return path ? `${host}/${path}` : host;
}

/** Parses a docker config or `.dockerconfigjson` document (already JSON-decoded). */
export function parseDockerConfig(doc: unknown): ParsedDockerConfig {
  const out: ParsedDockerConfig = { credentials: [], problems: [] };
  if (!isObject(doc)) {
    out.problems.push('not a JSON object');
    return out;
  }
  const auths = 'auths' in doc ? doc.auths : doc;
  if (!isObject(auths)) {
    if (auths !== undefined && auths !== null) out.problems.push('auths is not an object');
    return out;
  }
  for (const [server, entry] of Object.entries(auths)) {
    if (!isObject(entry)) {
      out.problems.push(`${server}: not an object`);
      continue;
    }
    const cred: RegistryCredential = { registry: registryKey(server) };
    const auth = optString(entry.auth);
    if (auth !== undefined) {
      const basic = decodeBasicAuth(auth);
      if (!basic) {
        out.problems.push(`${server}: auth is not base64 of "username:password"`);
        continue;
      }
      cred.username = basic.username;
      cred.password = basic.password;
    } else {
      const username = optString(entry.username);
      if (username !== undefined) {
        cred.username = username;
        cred.password = typeof entry.password === 'string' ? entry.password : '';
      }
    }
    const identityToken = optString(entry.identitytoken);
    if (identityToken !== undefined) cred.identityToken = identityToken;
    const registryToken = optString(entry.registrytoken);
    if (registryToken !== undefined) cred.registryToken = registryToken;
    if (cred.username === undefined && !cred.identityToken && !cred.registryToken) {
      // An empty entry ({}) is what docker leaves when a credential helper holds the secret.
      if (Object.keys(entry).length > 0) out.problems.push(`${server}: no auth, username, identitytoken or registrytoken`);
      continue;
    }
    out.credentials.push(cred);
  }
  return out;
}

function splitHostPort(host: string): { name: string; port: string } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
  return { name: m?.[1] ?? host, port: m?.[2] ?? '' };
}

/** A DNS label against a glob label ("*", "reg*"), as filepath.Match does for one label. */
function labelMatches(glob: string, label: string): boolean {
  if (!glob.includes('*')) return glob === label;
  const re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
  return re.test(label);
}

/** Whether credentials keyed `key` apply to the repository "domain/path" (as imageRepository gives it). */
export function keyMatches(key: string, repository: string): boolean {
  const slash = (s: string) => (s.indexOf('/') < 0 ? s.length : s.indexOf('/'));
  const keyHost = key.slice(0, slash(key));
  const keyPath = key.slice(slash(key) + 1);
  const repoHost = repository.slice(0, slash(repository));
  const repoPath = repository.slice(slash(repository) + 1);
  const k = splitHostPort(keyHost);
  const r = splitHostPort(repoHost.toLowerCase());
  if (k.port !== r.port) return false;
  const kl = k.name.split('.');
  const rl = r.name.split('.');
  if (kl.length !== rl.length || !kl.every((g, i) => labelMatches(g, rl[i] ?? ''))) return false;
  return repoPath.startsWith(keyPath);
}

/**
 * The credentials that apply to a repository, most specific key first (a longer key, with a
 * path, before the bare host), entries with equal keys in the order given. Duplicates go.
 */
export function credentialsFor(repository: string, credentials: RegistryCredential[]): RegistryCredential[] {
  const matching = credentials.filter((c) => keyMatches(c.registry, repository));
  const seen = new Set<string>();
  return matching
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.registry.length - a.c.registry.length || a.i - b.i)
    .map(({ c }) => c)
    .filter((c) => {
      const id = JSON.stringify([c.username, c.password, c.identityToken, c.registryToken]);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
}
