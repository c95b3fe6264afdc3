// ServiceAccounts, enough for pods (no tokens yet), in the API server:
//
// - admitPodServiceAccount is kube-apiserver's ServiceAccount admission plugin without its
//   token half: a pod that names no ServiceAccount runs as `default`, one whose ServiceAccount
//   does not exist is refused (403), and a pod that names no imagePullSecrets gets its
//   ServiceAccount's. Mirror pods are exempt (and may not name one), as in Kubernetes.
// - ensureDefaultServiceAccount: the API server creates `default` together with each
//   namespace. Kubernetes leaves that to the controller and closes the gap with retries (the
//   plugin looks `default` up for about a second and a half; clients retry the 403). skiff's
//   own flows, and its users', create pods the moment a namespace exists, and many run an API
//   server alone; making it here leaves no gap at all. The ServiceAccount controller stays the
//   repair loop: a deleted `default` comes back, as do those of namespaces made before.
import { ApiError, isApiError } from '../api/errors.js';
import { DEFAULT_SERVICE_ACCOUNT } from '../api/kinds/serviceaccount.js';
import { findResource } from '../api/resources.js';
import type { Pod, ServiceAccount } from '../api/types/core.js';
import type { KubeObject } from '../api/types/meta.js';
import { defaultForCreate } from './admission.js';
import { cacheFor, type ApiContext } from './context.js';
import { prepareForCreate } from './strategy.js';

/** The annotation a kubelet puts on the mirror of a static pod. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** As the plugin: `default` is looked up ten times, 100–200 ms apart, as its controller may be making it. */
const DEFAULT_LOOKUPS = 10;
const lookupPause = () => new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 100)));

function serviceAccountsResource() {
  const r = findResource('serviceaccounts', '');
  if (!r) throw new Error('serviceaccounts is not a served resource');
  return r;
}

async function getServiceAccount(ctx: ApiContext, namespace: string, name: string): Promise<ServiceAccount | undefined> {
  const r = serviceAccountsResource();
  const key = ctx.keys.objectKey(r, namespace, name);
  const cached = cacheFor(ctx, r).get(key);
  if (cached) return cached as ServiceAccount;
  // Not in the cache: it may have been created a moment ago. Ask the store, more than once for `default`.
  const attempts = name === DEFAULT_SERVICE_ACCOUNT ? DEFAULT_LOOKUPS : 1;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await lookupPause();
    const stored = await ctx.store.get(key);
    if (stored) return stored as ServiceAccount;
  }
  return undefined;
}

const forbidden = (pod: Pod, message: string) =>
  new ApiError(403, 'Forbidden', `pods "${pod.metadata.name ?? ''}" is forbidden: ${message}`, { name: pod.metadata.name, kind: 'pods' });

/** The ServiceAccount admission plugin on a pod being created (after defaults, before validation). */
export async function admitPodServiceAccount(ctx: ApiContext, pod: Pod, namespace: string): Promise<void> {
  if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
    // A static pod's mirror is made by its kubelet, which no ServiceAccount speaks for.
    if (pod.spec?.serviceAccountName) throw forbidden(pod, 'a mirror pod may not reference service accounts');
    return;
  }
  if (!pod.spec) return; // validation says what is missing
  if (!pod.spec.serviceAccountName) pod.spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT;
  const name = pod.spec.serviceAccountName;
  const sa = await getServiceAccount(ctx, namespace, name);
  if (!sa) throw forbidden(pod, `error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`);
  if (!pod.spec.imagePullSecrets?.length && sa.imagePullSecrets?.length) {
    pod.spec.imagePullSecrets = sa.imagePullSecrets.map((s) => ({ name: s.name }));
  }
}

/** The mutating admission a create goes through with the store at hand (today the ServiceAccount plugin's, on pods). */
export async function admitCreate(ctx: ApiContext, obj: KubeObject, namespace: string | undefined): Promise<void> {
  if (obj.kind === 'Pod' && namespace) await admitPodServiceAccount(ctx, obj as Pod, namespace);
}

/** Creates `default` in `namespace` unless it exists. */
export async function ensureDefaultServiceAccount(ctx: ApiContext, namespace: string): Promise<void> {
  const r = serviceAccountsResource();
  const key = ctx.keys.objectKey(r, namespace, DEFAULT_SERVICE_ACCOUNT);
  if (cacheFor(ctx, r).get(key) ?? (await ctx.store.get(key))) return;
  const sa: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } };
  defaultForCreate(sa);
  try {
    await ctx.store.create(key, prepareForCreate(r, sa), { resource: r, name: DEFAULT_SERVICE_ACCOUNT });
  } catch (e) {
    if (!isApiError(e, 'AlreadyExists')) throw e;
  }
}

/**
 * What a create does beyond its own object: a new namespace gets its `default` ServiceAccount
 * before the answer goes back, so a pod created next finds it. A failure is logged, not
 * answered: the namespace exists, and the controller makes the ServiceAccount in its stead.
 */
export async function afterCreate(ctx: ApiContext, created: KubeObject): Promise<void> {
  if (created.kind !== 'Namespace' || !created.metadata.name) return;
  try {
    await ensureDefaultServiceAccount(ctx, created.metadata.name);
  } catch (err) {
    ctx.log.warn({ err, namespace: created.metadata.name }, 'could not create the default service account; the controller will');
  }
}
