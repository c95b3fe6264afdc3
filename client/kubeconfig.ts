// kubectl's kubeconfig format (clientcmd/api/v1): clusters, users and contexts by name, a
// current-context, KUBECONFIG as a ':'-separated list merged first-wins, and a writer so
// `skiff up` can hand users a file the real kubectl also reads.
import { readFileSync, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export interface KubeconfigCluster {
  server: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
}

export interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
}

export interface KubeconfigContext {
  cluster: string;
  user: string;
  namespace?: string;
}

export interface Kubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: { name: string; cluster: KubeconfigCluster }[];
  users: { name: string; user: KubeconfigUser }[];
  contexts: { name: string; context: KubeconfigContext }[];
  'current-context'?: string;
  preferences?: Record<string, unknown>;
}

/** Everything a client needs to reach one API server as one user: the resolved context. */
export interface ClusterConnection {
  server: string;
  /** PEM bytes of the CA to trust (from -data or the file, resolved relative to the kubeconfig). */
  ca?: Buffer;
  insecureSkipTLSVerify?: boolean;
  tlsServerName?: string;
  token?: string;
  cert?: Buffer;
  key?: Buffer;
  username?: string;
  password?: string;
  /** Default namespace of the context ('default' when unset). */
  namespace: string;
  contextName?: string;
}

export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

/** The files KUBECONFIG names (':'-separated, empty entries skipped), or ~/.kube/config. */
export function kubeconfigPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = env.KUBECONFIG?.split(path.delimiter).filter((p) => p.length > 0) ?? [];
  return list.length > 0 ? list : [path.join(os.homedir(), '.kube', 'config')];
}

interface LoadedFile {
  file: string;
  config: Partial<Kubeconfig>;
}

