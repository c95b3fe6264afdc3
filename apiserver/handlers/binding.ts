// POST pods/<name>/binding: the scheduler's one write. It sets spec.nodeName once (409 if
// the pod is already bound or being deleted), the PodScheduled=True condition and the
// Binding's annotations, and answers a Success Status as kube-apiserver does. Not in a
// namespace being terminated (403, as any create there).
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import { errors } from '../../api/errors.js';
import type { Binding, Pod, PodCondition } from '../../api/types/core.js';
import type { ApiContext, RequestContext } from '../context.js';
import { requireNamespace } from '../namespace-lifecycle.js';
import { validateObject } from '../../api/validation/index.js';
import { timestamp } from '../strategy.js';
import { cachedObject, checkObjectBody, keyOf, readDecoded, refOf, send } from './common.js';

export async function createBinding(ctx: ApiContext, rc: RequestContext, req: Request, res: Response): Promise<void> {
  const name = rc.info.name ?? '';
  const { body } = await readDecoded(req, rc);
  const binding = checkObjectBody(rc, body, { kind: 'Binding', apiVersion: 'v1' }) as Binding;
  if (binding.metadata.name && binding.metadata.name !== name) {
    throw errors.badRequest(`the name of the binding (${binding.metadata.name}) does not match the pod on the URL (${name})`);
  }
  if (binding.metadata.namespace && binding.metadata.namespace !== rc.info.namespace) {
    throw errors.badRequest(`the namespace of the binding (${binding.metadata.namespace}) does not match the namespace on the URL (${rc.info.namespace ?? ''})`);
  }
  // The shape and target; "already bound" is checked below, as a 409, against the stored pod.
  const causes = validateObject(binding, { operation: 'create', subresource: 'binding', shapeChecked: true });
  if (causes.length) throw errors.invalid('Binding', name, causes);
  // A binding is a create (of pods/binding): NamespaceLifecycle refuses it in an ending namespace.
  await requireNamespace(ctx, rc.info.namespace ?? '', { resource: 'pods', name });
  const target = binding.target;
  const now = timestamp();
  const key = keyOf(ctx, rc);
  await ctx.store.guaranteedUpdate(key, refOf(rc), (cur) => {
    const pod = cur as Pod;
    if (pod.metadata.deletionTimestamp) throw errors.conflict('pods', name, 'pod is being deleted, cannot be assigned to a host');
    if (pod.spec.nodeName) throw errors.conflict('pods', name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
    if (binding.metadata.uid && binding.metadata.uid !== pod.metadata.uid) {
      throw errors.conflict('pods', name, `Precondition failed: UID in precondition: ${binding.metadata.uid}, UID in object meta: ${pod.metadata.uid ?? ''}`);
    }
    pod.spec.nodeName = target.name;
    // kube-apiserver copies the Binding's annotations onto the pod (the scheduler's record of the cycle).
    if (binding.metadata.annotations && Object.keys(binding.metadata.annotations).length > 0) {
      pod.metadata.annotations = { ...pod.metadata.annotations, ...binding.metadata.annotations };
    }
    const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    const scheduled: PodCondition = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now };
    pod.status = { ...pod.status, conditions: [...conditions, scheduled] };
    return pod;
  }, { suggestion: cachedObject(ctx, rc, key) });
  send(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, rc);
}
