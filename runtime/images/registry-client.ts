// A client for the OCI distribution API: the /v2/ probe, manifests and indexes (Docker
// schema2 and OCI) with platform selection, blobs streamed into the content store with their
// digest checked, retries with Range resume, and uploads for the pusher. Endpoints come from
// registries.yaml (mirrors first, then the upstream); auth is challenge-driven (auth.ts).
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { RuntimeError, isRuntimeError, type AuthConfig } from '../cri.js';
import { Authorizer, basicCredentials } from './auth.js';
import type { ContentStore } from './content-store.js';
import { sha256 } from './digest.js';
import { errorText, httpRequest, readBody } from './http.js';
import { MANIFEST_ACCEPT, isIndexType, isManifestType, type Descriptor, type Index, type Manifest, type Platform } from './media-types.js';
import type { Reference } from './reference.js';
import { endpointsFor, type Endpoint, type RegistriesConfig, type RegistryAuth } from './registries-config.js';
import { refusedError, registryErrorText } from './registry-errors.js';

export interface ResolvedImage {
  endpoint: Endpoint;
  /** The digest of the platform manifest (what the image record points at). */
  manifestDigest: string;
  manifestBytes: Buffer;
  manifestMediaType: string;
  manifest: Manifest;
  /** When the reference named an index: its digest and bytes (repoDigests use it, as Docker does). */
  indexDigest?: string;
  indexBytes?: Buffer;
}

export interface BlobProgress {
  bytesDone: number;
  bytesTotal: number;
}

export interface RegistryClientOptions {
  config: RegistriesConfig;
  /** Attempts per blob before giving up (network errors and 5xx only). */
  retries?: number;
  /** Delay before retry n is retryDelayMs * 2^n. */
  retryDelayMs?: number;
}

interface RequestOpts {
  headers?: OutgoingHttpHeaders;
  body?: Buffer | (() => Readable);
  signal?: AbortSignal;
  /** "repository:<path>:pull" */
  scope: string;
  auth?: RegistryAuth;
  followRedirects?: boolean;
}

const MANIFEST_LIMIT = 4 << 20;

export function toRegistryAuth(a: AuthConfig | undefined): RegistryAuth | undefined {
  if (!a) return undefined;
  return { username: a.username, password: a.password, auth: a.auth, identityToken: a.identityToken, registryToken: a.registryToken };
}

