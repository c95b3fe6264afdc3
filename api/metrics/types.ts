// metrics.k8s.io/v1beta1 (k8s.io/metrics' resource metrics API, what metrics-server serves and
// `kubectl top` reads): NodeMetrics and PodMetrics, their lists, and the two resource rows.
// They are computed from the kubelets on each request, never stored: no kind declaration in
// api/kinds/, no schema, no watch. Quantities are strings in Kubernetes' canonical form
// (CPU in DecimalSI from nanocores, "123456n"; memory in BinarySI from bytes, "1234Ki").
import { formatBytes, Quantity } from '../quantity.js';
import type { ResourceInfo } from '../resources.js';
import { formatGoDuration } from '../duration.js';
import type { ObjectMeta } from '../types/meta.js';
import type { Usage } from './usage.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

/** Both resources as metrics-server registers them: get and list, no watch, no singular name. */
function row(kind: string, plural: string, namespaced: boolean): ResourceInfo {
  return { group: METRICS_GROUP, version: METRICS_VERSION, kind, listKind: `${kind}List`, plural, singular: '', namespaced, shortNames: [], verbs: ['get', 'list'], subresources: [] };
}

export const METRICS_RESOURCES: readonly ResourceInfo[] = [row('NodeMetrics', 'nodes', false), row('PodMetrics', 'pods', true)];

/** A ResourceList of usage: cpu and memory. */
export interface ResourceUsage {
  cpu: string;
  memory: string;
}

export interface NodeMetrics {
  kind?: 'NodeMetrics';
  apiVersion?: typeof METRICS_API_VERSION;
  metadata: ObjectMeta;
  timestamp: string;
  window: string;
  usage: ResourceUsage;
}

export interface ContainerMetrics {
  name: string;
  usage: ResourceUsage;
}

export interface PodMetrics {
  kind?: 'PodMetrics';
  apiVersion?: typeof METRICS_API_VERSION;
  metadata: ObjectMeta;
  timestamp: string;
  window: string;
  containers: ContainerMetrics[];
}

export interface MetricsList<T> {
  kind: 'NodeMetricsList' | 'PodMetricsList';
  apiVersion: typeof METRICS_API_VERSION;
  metadata: Record<string, never>;
  items: T[];
}

/** cpu in nanocores as metrics-server writes it (a scaled quantity of 1e-9, canonical): 1.5e9 -> "1500m". */
function usageOf(u: Pick<Usage, 'nanoCores' | 'workingSetBytes'>): ResourceUsage {
  return { cpu: Quantity.parse(`${Math.round(u.nanoCores)}n`).toString(), memory: formatBytes(Math.round(u.workingSetBytes)) };
}

/** The object's metadata as metrics-server makes it: name (namespace), created now, the node's or pod's labels. */
function metaOf(src: ObjectMeta, now: string): ObjectMeta {
  return {
    name: src.name,
    ...(src.namespace !== undefined ? { namespace: src.namespace } : {}),
    creationTimestamp: now,
    ...(src.labels && Object.keys(src.labels).length ? { labels: src.labels } : {}),
  };
}

export function nodeMetrics(node: ObjectMeta, u: Usage, now: string): NodeMetrics {
  return { metadata: metaOf({ name: node.name, labels: node.labels }, now), timestamp: u.timestamp, window: formatGoDuration(u.windowMs), usage: usageOf(u) };
}

export function podMetrics(pod: ObjectMeta, u: Usage & { containers: (Usage & { name: string })[] }, now: string): PodMetrics {
  return {
    metadata: metaOf({ name: pod.name, namespace: pod.namespace, labels: pod.labels }, now),
    timestamp: u.timestamp,
    window: formatGoDuration(u.windowMs),
    containers: u.containers.map((c) => ({ name: c.name, usage: usageOf(c) })),
  };
}
