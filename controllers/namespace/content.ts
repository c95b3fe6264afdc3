// One pass over a terminating namespace's content, as Kubernetes' namespaced resources
// deleter does it: every namespaced kind of the resource table (api/kinds/index.ts) that the
// server's discovery serves with "delete" is deleted as a collection (or object by object
// where deletecollection is not served), with propagationPolicy Background; bound pods go
// gracefully, through their kubelet. Then what is left is counted, by kind and by finalizer,
// with an estimate of how long pods still have to stop.
import { isApiError } from '../../api/errors.js';
import { apiVersionOf, RESOURCES, type ResourceInfo } from '../../api/resources.js';
import type { Pod } from '../../api/types/core.js';
import type { KubeObject } from '../../api/types/meta.js';
import type { RestClient } from '../../client/rest.js';
import type { DeletionReport } from './conditions.js';

/** The wait assumed for objects held by finalizers (Kubernetes' finalizerEstimateSeconds). */
export const FINALIZER_ESTIMATE_SECONDS = 15;

export interface ContentPass {
  report: DeletionReport;
  /** Seconds until what is left should be gone; 0 when nothing is expected to go by itself. */
  estimateSeconds: number;
  /** How many objects are left in all. */
  remaining: number;
}

interface ApiResourceList {
  resources?: { name: string; namespaced?: boolean; verbs?: string[] }[];
}

/** How Kubernetes prints a GroupVersionResource: "apps/v1, Resource=deployments". */
function gvrString(r: ResourceInfo): string {
  return `${r.group}/${r.version}, Resource=${r.plural}`;
}

/** The verbs the server serves for each namespaced resource of the table, by group version; and what discovery could not learn. */
async function discover(client: RestClient): Promise<{ verbs: Map<ResourceInfo, Set<string>>; error?: string }> {
  const verbs = new Map<ResourceInfo, Set<string>>();
  const failed: string[] = [];
  const byGroupVersion = new Map<string, ResourceInfo[]>();
  for (const r of RESOURCES) {
    if (r.namespaced) byGroupVersion.set(apiVersionOf(r), [...(byGroupVersion.get(apiVersionOf(r)) ?? []), r]);
  }
  for (const [gv, rows] of byGroupVersion) {
    try {
      const list = await client.request<ApiResourceList>({ path: gv.includes('/') ? `/apis/${gv}` : `/api/${gv}` });
      for (const r of rows) {
        const served = list.resources?.find((x) => x.name === r.plural && x.namespaced);
        if (served) verbs.set(r, new Set(served.verbs ?? []));
      }
    } catch (err) {
      failed.push(`${gv}: ${(err as Error).message}`);
    }
  }
  if (failed.length === 0) return { verbs };
  failed.sort();
  return { verbs, error: `Discovery failed for some groups, ${failed.length} failing: unable to retrieve the complete list of server APIs: ${failed.join(', ')}` };
}

/** The longest grace period of the pods still running, or 0 once the namespace has been ending for that long (estimateGracefulTermination). */
export function podEstimateSeconds(pods: Pod[], deletedAtMs: number, nowMs: number): number {
  let estimate = 0;
  for (const p of pods) {
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    estimate = Math.max(estimate, p.spec?.terminationGracePeriodSeconds ?? 0);
  }
  return nowMs - deletedAtMs >= estimate * 1000 ? 0 : estimate;
}

/** Deletes one kind's objects in the namespace and counts what is left of them. */
async function deleteKind(
  client: RestClient,
  r: ResourceInfo,
  verbs: Set<string>,
  namespace: string,
  deletedAtMs: number,
  nowMs: number,
): Promise<{ left: KubeObject[]; estimateSeconds: number }> {
  const rc = client.resource<KubeObject>(r);
  let collectionDone = false;
  if (verbs.has('deletecollection')) {
    try {
      await rc.deleteCollection({ namespace, propagationPolicy: 'Background' });
      collectionDone = true;
    } catch (err) {
      // Served in discovery but not at the path: one at a time, as Kubernetes falls back.
      if (!isApiError(err, 'MethodNotAllowed') && !isApiError(err, 'NotFound')) throw err;
    }
  }
  if (!collectionDone) {
    if (!verbs.has('list')) return { left: [], estimateSeconds: 0 };
    for (const obj of (await rc.listAll({ namespace })).items) {
      await rc.delete(obj.metadata.name ?? '', { namespace }).catch((err: unknown) => {
        if (!isApiError(err, 'NotFound') && !isApiError(err, 'MethodNotAllowed')) throw err;
      });
    }
  }
  if (!verbs.has('list')) return { left: [], estimateSeconds: 0 };
  const left = (await rc.listAll({ namespace })).items;
  const estimateSeconds = r.kind === 'Pod' && r.group === '' ? podEstimateSeconds(left as Pod[], deletedAtMs, nowMs) : 0;
  return { left, estimateSeconds };
}

/**
 * Deletes everything in `namespace` and reports what is left. A kind whose objects remain
 * with neither a grace period running nor a finalizer is a content failure, as in Kubernetes.
 */
export async function deleteNamespaceContent(client: RestClient, namespace: string, deletedAtMs: number, now: () => number = Date.now): Promise<ContentPass> {
  const { verbs, error } = await discover(client);
  const contentErrors: string[] = [];
  const remaining = new Map<string, number>();
  const finalizers = new Map<string, number>();
  let estimateSeconds = 0;
  let total = 0;
  for (const [r, served] of verbs) {
    if (!served.has('delete')) continue;
    try {
      const kind = await deleteKind(client, r, served, namespace, deletedAtMs, now());
      if (kind.left.length === 0) continue;
      total += kind.left.length;
      remaining.set(`${r.plural}.${r.group}`, kind.left.length);
      let held = 0;
      for (const obj of kind.left) {
        for (const f of obj.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
        if ((obj.metadata.finalizers?.length ?? 0) > 0) held++;
      }
      if (kind.estimateSeconds > 0) estimateSeconds = Math.max(estimateSeconds, kind.estimateSeconds);
      else if (held > 0) estimateSeconds = Math.max(estimateSeconds, FINALIZER_ESTIMATE_SECONDS);
      else contentErrors.push(`unexpected items still remain in namespace: ${namespace} for gvr: ${gvrString(r)}`);
    } catch (err) {
      contentErrors.push((err as Error).message);
    }
  }
  return { report: { discoveryError: error, contentErrors, remaining, finalizers }, estimateSeconds, remaining: total };
}
