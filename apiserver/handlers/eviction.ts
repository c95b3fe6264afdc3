// POST pods/<name>/eviction (kube-apiserver's EvictionREST): a delete that honours the
// PodDisruptionBudgets covering the pod. A pod that is not running yet, has finished, or is
// already going is deleted at once. Otherwise its one budget must allow a disruption: then
// disruptionsAllowed is spent and the pod recorded in disruptedPods (a compare-and-swap on
// the budget, retried on a newer version), and the pod is deleted with the Eviction's
// DeleteOptions, its DisruptionTarget condition set. A spent budget is 429 TooManyRequests;
// two budgets are a 500, as in Kubernetes.
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { isPodReady } from '../../api/active-pods.js';
import { budgetCovers, disruptionTarget, DISRUPTION_BUDGET_CAUSE, EVICTION_REFUSED_MESSAGE, withDisruptionAllowedCondition, withDisruptionTarget } from '../../api/disruption.js';
import { ApiError, errors } from '../../api/errors.js';
import { resourceForKind } from '../../api/resources.js';
import type { Pod } from '../../api/types/core.js';
import type { DeleteOptions } from '../../api/types/meta.js';
import type { Eviction, PodDisruptionBudget } from '../../api/types/policy.js';
import { validateDeleteOptions } from '../../api/validation/options.js';
import type { ApiContext, RequestContext } from '../context.js';
import { checkBound, checkObjectBody, isDryRun, keyOf, readDecoded, refOf, send } from './common.js';
import { planDeletion } from './delete.js';
import { metaTime } from '../../api/time.js';

/** Kubernetes' MaxDisruptedPodSize: evictions the controller has not confirmed yet, per budget. */
const MAX_DISRUPTED_PODS = 2000;

const tooManyRequests = (cause: string, retryAfterSeconds: number): ApiError =>
  new ApiError(429, 'TooManyRequests', EVICTION_REFUSED_MESSAGE, {
    causes: [{ reason: DISRUPTION_BUDGET_CAUSE, message: cause }],
    ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}),
  });

/** Pending (not running yet), finished, or already being deleted: no budget to spend. */
function canIgnoreBudget(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp !== undefined;
}

async function readEviction(rc: RequestContext, req: Request): Promise<Eviction> {
  const { body } = await readDecoded(req, rc);
  // policy/v1beta1's Eviction is the same object; kubectl before 1.22 sends it.
  if (typeof body === 'object' && body !== null && (body as { apiVersion?: unknown }).apiVersion === 'policy/v1beta1') (body as { apiVersion: string }).apiVersion = 'policy/v1';
  const eviction = checkObjectBody(rc, body, { kind: 'Eviction', apiVersion: 'policy/v1' }) as Eviction;
  // As Kubernetes: the body names the pod (an Eviction without a name does not match either).
  if (eviction.metadata.name !== rc.info.name) throw errors.badRequest('name in URL does not match name in Eviction object');
  if (eviction.metadata.namespace && eviction.metadata.namespace !== rc.info.namespace) {
    throw errors.badRequest(`the namespace of the provided object (${eviction.metadata.namespace}) does not match the namespace sent on the request (${rc.info.namespace ?? ''})`);
  }
  const opts = (eviction.deleteOptions ?? {}) as Record<string, unknown>;
  delete opts.kind;
  delete opts.apiVersion;
  const causes = validateDeleteOptions(opts);
  if (causes.length) throw errors.invalid('Eviction', rc.info.name ?? '', causes, 'policy');
  return eviction;
}

/** checkAndDecrement on the stored budget: refuses, or spends one disruption and records the pod. */
function spend(pdb: PodDisruptionBudget, podName: string, now: Date): PodDisruptionBudget {
  const status = pdb.status ?? { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  const name = pdb.metadata.name ?? '';
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) throw tooManyRequests(`The disruption budget ${name} is still being processed by the server.`, 10);
  if (status.disruptionsAllowed < 0) throw errors.forbidden('', 'evict', 'poddisruptionbudget', name, 'policy', 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length >= MAX_DISRUPTED_PODS) {
    throw errors.forbidden('', 'evict', 'poddisruptionbudget', name, 'policy', 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (status.disruptionsAllowed === 0) {
    throw tooManyRequests(`The disruption budget ${name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`, 0);
  }
  status.disruptionsAllowed--;
  if (status.disruptionsAllowed === 0) status.conditions = withDisruptionAllowedCondition(status, status.observedGeneration, now);
  status.disruptedPods = { ...status.disruptedPods, [podName]: metaTime(now) };
  pdb.status = status;
  return pdb;
}

export async function createEviction(ctx: ApiContext, rc: RequestContext, req: Request, res: Response): Promise<void> {
  const name = rc.info.name ?? '';
  const eviction = await readEviction(rc, req);
  const opts: DeleteOptions = { ...eviction.deleteOptions };
  const dryRun = isDryRun(rc) || (opts.dryRun?.includes('All') ?? false);
  const podKey = keyOf(ctx, rc);
  const pod = (await ctx.store.get(podKey)) as Pod | null;
  if (!pod) throw errors.notFound('pods', name);
  checkBound(rc, pod);
  if (!canIgnoreBudget(pod)) await spendBudget(ctx, pod, dryRun);
  // The pod the budget was spent on, and no other of the same name.
  opts.preconditions ??= { uid: pod.metadata.uid };
  // A dry run checks what the deletion would check, and writes nothing. Otherwise the pod says
  // why it goes (DisruptionTarget) in the same write that starts its deletion.
  const why = disruptionTarget('EvictionByEvictionAPI', 'Eviction API: evicting', new Date());
  if (dryRun) planDeletion(rc, structuredClone(pod), opts);
  else await ctx.store.guaranteedUpdate(podKey, refOf(rc), (cur) => planDeletion(rc, withDisruptionTarget(cur as Pod, why), opts));
  send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, rc);
}

/** The budget part: none covering the pod is fine, two are an error, one must allow a disruption. */
async function spendBudget(ctx: ApiContext, pod: Pod, dryRun: boolean): Promise<void> {
  const pdbs = resourceForKind('policy/v1', 'PodDisruptionBudget');
  if (!pdbs) return;
  const namespace = pod.metadata.namespace ?? '';
  const { items } = await ctx.store.list(ctx.keys.collectionPrefix(pdbs, namespace));
  const covering = (items as PodDisruptionBudget[]).filter((b) => budgetCovers(b, pod));
  if (covering.length === 0) return;
  if (covering.length > 1) throw errors.internal('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  const [budget] = covering as [PodDisruptionBudget];
  const policy = budget.spec?.unhealthyPodEvictionPolicy;
  if (!isPodReady(pod)) {
    // An unhealthy pod does not count towards the budget: evicting it spends nothing when the
    // policy says so, or while the budget is met without it.
    if (policy === 'AlwaysAllow') return;
    const s = budget.status;
    if (s && s.currentHealthy >= s.desiredHealthy && s.desiredHealthy > 0) return;
  }
  const podName = pod.metadata.name ?? '';
  const key = ctx.keys.objectKey(pdbs, namespace, budget.metadata.name ?? '');
  if (dryRun) {
    spend(structuredClone(budget), podName, new Date());
    return;
  }
  // A compare-and-swap on the budget's version: a concurrent eviction's spend is re-read and counted.
  await ctx.store.guaranteedUpdate(key, { resource: pdbs, name: budget.metadata.name ?? '' }, (cur) => spend(cur as PodDisruptionBudget, podName, new Date()), { current: budget });
}
