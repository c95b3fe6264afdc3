// kubectl's columns for each kind skiff serves (the rows of its printers.go handlers): a
// header list for the plain and the wide view, and one row per object.
import type { Event, Namespace, Node, Pod } from '../../api/types/core.js';
import type { Lease } from '../../api/types/coordination.js';
import type { KubeObject } from '../../api/types/meta.js';
import { age, type Clock } from './age.js';
import { podSummary } from './pod-status.js';

export interface RowOptions {
  wide: boolean;
  clock?: Clock;
}

export interface Columns<T extends KubeObject = KubeObject> {
  headers: string[];
  wideHeaders: string[];
  row(obj: T, options: RowOptions): string[];
}

const orNone = (s: string | undefined | null): string => (s ? s : '<none>');

export const podColumns: Columns<Pod> = {
  headers: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
  wideHeaders: ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
  row(pod, { wide, clock }) {
    const s = podSummary(pod, clock);
    const cells = [pod.metadata.name ?? '', s.ready, s.status, s.restarts, age(pod.metadata.creationTimestamp, clock)];
    if (!wide) return cells;
    const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP;
    // readinessGates is not in skiff's PodSpec type yet; read it loosely so a server that keeps it is shown right.
    const gates = (pod.spec as { readinessGates?: { conditionType: string }[] }).readinessGates ?? [];
    let gatesText = '<none>';
    if (gates.length > 0) {
      const met = gates.filter((g) => pod.status?.conditions?.find((c) => c.type === g.conditionType)?.status === 'True').length;
      gatesText = `${met}/${gates.length}`;
    }
    return [...cells, orNone(ip), orNone(pod.spec?.nodeName), orNone(pod.status?.nominatedNodeName), gatesText];
  },
};

/** Roles from node-role.kubernetes.io/<role> labels and kubernetes.io/role, sorted, as kubectl finds them. */
export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

/** "Ready", "NotReady", "Unknown", plus ",SchedulingDisabled" for a cordoned node. */
export function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const status = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

function nodeAddress(node: Node, type: string): string {
  return orNone(node.status?.addresses?.find((a) => a.type === type)?.address);
}

export const nodeColumns: Columns<Node> = {
  headers: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
  wideHeaders: ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'],
  row(node, { wide, clock }) {
    const info = node.status?.nodeInfo;
    const cells = [
      node.metadata.name ?? '',
      nodeStatus(node),
      nodeRoles(node).join(',') || '<none>',
      age(node.metadata.creationTimestamp, clock),
      info?.kubeletVersion ?? '',
    ];
    if (!wide) return cells;
    const unknown = (s: string | undefined) => s || '<unknown>';
    return [
      ...cells,
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      unknown(info?.osImage),
      unknown(info?.kernelVersion),
      unknown(info?.containerRuntimeVersion),
    ];
  },
};

export const namespaceColumns: Columns<Namespace> = {
  headers: ['NAME', 'STATUS', 'AGE'],
  wideHeaders: [],
  row(ns, { clock }) {
    return [ns.metadata.name ?? '', ns.status?.phase ?? '', age(ns.metadata.creationTimestamp, clock)];
  },
};

/** "pod/kuard", or just "node" when the event names no object. */
export function eventObject(ev: Event): string {
  const kind = (ev.involvedObject?.kind ?? '').toLowerCase();
  return ev.involvedObject?.name ? `${kind}/${ev.involvedObject.name}` : kind;
}

/** kubectl's LAST SEEN / FIRST SEEN: lastTimestamp, else firstTimestamp, else eventTime. */
export function eventTimes(ev: Event, clock?: Clock): { first: string; last: string; count: number } {
  const first = ev.firstTimestamp ? age(ev.firstTimestamp, clock) : age(ev.eventTime, clock);
  const last = ev.lastTimestamp ? age(ev.lastTimestamp, clock) : first;
  return { first, last, count: ev.count || 1 };
}

function eventSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const host = ev.source?.host || ev.reportingInstance || '';
  return host ? `${component}, ${host}` : component;
}

export const eventColumns: Columns<Event> = {
  headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
  wideHeaders: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT', 'SOURCE', 'MESSAGE', 'FIRST SEEN', 'COUNT', 'NAME'],
  row(ev, { wide, clock }) {
    const t = eventTimes(ev, clock);
    const message = (ev.message ?? '').trim();
    if (!wide) return [t.last, ev.type ?? '', ev.reason ?? '', eventObject(ev), message];
    return [
      t.last,
      ev.type ?? '',
      ev.reason ?? '',
      eventObject(ev),
      ev.involvedObject?.fieldPath ?? '',
      eventSource(ev),
      message,
      t.first,
      String(t.count),
      ev.metadata.name ?? '',
    ];
  },
};

export const leaseColumns: Columns<Lease> = {
  headers: ['NAME', 'HOLDER', 'AGE'],
  wideHeaders: [],
  row(lease, { clock }) {
    return [lease.metadata.name ?? '', lease.spec?.holderIdentity ?? '', age(lease.metadata.creationTimestamp, clock)];
  },
};

/** Any other kind: the name and the age, as kubectl's default printer. */
export const defaultColumns: Columns = {
  headers: ['NAME', 'AGE'],
  wideHeaders: [],
  row(obj, { clock }) {
    return [obj.metadata.name ?? '', age(obj.metadata.creationTimestamp, clock)];
  },
};

const BY_KIND: Record<string, Columns> = {
  Pod: podColumns as Columns,
  Node: nodeColumns as Columns,
  Namespace: namespaceColumns as Columns,
  Event: eventColumns as Columns,
  Lease: leaseColumns as Columns,
};

export function columnsFor(kind: string | undefined): Columns {
  return (kind && BY_KIND[kind]) || defaultColumns;
}

/** The headers of a kind's view; events' wide view replaces its headers rather than extending them. */
export function headersFor(columns: Columns, wide: boolean): string[] {
  if (!wide || columns.wideHeaders.length === 0) return columns.headers;
  return columns === (eventColumns as Columns) ? columns.wideHeaders : [...columns.headers, ...columns.wideHeaders];
}
