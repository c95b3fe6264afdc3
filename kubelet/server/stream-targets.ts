// What a stream request reaches on this node: the running instance of a pod's container
// (exec, attach), or the pod's ready sandbox (port-forward, which connects inside its network
// namespace). Found by the labels the kubelet puts on them, as container logs are; refused
// with the kubelet's status and words otherwise.
import type { RuntimeService } from '../../runtime/cri.js';
import { LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../labels.js';
import { findInstance, type LogSource } from './container-logs.js';
import { HttpError } from './http.js';

export type StreamRequest =
  | { kind: 'exec' | 'attach'; namespace: string; pod: string; container: string }
  | { kind: 'portForward'; namespace: string; pod: string };

/** /exec/{ns}/{pod}/{container}, /attach/{ns}/{pod}/{container}, /portForward/{ns}/{pod}; undefined for any other path. */
export function parseStreamPath(parts: string[]): StreamRequest | undefined {
  const [head, namespace, pod, container, ...rest] = parts;
  if (head === 'exec' || head === 'attach') {
    if (!namespace || !pod || !container || rest.length) throw new HttpError(400, `want /${head}/{namespace}/{pod}/{container}`);
    return { kind: head, namespace, pod, container };
  }
  if (head === 'portForward') {
    if (!namespace || !pod || container !== undefined) throw new HttpError(400, 'want /portForward/{namespace}/{pod}');
    return { kind: 'portForward', namespace, pod };
  }
  return undefined;
}

/** The ID of the running instance of a pod's container. */
export async function runningContainer(src: LogSource, namespace: string, pod: string, container: string): Promise<string> {
  const id = await findInstance(src, namespace, pod, container, false);
  const status = await src.runtime.containerStatus(id);
  if (status.state !== 'CONTAINER_RUNNING') throw new HttpError(400, `container "${container}" in pod "${pod}" is not running (${status.state})`);
  return id;
}

/** The ID of a pod's ready sandbox (newest first when a pod has more than one). */
export async function readySandbox(src: { runtime: RuntimeService; pods: LogSource['pods'] }, namespace: string, pod: string): Promise<string> {
  const known = src.pods().find((p) => p.metadata.namespace === namespace && p.metadata.name === pod);
  const selector: Record<string, string> = known?.metadata.uid ? { [LABEL_POD_UID]: known.metadata.uid } : { [LABEL_POD_NAMESPACE]: namespace, [LABEL_POD_NAME]: pod };
  const ready = (await src.runtime.listPodSandbox({ labelSelector: selector, state: 'SANDBOX_READY' })).sort((a, b) => b.createdAt - a.createdAt);
  if (!known && ready.length === 0) throw new HttpError(404, `pod "${namespace}/${pod}" not found`);
  const sb = ready[0];
  if (!sb) throw new HttpError(400, `pod "${namespace}/${pod}" has no running sandbox (network) to forward to`);
  return sb.id;
}