export function parsePlatform(s: string | undefined): Platform {
  const [os = 'linux', architecture = 'amd64', variant] = (s ?? 'linux/amd64').split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

export class RegistryClient {
  readonly authorizer = new Authorizer();
  readonly #config: RegistriesConfig;
  readonly #retries: number;
  readonly #retryDelayMs: number;

  constructor(options: RegistryClientOptions) {
    this.#config = options.config;
    this.#retries = options.retries ?? 4;
    this.#retryDelayMs = options.retryDelayMs ?? 200;
  }

  endpoints(domain: string): Endpoint[] {
    return endpointsFor(this.#config, domain);
  }

  /** One request to an endpoint, answering a 401 challenge once. */
  async request(ep: Endpoint, method: string, pathAndQuery: string, opts: RequestOpts): Promise<IncomingMessage> {
    const url = /^https?:\/\//.test(pathAndQuery) ? pathAndQuery : `${ep.base}${pathAndQuery}`;
    // Credentials given with the pull are for the image's own registry (as containerd does):
    // a mirror gets only what registries.yaml says for it.
    const auth = (ep.mirrorOf === undefined ? opts.auth : undefined) ?? ep.config.auth;
    const send = (authorization: string | undefined) =>
      httpRequest({
        method,
        url,
        headers: { ...opts.headers, ...(authorization ? { authorization } : {}) },
        body: opts.body,
        tls: ep.config.tls,
        signal: opts.signal,
        followRedirects: opts.followRedirects ?? (method === 'GET' || method === 'HEAD'),
      });
    const cached = this.authorizer.cached(ep.host, opts.scope, auth);
    const res = await send(cached);
    if (res.statusCode === 403) throw await refusal(ep, res, auth);
    if (res.statusCode !== 401) return res;
    const challenge = { wwwAuthenticate: res.headers['www-authenticate'], registryText: await bodyText(res) };
    if (cached) this.authorizer.forget(ep.host, opts.scope, auth);
    const header = await this.authorizer.answer(ep.host, opts.scope, challenge, auth, ep.config.tls, opts.signal);
    const again = await send(header);
    if (again.statusCode === 401 || again.statusCode === 403) {
      this.authorizer.forget(ep.host, opts.scope, auth);
      throw await refusal(ep, again, auth);
    }
    return again;
  }

  /** Resolves a reference to its platform manifest, trying mirrors in order and then the upstream. */
  async resolve(ref: Reference, options: { auth?: RegistryAuth; platform?: Platform; signal?: AbortSignal } = {}): Promise<ResolvedImage> {
    const errors: string[] = [];
    let last: unknown;
    for (const ep of this.endpoints(ref.domain)) {
      try {
        return await this.#resolveAt(ep, ref, options);
      } catch (e) {
        if (options.signal?.aborted) throw e;
        last = e;
        errors.push(`${ep.base}${ep.mirrorOf ? ` (mirror of ${ep.mirrorOf})` : ''}: ${(e as Error).message}`);
      }
    }
    if (errors.length === 1 && last instanceof Error) throw last;
    const kind = isRuntimeError(last) ? last.kind : 'Unavailable';
    throw new RuntimeError(kind, `cannot resolve ${ref.domain}/${ref.path}: ${errors.join('; ')}`, { cause: last });
  }

  async #resolveAt(ep: Endpoint, ref: Reference, options: { auth?: RegistryAuth; platform?: Platform; signal?: AbortSignal }): Promise<ResolvedImage> {
    const first = await this.fetchManifest(ep, ref.path, ref.digest ?? ref.tag ?? 'latest', options);
    if (ref.digest && first.digest !== ref.digest) throw new RuntimeError('InvalidArgument', `manifest digest mismatch: asked for ${ref.digest}, content is ${first.digest}`);
    if (isManifestType(first.mediaType)) {
      return { endpoint: ep, manifestDigest: first.digest, manifestBytes: first.bytes, manifestMediaType: first.mediaType, manifest: first.json as Manifest };
    }
    const index = first.json as Index;
    const want = options.platform ?? parsePlatform(undefined);
    const desc = selectPlatform(index, want);
    if (!desc) {
      const have = index.manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}` : '?')).join(', ');
      throw new RuntimeError('NotFound', `no manifest for platform ${want.os}/${want.architecture}${want.variant ? `/${want.variant}` : ''} in ${ref.path} (has ${have || 'none'})`);
    }
    const child = await this.fetchManifest(ep, ref.path, desc.digest, options);
    if (child.digest !== desc.digest) throw new RuntimeError('InvalidArgument', `manifest digest mismatch: index lists ${desc.digest}, content is ${child.digest}`);
    if (!isManifestType(child.mediaType)) throw new RuntimeError('InvalidArgument', `index entry ${desc.digest} is ${child.mediaType}, not an image manifest`);
    return { endpoint: ep, manifestDigest: child.digest, manifestBytes: child.bytes, manifestMediaType: child.mediaType, manifest: child.json as Manifest, indexDigest: first.digest, indexBytes: first.bytes };
  }

  /** GETs a manifest or index by tag or digest; its digest is computed from the bytes received. */
  async fetchManifest(ep: Endpoint, repo: string, tagOrDigest: string, options: { auth?: RegistryAuth; signal?: AbortSignal } = {}): Promise<{ digest: string; bytes: Buffer; mediaType: string; json: Manifest | Index }> {
    const res = await this.request(ep, 'GET', `/v2/${repo}/manifests/${tagOrDigest}`, { headers: { accept: MANIFEST_ACCEPT.join(', ') }, scope: `repository:${repo}:pull`, auth: options.auth, signal: options.signal });
    if (res.statusCode === 404) throw new RuntimeError('NotFound', `manifest ${repo}:${tagOrDigest} not found (${await errorText(res)})`);
    if (res.statusCode !== 200) throw new RuntimeError('Unavailable', `GET manifest ${repo}:${tagOrDigest}: HTTP ${res.statusCode} ${await errorText(res)}`);
    const bytes = await readBody(res, MANIFEST_LIMIT);
    const digest = sha256(bytes);
    const claimed = res.headers['docker-content-digest'];
    if (typeof claimed === 'string' && claimed.startsWith('sha256:') && claimed !== digest) throw new RuntimeError('InvalidArgument', `manifest ${repo}:${tagOrDigest}: registry says ${claimed}, content is ${digest}`);
    let json: Manifest | Index;
    try {
      json = JSON.parse(bytes.toString('utf8')) as Manifest | Index;
    } catch (e) {
      throw new RuntimeError('InvalidArgument', `manifest ${repo}:${tagOrDigest} is not JSON`, { cause: e });
    }
    const header = (res.headers['content-type'] ?? '').split(';')[0].trim();
    const mediaType = json.mediaType ?? (isIndexType(header) || isManifestType(header) ? header : 'manifests' in json ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json');
    if (json.schemaVersion !== 2) throw new RuntimeError('InvalidArgument', `manifest ${repo}:${tagOrDigest}: schemaVersion ${String(json.schemaVersion)} is not supported (schema 1 is deprecated)`);
    if (isIndexType(mediaType) && !Array.isArray((json as Index).manifests)) throw new RuntimeError('InvalidArgument', `index ${repo}:${tagOrDigest} has no manifests list`);
    if (isManifestType(mediaType) && (!(json as Manifest).config || !Array.isArray((json as Manifest).layers))) throw new RuntimeError('InvalidArgument', `manifest ${repo}:${tagOrDigest} lacks config or layers`);
    if (!isIndexType(mediaType) && !isManifestType(mediaType)) throw new RuntimeError('InvalidArgument', `manifest ${repo}:${tagOrDigest} has unsupported media type ${mediaType}`);
    return { digest, bytes, mediaType, json };
  }

  /**
   * Streams a blob into the content store, verifying size and digest; resumes a broken
   * transfer with a Range request and retries network errors and 5xx with backoff.
   * Returns false when the blob was already present.
   */
  async fetchBlob(ep: Endpoint, repo: string, desc: Descriptor, store: ContentStore, options: { auth?: RegistryAuth; signal?: AbortSignal; onProgress?: (p: BlobProgress) => void } = {}, fresh = false): Promise<boolean> {
    const ingest = await store.ingest(desc.digest, desc.size);
    if (!ingest) return false;
    let attempt = 0;
    try {
      for (;;) {
        try {
          const headers: OutgoingHttpHeaders = {};
          if (ingest.offset > 0) headers.range = `bytes=${ingest.offset}-`;
          if (ingest.offset === desc.size && desc.size > 0) break; // all there from an earlier attempt
          const res = await this.request(ep, 'GET', `/v2/${repo}/blobs/${desc.digest}`, { headers, scope: `repository:${repo}:pull`, auth: options.auth, signal: options.signal });
          const status = res.statusCode ?? 0;
          if (status === 404) throw new RuntimeError('NotFound', `blob ${desc.digest} not found in ${repo} (${await errorText(res)})`);
          if (status === 206) {
            const start = /bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''))?.[1];
            if (Number(start) !== ingest.offset) {
              res.resume();
              await ingest.reset();
              throw new RuntimeError('Unavailable', `blob ${desc.digest}: server answered a range that does not start at ${ingest.offset}`);
            }
          } else if (status === 200) {
            if (ingest.offset > 0) await ingest.reset();
          } else if (status >= 500 || status === 429 || status === 408) {
            throw new RuntimeError('Unavailable', `GET blob ${desc.digest}: HTTP ${status} ${await errorText(res)}`);
          } else {
            throw new RuntimeError(status === 401 || status === 403 ? 'Unauthenticated' : 'InvalidArgument', `GET blob ${desc.digest}: HTTP ${status} ${await errorText(res)}`);
          }
          options.onProgress?.({ bytesDone: ingest.offset, bytesTotal: desc.size });
          for await (const chunk of res) {
            await ingest.write(chunk as Buffer);
            options.onProgress?.({ bytesDone: ingest.offset, bytesTotal: desc.size });
          }
          if (ingest.offset < desc.size) throw new RuntimeError('Unavailable', `blob ${desc.digest}: connection ended at ${ingest.offset} of ${desc.size} bytes`);
          break;
        } catch (e) {
          if (options.signal?.aborted || !isRetryable(e) || attempt >= this.#retries) throw e;
          attempt++;
          await new Promise((r) => setTimeout(r, this.#retryDelayMs * 2 ** (attempt - 1)));
        }
      }
      const resumed = ingest.resumedFrom > 0;
      try {
        await ingest.commit();
      } catch (e) {
        // A partial left by a crash is only trusted as far as the final digest check: when that
        // fails after a resume, the partial (already discarded by commit) is fetched once afresh.
        if (resumed && !fresh && isRuntimeError(e, 'InvalidArgument')) return this.fetchBlob(ep, repo, desc, store, options, true);
        throw e;
      }
      return true;
    } catch (e) {
      await ingest.close();
      throw e;
    }
  }
}

async function bodyText(res: IncomingMessage): Promise<string> {
  return registryErrorText((await readBody(res, 64 << 10).catch(() => Buffer.alloc(0))).toString());
}

/** The error for a 401 or 403 answered with (or without) these credentials; names the user, never the secret. */
async function refusal(ep: Endpoint, res: IncomingMessage, auth: RegistryAuth | undefined): Promise<RuntimeError> {
  const creds = basicCredentials(auth);
  const sent = creds ? `the credentials of ${creds.username} were refused` : auth ? 'the token given was refused' : `no credentials for ${ep.host}`;
  return refusedError(ep.host, res.statusCode === 403 ? 403 : 401, await bodyText(res), res.statusCode === 403 ? (creds ? `${creds.username} may not do this` : undefined) : sent);
}

function isRetryable(e: unknown): boolean {
  if (isRuntimeError(e)) return e.kind === 'Unavailable';
  // Socket errors surfacing from the body stream ("aborted", ECONNRESET) are worth a retry.
  return e instanceof Error;
}

/** The index entry for a platform (variant matched when asked for; arm64 defaults to v8). */
export function selectPlatform(index: Index, want: Platform): Descriptor | undefined {
  const candidates = index.manifests.filter((m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture && isManifestType(m.mediaType ?? 'application/vnd.oci.image.manifest.v1+json'));
  if (want.variant) return candidates.find((m) => m.platform?.variant === want.variant) ?? (want.variant === 'v8' ? candidates.find((m) => !m.platform?.variant) : undefined);
  return candidates.find((m) => !m.platform?.variant) ?? candidates[0];
}
