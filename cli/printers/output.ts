// Turns objects into what `get` prints for each -o format: kubectl's tables (plain, wide,
// --show-labels, a NAMESPACE column with -A, --sort-by), yaml, json, name and jsonpath.
import { stringify as toYaml } from 'yaml';
import { findResource } from '../../api/resources.js';
import type { KubeObject, Table } from '../../api/types/meta.js';
import type { Clock } from './age.js';
import { columnsFor, headersFor } from './columns.js';
import { executeJsonPath, selectJsonPath } from './jsonpath.js';
import { renderTable, type TableData } from './table.js';

export type OutputFormat = 'table' | 'wide' | 'yaml' | 'json' | 'name' | 'jsonpath';

export interface OutputSpec {
  format: OutputFormat;
  /** The template of -o jsonpath=... */
  template?: string;
}

export class OutputFormatError extends Error {
  override name = 'OutputFormatError';
}

const ALLOWED = 'json, yaml, name, wide, jsonpath, jsonpath-as-json';

/** Parses -o: "", "wide", "yaml", "json", "name", "jsonpath=TEMPLATE" (also jsonpath='TEMPLATE'). */
export function parseOutput(o: string | undefined): OutputSpec {
  if (!o) return { format: 'table' };
  const eq = o.indexOf('=');
  const name = eq < 0 ? o : o.slice(0, eq);
  if (name === 'jsonpath') {
    if (eq < 0) throw new OutputFormatError('template format specified but no template given');
    return { format: 'jsonpath', template: o.slice(eq + 1) };
  }
  if (eq < 0 && (name === 'wide' || name === 'yaml' || name === 'json' || name === 'name')) return { format: name };
  throw new OutputFormatError(`unable to match a printer suitable for the output format "${o}", allowed formats are: ${ALLOWED}`);
}

export interface PrintOptions {
  output: OutputSpec;
  /** Print a NAMESPACE column (get -A). */
  withNamespace?: boolean;
  showLabels?: boolean;
  noHeaders?: boolean;
  sortBy?: string;
  clock?: Clock;
}

/** "pod", or "lease.coordination.k8s.io" for a kind outside the core group, as -o name prints it. */
export function kindPrefix(obj: KubeObject): string {
  const kind = obj.kind ?? '';
  const group = obj.apiVersion?.includes('/') ? obj.apiVersion.split('/')[0] : '';
  const info = findResource(kind, group);
  const singular = info?.singular ?? kind.toLowerCase();
  return group ? `${singular}.${group}` : singular;
}

export function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/** Orders by the value at a JSONPath: numbers by value, everything else as text; missing values first. */
export function sortObjects<T>(items: T[], sortBy: string): T[] {
  const key = (o: T): unknown => selectJsonPath(sortBy, o)[0];
  return [...items]
    .map((o) => ({ o, k: key(o) }))
    .sort((a, b) => {
      if (a.k === undefined || b.k === undefined) return a.k === b.k ? 0 : a.k === undefined ? -1 : 1;
      if (typeof a.k === 'number' && typeof b.k === 'number') return a.k - b.k;
      const x = typeof a.k === 'string' ? a.k : JSON.stringify(a.k);
      const y = typeof b.k === 'string' ? b.k : JSON.stringify(b.k);
      return x < y ? -1 : x > y ? 1 : 0;
    })
    .map((e) => e.o);
}

/** Objects with their keys in order, as kubectl's -o yaml / -o json print them (Go marshals maps sorted). */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
  return out;
}

/** YAML the way kubectl writes it: sorted keys, list items not indented under their key. */
export function kubeYaml(v: unknown): string {
  return toYaml(sortKeys(v), { indentSeq: false, lineWidth: 0 });
}

/** The kind-less List kubectl prints for -o yaml/json of several objects. */
export function asList(items: KubeObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/** The headers and rows `get` prints for objects of one kind (also used row by row by get -w). */
export function tableData(items: KubeObject[], options: PrintOptions, kindHeader = false, kind = items[0]?.kind): TableData {
  const wide = options.output.format === 'wide';
  const columns = columnsFor(kind);
  const headers = [...headersFor(columns, wide)];
  const rows = items.map((obj) => {
    const cells = columns.row(obj, { wide, clock: options.clock });
    // With several kinds in one answer kubectl names each row kind/name.
    if (kindHeader && headers[0] === 'NAME') cells[0] = `${kindPrefix(obj)}/${cells[0]}`;
    if (options.withNamespace) cells.unshift(obj.metadata.namespace ?? '');
    if (options.showLabels) cells.push(formatLabels(obj.metadata.labels));
    return cells;
  });
  if (options.withNamespace) headers.unshift('NAMESPACE');
  if (options.showLabels) headers.push('LABELS');
  return { headers, rows };
}

function tableOf(items: KubeObject[], options: PrintOptions, kindHeader: boolean): string {
  return renderTable(tableData(items, options, kindHeader), { noHeaders: options.noHeaders });
}

/**
 * Prints objects from a list (`single` false) or one named object (`single` true: yaml and
 * json show the object itself, not a List).
 */
export function printObjects(items: KubeObject[], options: PrintOptions, single = false): string {
  const sorted = options.sortBy ? sortObjects(items, options.sortBy) : items;
  const doc = single && sorted.length === 1 ? sorted[0] : asList(sorted);
  switch (options.output.format) {
    case 'yaml':
      return kubeYaml(doc);
    case 'json':
      return `${JSON.stringify(sortKeys(doc), null, 4)}\n`;
    case 'name':
      return sorted.map((o) => `${kindPrefix(o)}/${o.metadata.name ?? ''}\n`).join('');
    case 'jsonpath':
      return executeJsonPath(options.output.template ?? '', doc);
    default: {
      const kinds = [...new Set(sorted.map((o) => o.kind ?? ''))];
      if (kinds.length <= 1) return tableOf(sorted, options, false);
      return kinds.map((k) => tableOf(sorted.filter((o) => (o.kind ?? '') === k), options, true)).join('\n');
    }
  }
}

/** Prints a server-side meta.k8s.io Table: priority-0 columns, all of them with -o wide. */
export function printServerTable(table: Table, options: PrintOptions): string {
  const wide = options.output.format === 'wide';
  const shown = table.columnDefinitions.map((c, i) => ({ c, i })).filter(({ c }) => wide || c.priority === 0);
  const headers = shown.map(({ c }) => c.name.toUpperCase());
  const rows = table.rows.map((r) => {
    const cells = shown.map(({ i }) => {
      const v = r.cells[i];
      return v === null || v === undefined ? '<none>' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
    const meta = (r.object as { metadata?: { namespace?: string; labels?: Record<string, string> } } | undefined)?.metadata;
    if (options.withNamespace) cells.unshift(meta?.namespace ?? '');
    if (options.showLabels) cells.push(formatLabels(meta?.labels));
    return cells;
  });
  if (options.withNamespace) headers.unshift('NAMESPACE');
  if (options.showLabels) headers.push('LABELS');
  return renderTable({ headers, rows }, { noHeaders: options.noHeaders });
}
