// Server-side printing (meta.k8s.io Table), what `kubectl get` asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`: the columns kube-apiserver's
// printers give each kind (pods: NAME READY STATUS RESTARTS AGE, wide: IP NODE ...), so
// kubectl prints the familiar table. The columns are declared with each kind (api/kinds/);
// this file wraps them in the Table envelope. Rows carry the object's metadata
// (includeObject=Metadata).
import { ageOf } from '../api/human-duration.js';
import { DEFAULT_COLUMNS, kindDefinition, type PrinterColumn } from '../api/kinds/index.js';
import type { ResourceInfo } from '../api/resources.js';
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

/** The AGE column's text (apimachinery's HumanDuration of the time since `from`). */
export function humanAge(from: string | undefined, now = Date.now()): string {
  return ageOf(from, now);
}

/** The Table of `items`, with the columns their kind declares (api/kinds/), or those given (a resource not stored), or NAME and AGE. */
export function toTable(
  r: ResourceInfo,
  version: string,
  items: KubeObject[],
  listMeta: Record<string, unknown>,
  now = Date.now(),
  columns: readonly PrinterColumn<KubeObject>[] = kindDefinition(r.kind)?.columns ?? DEFAULT_COLUMNS,
): unknown {
  const columnDefinitions: TableColumnDefinition[] = columns.map((c) => ({
    name: c.name,
    type: c.type,
    format: c.name === 'Name' ? 'name' : '',
    description: c.description,
    priority: c.priority,
  }));
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMeta,
    columnDefinitions,
    rows: items.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      object: { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: o.metadata },
    })),
  };
}
