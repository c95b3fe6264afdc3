// How Docker splits an image name into registry and repository (distribution/reference's
// normalisation), with no validation: "busybox" is docker.io/library/busybox, a first
// component is a registry host only when it looks like one ("localhost", or has "." or ":").
// The runtime's reference parser (runtime/images/reference.ts) validates each part on top of
// this; the kubelet matches pull credentials on it. One rule, so both read a name alike.

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';

export interface ImageNameParts {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

/** Splits "host:port/a/b:tag@digest" into its parts; a part that is absent stays undefined. */
export function splitImageName(input: string): ImageNameParts {
  let rest = input.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  // A tag is after the last ':' that comes after the last '/' (a ':' before it is a port).
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  let domain: string;
  let path: string;
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  if (slash < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    path = rest;
  } else {
    domain = first;
    path = rest.slice(slash + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/') && path !== '') path = OFFICIAL_REPO_PREFIX + path;
  const out: ImageNameParts = { domain, path };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** "docker.io/library/busybox" for "busybox:1": the repository credentials are matched against. */
export function imageRepository(image: string): string {
  const { domain, path } = splitImageName(image);
  return `${domain}/${path}`;
}

/**
 * A registry as docker's config names it ("https://index.docker.io/v1/", "http://h:5000",
 * "h:5000") as the domain a parsed reference carries ("docker.io", "h:5000").
 */
export function registryDomain(server: string): string {
  const host = server.trim().replace(/^[a-z]+:\/\//i, '').split('/')[0].toLowerCase();
  return host === LEGACY_DEFAULT_DOMAIN || host === 'registry-1.docker.io' ? DEFAULT_DOMAIN : host;
}
