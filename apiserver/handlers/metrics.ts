// GET and LIST of metrics.k8s.io/v1beta1 nodes and pods, as metrics-server answers them: the
// nodes (or Running pods) the selectors pick, read from etcd, each with its usage from its
// node's kubelet (apiserver/resource-metrics.ts); what has no usage is left out of a list and
// NotFound by name. An unknown node or pod is the lister's NotFound (`node "x"`, `pods "x"`),
// a known one without usage `nodemetrics.metrics.k8s.io "x"` / `podmetrics.metrics.k8s.io
// "ns/x"`. Field selectors take metadata.name and metadata.namespace only (the default field
// conversion of a kind that registers none); anything else, or a bad selector, is 400.
import type { ServerResponse as Response } from 'node:http';
import { errors } from '../../api/errors.js';
import { METRICS_COLUMNS } from '../../api/metrics/columns.js';
import { METRICS_API_VERSION, METRICS_GROUP, nodeMetrics, podMetrics, type MetricsList, type NodeMetrics, type PodMetrics } from '../../api/metrics/types.js';
import { nodeUsage, podUsages, type PodUsage } from '../../api/metrics/usage.js';
import { findResource, type ResourceInfo } from '../../api/resources.js';
import { parseFieldSelector } from '../../api/selectors/fields.js';
import { metaTime } from '../../api/time.js';
import type { Node, Pod } from '../../api/types/core.js';
import type { KubeObject } from '../../api/types/meta.js';
import type { ApiContext, RequestContext } from '../context.js';
import type { ResourceMetrics } from '../resource-metrics.js';
import { selectionPredicate } from '../selectors.js';
import { toTable, wantsTable } from '../table.js';
import { send } from './common.js';

const META_FIELDS = ['metadata.name', 'metadata.namespace'];

function stored(plural: 'nodes' | 'pods'): ResourceInfo {
  const r = findResource(plural, '');
  if (!r) throw errors.internal(`${plural} are not served`);
  return r;
}

/** The label and field selectors of a list, as one predicate over the node or pod. */
function selection(rc: RequestContext, kind: 'Node' | 'Pod'): (o: KubeObject) => boolean {
  const labels = selectionPredicate(kind, { labelSelector: rc.query.labelSelector });
  const fields = rc.query.fieldSelector ? parseFieldSelector(rc.query.fieldSelector) : undefined;
  for (const r of fields?.requirements ?? []) if (!META_FIELDS.includes(r.field)) throw errors.badRequest(`field label not supported: ${r.field}`);
  return (o) =>
    (labels?.(o) ?? true) &&
    (fields === undefined || fields.matches({ 'metadata.name': o.metadata.name ?? '', ...(kind === 'Pod' ? { 'metadata.namespace': o.metadata.namespace ?? '' } : {}) }));
}

function list<T>(kind: 'NodeMetricsList' | 'PodMetricsList', items: T[]): MetricsList<T> {
  return { kind, apiVersion: METRICS_API_VERSION, metadata: {}, items };
}

/** The answer: the object or list, or the Table `kubectl get` asks for (metrics-server's columns). */
function answer(rc: RequestContext, res: Response, body: NodeMetrics | PodMetrics | MetricsList<NodeMetrics | PodMetrics>): void {
  const table = wantsTable(rc.accept);
  if (!table) return send(res, 200, body, rc);
  const items = 'items' in body ? body.items : [body];
  send(res, 200, toTable(rc.resource, table, items as unknown as KubeObject[], {}, Date.now(), METRICS_COLUMNS), rc);
}

async function nodeMetricsOf(metrics: ResourceMetrics, nodes: Node[], now: string) {
  const usages = await Promise.all(nodes.map(async (n) => nodeUsage(await metrics.sample(n))));
  return nodes.flatMap((n, i) => {
    const u = usages[i];
    return u ? [nodeMetrics(n.metadata, u, now)] : [];
  });
}

/** The usage of these pods, each node asked once. */
async function podUsagesOf(ctx: ApiContext, metrics: ResourceMetrics, pods: Pod[]): Promise<Map<string, PodUsage>> {
  const names = [...new Set(pods.map((p) => p.spec.nodeName).filter((n): n is string => Boolean(n)))];
  const nodes = await Promise.all(names.map((n) => ctx.store.get(ctx.keys.objectKey(stored('nodes'), undefined, n)) as Promise<Node | null>));
  const samples = await Promise.all(nodes.map((n) => (n ? metrics.sample(n) : undefined)));
  return new Map(samples.flatMap(podUsages).map((u) => [u.uid, u]));
}

const running = (p: Pod) => p.status?.phase === 'Running';

export async function serveMetrics(ctx: ApiContext, metrics: ResourceMetrics, rc: RequestContext, res: Response): Promise<void> {
  const { info } = rc;
  const now = metaTime(Date.now());
  const name = info.name;
  if (rc.resource.plural === 'nodes') {
    if (name !== undefined) {
      const node = (await ctx.store.get(ctx.keys.objectKey(stored('nodes'), undefined, name))) as Node | null;
      // metrics-server's node lister names the resource in the singular.
      if (!node) throw errors.notFound('node', name);
      const [m] = await nodeMetricsOf(metrics, [node], now);
      if (!m) throw errors.notFound('nodemetrics', name, METRICS_GROUP);
      return answer(rc, res, { kind: 'NodeMetrics', apiVersion: METRICS_API_VERSION, ...m });
    }
    const pick = selection(rc, 'Node');
    const nodes = ((await ctx.store.list(ctx.keys.collectionPrefix(stored('nodes')), { filter: pick })).items as Node[]).sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    return answer(rc, res, list('NodeMetricsList', await nodeMetricsOf(metrics, nodes, now)));
  }
  if (name !== undefined) {
    const pod = (await ctx.store.get(ctx.keys.objectKey(stored('pods'), info.namespace, name))) as Pod | null;
    // metrics-server knows Running pods only.
    if (!pod || !running(pod)) throw errors.notFound('pods', name);
    const u = (await podUsagesOf(ctx, metrics, [pod])).get(pod.metadata.uid ?? '');
    if (!u) throw errors.notFound('podmetrics', `${info.namespace ?? ''}/${name}`, METRICS_GROUP);
    return answer(rc, res, { kind: 'PodMetrics', apiVersion: METRICS_API_VERSION, ...podMetrics(pod.metadata, u, now) });
  }
  const pick = selection(rc, 'Pod');
  const key = (p: Pod) => [p.metadata.namespace ?? '', p.metadata.name ?? ''];
  const pods = ((await ctx.store.list(ctx.keys.collectionPrefix(stored('pods'), info.namespace), { filter: (o) => running(o as Pod) && pick(o) })).items as Pod[]).sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] !== y[0] ? (x[0] < y[0] ? -1 : 1) : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0;
  });
  const usages = await podUsagesOf(ctx, metrics, pods);
  const items = pods.flatMap((p) => {
    const u = usages.get(p.metadata.uid ?? '');
    return u ? [podMetrics(p.metadata, u, now)] : [];
  });
  answer(rc, res, list('PodMetricsList', items));
}
