// Image references parsed and normalised as Docker does (distribution/reference):
// "busybox" -> docker.io/library/busybox:latest, "host:port/a/b:tag", "name@sha256:...".
import { DEFAULT_DOMAIN, splitImageName } from '../../api/image-name.js';
import { RuntimeError } from '../cri.js';

export { DEFAULT_DOMAIN, registryDomain } from '../../api/image-name.js';
const OFFICIAL_REPO_PREFIX = 'library/';

// The grammar of distribution/reference/regexp.go.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const ID_RE = /^[a-f0-9]{64}$/;
const NAME_TOTAL_LENGTH_MAX = 255;

export interface Reference {
  /** Registry host, with port when given ("docker.io", "127.0.0.1:5000"). */
  domain: string;
  /** Repository path inside the registry ("library/busybox"). */
  path: string;
  tag?: string;
  digest?: string;
}

function invalid(ref: string, why: string): RuntimeError {
  return new RuntimeError('InvalidArgument', `invalid reference ${JSON.stringify(ref)}: ${why}`);
}

/**
 * Parses and normalises a reference. A reference with neither tag nor digest gets ":latest"
 * (pass `defaultTag: false` to keep it bare, e.g. for repository filters).
 */
export function parseReference(input: string, options: { defaultTag?: boolean } = {}): Reference {
  const s = input.trim();
  if (s === '') throw invalid(input, 'empty');
  if (ID_RE.test(s)) throw invalid(input, 'a 64-character hexadecimal string is an image ID, not a name');
  const { domain, path, digest, ...parts } = splitImageName(s);
  let tag = parts.tag;
  if (digest !== undefined) {
    if (!DIGEST_RE.test(digest)) throw invalid(input, `malformed digest ${JSON.stringify(digest)}`);
    if (digest.startsWith('sha256:') && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw invalid(input, 'a sha256 digest has 64 lowercase hex characters');
  }
  if (tag !== undefined && !TAG_RE.test(tag)) throw invalid(input, `malformed tag ${JSON.stringify(tag)}`);
  if (path === '') throw invalid(input, 'missing repository name');
  if (!DOMAIN_RE.test(domain)) throw invalid(input, `malformed registry host ${JSON.stringify(domain)}`);
  if (path !== path.toLowerCase()) throw invalid(input, 'repository name must be lowercase');
  if (!PATH_RE.test(path)) throw invalid(input, `malformed repository path ${JSON.stringify(path)}`);
  if (domain.length + 1 + path.length > NAME_TOTAL_LENGTH_MAX) throw invalid(input, `repository name longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  if (tag === undefined && digest === undefined && options.defaultTag !== false) tag = 'latest';
  const ref: Reference = { domain, path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** "domain/path" */
export function repositoryName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full normalised string: "docker.io/library/busybox:latest", "h:5000/a@sha256:...". */
export function formatReference(ref: Reference): string {
  let s = repositoryName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** Docker's short form for display: "busybox" for docker.io/library/busybox. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  return ref.path.startsWith(OFFICIAL_REPO_PREFIX) ? ref.path.slice(OFFICIAL_REPO_PREFIX.length) : ref.path;
}

/** Normalises a reference string in one call. */
export function normalizeReference(input: string): string {
  return formatReference(parseReference(input));
}
