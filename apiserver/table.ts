// Server-side printing (meta.k8s.io Table), what `kubectl get` asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`: the columns kube-apiserver's
// printers give each kind (pods: NAME READY STATUS RESTARTS AGE, wide: IP NODE ...), so
// kubectl prints the familiar table. Rows carry the object's metadata (includeObject=Metadata).
import type { ResourceInfo } from '../api/resources.js';
import type { Event, Namespace, Node, Pod } from '../api/types/core.js';
import type { Lease } from '../api/types/coordination.js';
import type { KubeObject, TableColumnDefinition } from '../api/types/meta.js';

/** The Table version an Accept header asks for ("v1" / "v1beta1"), if it asks for one. */
export function wantsTable(accept: string | undefined): string | undefined {
  if (!accept || !accept.includes('as=Table')) return undefined;
  for (const part of accept.split(',')) {
    const params = new Map(
      part
        .split(';')
        .slice(1)
        .map((p) => p.trim().split('=') as [string, string]),
    );
    if (params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io') {
      const v = params.get('v');
      if (v === 'v1' || v === 'v1beta1') return v;
    }
  }
  return undefined;
}

/** kube's duration.HumanDuration, as the AGE column shows it. */
export function humanAge(from: string | undefined, now = Date.now()): string {
  if (!from) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(from)) / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (h < 3) return `${m}m`;
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

type Printer = { columns: [string, string, number][]; cells: (o: KubeObject) => unknown[] };

function podStatus(p: Pod): string {
  if (p.metadata.deletionTimestamp) return 'Terminating';
  let reason: string = p.status?.reason ?? p.status?.phase ?? 'Unknown';
  for (const c of p.status?.containerStatuses ?? []) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
  }
  return reason;
}

const PRINTERS: Record<string, Printer> = {
  Pod: {
    columns: [['Name', 'string', 0], ['Ready', 'string', 0], ['Status', 'string', 0], ['Restarts', 'string', 0], ['Age', 'string', 0], ['IP', 'string', 1], ['Node', 'string', 1], ['Nominated Node', 'string', 1], ['Readiness Gates', 'string', 1]],
    cells: (o) => {
      const p = o as Pod;
      const statuses = p.status?.containerStatuses ?? [];
      const ready = statuses.filter((c) => c.ready).length;
      const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
      return [p.metadata.name, `${ready}/${p.spec?.containers?.length ?? 0}`, podStatus(p), String(restarts), humanAge(p.metadata.creationTimestamp), p.status?.podIP ?? '<none>', p.spec?.nodeName ?? '<none>', p.status?.nominatedNodeName ?? '<none>', '<none>'];
    },
  },
  Node: {
    columns: [['Name', 'string', 0], ['Status', 'string', 0], ['Roles', 'string', 0], ['Age', 'string', 0], ['Version', 'string', 0], ['Internal-IP', 'string', 1], ['External-IP', 'string', 1], ['OS-Image', 'string', 1], ['Kernel-Version', 'string', 1], ['Container-Runtime', 'string', 1]],
    cells: (o) => {
      const n = o as Node;
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      let status = ready ? (ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown') : 'Unknown';
      if (n.spec?.unschedulable) status += ',SchedulingDisabled';
      const addr = (t: string) => n.status?.addresses?.find((a) => a.type === t)?.address ?? '<none>';
      const info = n.status?.nodeInfo;
      return [n.metadata.name, status, '<none>', humanAge(n.metadata.creationTimestamp), info?.kubeletVersion ?? '', addr('InternalIP'), addr('ExternalIP'), info?.osImage ?? '<unknown>', info?.kernelVersion ?? '<unknown>', info?.containerRuntimeVersion ?? '<unknown>'];
    },
  },
  Namespace: {
    columns: [['Name', 'string', 0], ['Status', 'string', 0], ['Age', 'string', 0]],
    cells: (o) => [o.metadata.name, (o as Namespace).status?.phase ?? '', humanAge(o.metadata.creationTimestamp)],
  },
  Event: {
    columns: [['Last Seen', 'string', 0], ['Type', 'string', 0], ['Reason', 'string', 0], ['Object', 'string', 0], ['Message', 'string', 0]],
    cells: (o) => {
      const e = o as Event;
      const when = e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
      const io = e.involvedObject ?? {};
      return [humanAge(when ?? undefined), e.type ?? '', e.reason ?? '', `${(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`, e.message ?? ''];
    },
  },
  Lease: {
    columns: [['Name', 'string', 0], ['Holder', 'string', 0], ['Age', 'string', 0]],
    cells: (o) => [o.metadata.name, (o as Lease).spec?.holderIdentity ?? '', humanAge(o.metadata.creationTimestamp)],
  },
};

export function toTable(r: ResourceInfo, version: string, items: KubeObject[], listMeta: Record<string, unknown>): unknown {
  const printer = PRINTERS[r.kind] ?? { columns: [['Name', 'string', 0], ['Age', 'string', 0]], cells: (o: KubeObject) => [o.metadata.name, humanAge(o.metadata.creationTimestamp)] };
  const columnDefinitions: TableColumnDefinition[] = printer.columns.map(([name, type, priority]) => ({
    name,
    type,
    format: name === 'Name' ? 'name' : '',
    description: '',
    priority,
  }));
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMeta,
    columnDefinitions,
    rows: items.map((o) => ({
      cells: printer.cells(o),
      object: { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: o.metadata },
    })),
  };
}