function readOne(file: string): LoadedFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KubeconfigError(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new KubeconfigError(`kubeconfig ${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return { file, config: {} };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new KubeconfigError(`kubeconfig ${file} is not a mapping`);
  return { file, config: doc as Partial<Kubeconfig> };
}

/** Paths inside a kubeconfig are relative to the file that holds them, as kubectl resolves them. */
function resolvePaths(loaded: LoadedFile): Partial<Kubeconfig> {
  const dir = path.dirname(path.resolve(loaded.file));
  const abs = (p: string | undefined) => (p === undefined || path.isAbsolute(p) ? p : path.join(dir, p));
  const c = loaded.config;
  return {
    ...c,
    clusters: (c.clusters ?? []).map((e) => ({
      name: e.name,
      cluster: { ...e.cluster, 'certificate-authority': abs(e.cluster?.['certificate-authority']) } as KubeconfigCluster,
    })),
    users: (c.users ?? []).map((e) => ({
      name: e.name,
      user: {
        ...e.user,
        tokenFile: abs(e.user?.tokenFile),
        'client-certificate': abs(e.user?.['client-certificate']),
        'client-key': abs(e.user?.['client-key']),
      },
    })),
  };
}

/**
 * Merges kubeconfig documents as kubectl does: for each named entry and for current-context,
 * the first file that sets it wins.
 */
export function mergeKubeconfigs(docs: Partial<Kubeconfig>[]): Kubeconfig {
  const out: Kubeconfig = { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] };
  const add = <E extends { name: string }>(into: E[], from: E[] | undefined) => {
    for (const e of from ?? []) if (e?.name && !into.some((x) => x.name === e.name)) into.push(e);
  };
  for (const d of docs) {
    add(out.clusters, d.clusters);
    add(out.users, d.users);
    add(out.contexts, d.contexts);
    if (out['current-context'] === undefined && d['current-context']) out['current-context'] = d['current-context'];
  }
  return out;
}

/** Loads the kubeconfig from an explicit file, or from KUBECONFIG / ~/.kube/config. */
export function loadKubeconfig(file?: string, env: NodeJS.ProcessEnv = process.env): Kubeconfig {
  const files = file ? [file] : kubeconfigPaths(env).filter((f, i, all) => all.length === 1 || existsSync(f));
  return mergeKubeconfigs(files.map((f) => resolvePaths(readOne(f))));
}

function readBytes(data: string | undefined, file: string | undefined, what: string): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  if (file) {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new KubeconfigError(`cannot read ${what} ${file}: ${(err as Error).message}`);
    }
  }
  return undefined;
}

/** Resolves a context (the given one, else current-context) to a connection. */
export function resolveContext(config: Kubeconfig, contextName?: string): ClusterConnection {
  const name = contextName ?? config['current-context'];
  let ctx: KubeconfigContext | undefined;
  if (name) {
    ctx = config.contexts.find((c) => c.name === name)?.context;
    if (!ctx) throw new KubeconfigError(`context "${name}" does not exist in the kubeconfig`);
  } else if (config.contexts.length === 1) {
    ctx = config.contexts[0]?.context;
  } else {
    throw new KubeconfigError('no current-context set in the kubeconfig; pass --context');
  }
  if (!ctx) throw new KubeconfigError('kubeconfig has no contexts');
  const cluster = config.clusters.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster) throw new KubeconfigError(`cluster "${ctx.cluster}" of context "${name ?? ''}" does not exist`);
  if (!cluster.server) throw new KubeconfigError(`cluster "${ctx.cluster}" has no server`);
  const user = ctx.user ? config.users.find((u) => u.name === ctx.user)?.user : undefined;
  if (ctx.user && !user) throw new KubeconfigError(`user "${ctx.user}" of context "${name ?? ''}" does not exist`);
  let token = user?.token;
  if (!token && user?.tokenFile) token = readBytes(undefined, user.tokenFile, 'token file')?.toString('utf8').trim();
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ca: readBytes(cluster['certificate-authority-data'], cluster['certificate-authority'], 'certificate authority'),
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: cluster['tls-server-name'],
    token,
    cert: readBytes(user?.['client-certificate-data'], user?.['client-certificate'], 'client certificate'),
    key: readBytes(user?.['client-key-data'], user?.['client-key'], 'client key'),
    username: user?.username,
    password: user?.password,
    namespace: ctx.namespace || 'default',
    contextName: name,
  };
}

/** The common path: --kubeconfig (or KUBECONFIG) plus an optional --context. */
export function connectionFromKubeconfig(options: { kubeconfig?: string; context?: string } = {}): ClusterConnection {
  return resolveContext(loadKubeconfig(options.kubeconfig), options.context);
}

/** A one-context kubeconfig for a server, with the CA and credentials embedded (-data). */
export function buildKubeconfig(options: {
  server: string;
  name?: string;
  user?: string;
  ca?: Buffer | string;
  token?: string;
  cert?: Buffer | string;
  key?: Buffer | string;
  insecureSkipTLSVerify?: boolean;
  namespace?: string;
}): Kubeconfig {
  const name = options.name ?? 'skiff';
  const user = options.user ?? `${name}-admin`;
  const b64 = (v: Buffer | string | undefined) => (v === undefined ? undefined : Buffer.from(v).toString('base64'));
  const cluster: KubeconfigCluster = { server: options.server };
  if (options.ca !== undefined) cluster['certificate-authority-data'] = b64(options.ca);
  if (options.insecureSkipTLSVerify) cluster['insecure-skip-tls-verify'] = true;
  const u: KubeconfigUser = {};
  if (options.token) u.token = options.token;
  if (options.cert !== undefined) u['client-certificate-data'] = b64(options.cert);
  if (options.key !== undefined) u['client-key-data'] = b64(options.key);
  const context: KubeconfigContext = { cluster: name, user };
  if (options.namespace) context.namespace = options.namespace;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name: user, user: u }],
    contexts: [{ name, context }],
    'current-context': name,
    preferences: {},
  };
}

/** A kubeconfig's text, as kubectl writes one. */
export function kubeconfigText(config: Kubeconfig): string {
  return stringifyYaml(config);
}

/** Writes a kubeconfig with mode 0600: it holds credentials. */
export async function writeKubeconfig(file: string, config: Kubeconfig): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, kubeconfigText(config), { mode: 0o600 });
}
