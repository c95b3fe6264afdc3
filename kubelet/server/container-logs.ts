// GET /containerLogs/{namespace}/{pod}/{container}: a container's CRI log as plain text
// (kubelet's getContainerLogs), with follow, tailLines, timestamps, previous, sinceSeconds,
// sinceTime and limitBytes. The container instance is found by the labels the kubelet put on
// it (pod uid, container name); `previous` reads the instance before the newest.
import type { ServerResponse } from 'node:http';
import type { Pod, PodStatus } from '../../api/types/core.js';
import type { Container, RuntimeService } from '../../runtime/cri.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../labels.js';
import { boolQuery, HttpError, intQuery } from './http.js';

export interface LogSource {
  runtime: RuntimeService;
  /** The pods the kubelet runs. */
  pods(): Pod[];
  /** The newest status the kubelet computed for a pod. */
  statusOf(uid: string): PodStatus | undefined;
}

function newestFirst(a: Container, b: Container): number {
  return b.metadata.attempt - a.metadata.attempt || b.createdAt - a.createdAt;
}

function waitingReason(status: PodStatus | undefined, container: string): string {
  const all = [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])];
  return all.find((c) => c.name === container)?.state?.waiting?.reason ?? 'ContainerCreating';
}

/** The runtime container whose log to read (or stream into), or the Kubernetes-worded reason there is none. */
export async function findInstance(src: LogSource, namespace: string, podName: string, container: string, previous: boolean): Promise<string> {
  const pod = src.pods().find((p) => p.metadata.namespace === namespace && p.metadata.name === podName);
  const selector: Record<string, string> = pod?.metadata.uid
    ? { [LABEL_POD_UID]: pod.metadata.uid, [LABEL_CONTAINER_NAME]: container }
    : { [LABEL_POD_NAMESPACE]: namespace, [LABEL_POD_NAME]: podName, [LABEL_CONTAINER_NAME]: container };
  const instances = (await src.runtime.listContainers({ labelSelector: selector })).sort(newestFirst);
  if (!pod && instances.length === 0) throw new HttpError(404, `pod "${namespace}/${podName}" not found`);
  if (pod && ![...(pod.spec.initContainers ?? []), ...pod.spec.containers].some((c) => c.name === container)) {
    throw new HttpError(404, `container "${container}" not found in pod "${namespace}/${podName}"`);
  }
  if (previous) {
    const prev = instances[1];
    if (!prev) throw new HttpError(400, `previous terminated container "${container}" in pod "${podName}" not found`);
    return prev.id;
  }
  const cur = instances[0];
  if (!cur) {
    const reason = waitingReason(pod ? src.statusOf(pod.metadata.uid ?? '') : undefined, container);
    throw new HttpError(400, `container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
  }
  return cur.id;
}

function sinceTime(q: URLSearchParams, now: number): number | undefined {
  const seconds = intQuery(q, 'sinceSeconds');
  const at = q.get('sinceTime');
  if (seconds !== undefined && at) throw new HttpError(400, 'at most one of sinceTime or sinceSeconds may be specified');
  if (seconds !== undefined) {
    if (seconds < 1) throw new HttpError(400, 'sinceSeconds must be greater than 0');
    return now - seconds * 1000;
  }
  if (at) {
    const ms = Date.parse(at);
    if (!Number.isFinite(ms)) throw new HttpError(400, `sinceTime must be an RFC 3339 time (got "${at}")`);
    return ms;
  }
  return undefined;
}

/** Waits for the client to take more, or to go away (then 'drain' never comes). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

export async function serveContainerLogs(src: LogSource, parts: string[], q: URLSearchParams, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const [namespace, podName, container] = parts;
  if (!namespace || !podName || !container || parts.length !== 3) throw new HttpError(400, 'want /containerLogs/{namespace}/{pod}/{container}');
  const follow = boolQuery(q, 'follow');
  const timestamps = boolQuery(q, 'timestamps');
  const previous = boolQuery(q, 'previous');
  const tailLines = intQuery(q, 'tailLines');
  const limitBytes = intQuery(q, 'limitBytes');
  if (limitBytes !== undefined && limitBytes < 1) throw new HttpError(400, 'limitBytes must be greater than 0');
  const since = sinceTime(q, Date.now());
  const id = await findInstance(src, namespace, podName, container, previous);
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
  // Headers go out now, so a follower sees the stream open before the first line is written.
  res.flushHeaders();
  let budget = limitBytes ?? Infinity;
  for await (const l of src.runtime.readLogs(id, { follow, tailLines, sinceTime: since, signal })) {
    let chunk = Buffer.from(`${timestamps ? `${l.time} ` : ''}${l.line}${l.partial ? '' : '\n'}`);
    // limitBytes cuts the output at exactly that many bytes, as the kubelet's LimitWriter does.
    if (chunk.length > budget) chunk = chunk.subarray(0, budget);
    budget -= chunk.length;
    if (!res.write(chunk)) await drained(res);
    if (budget <= 0 || signal.aborted) break;
  }
  res.end();
}
