// Field selectors as apimachinery's fields package parses them ("a=b,c!=d", with `\` escaping
// ',', '=' and '\' in values), and the fields each kind supports, as kube-apiserver's per-kind
// field label conversion lists them (declared with each kind, api/kinds/): anything else is
// 400 "field label not supported: x".
import { errors } from '../errors.js';
import { KINDS } from '../kinds/index.js';
import { findResource } from '../resources.js';
import type { KubeObject } from '../types/index.js';

export type FieldOperator = '=' | '==' | '!=';

export interface FieldRequirement {
  field: string;
  operator: FieldOperator;
  value: string;
}

export interface FieldSelectorMatcher {
  readonly requirements: readonly FieldRequirement[];
  matches(fields: Record<string, string>): boolean;
  isEmpty(): boolean;
  /** The value a field must equal, if some `=`/`==` term pins it (the kubelet's spec.nodeName). */
  requiresExactMatch(field: string): string | undefined;
  toString(): string;
}

const escapeValue = (v: string): string => v.replace(/[\\,=]/g, (c) => `\\${c}`);

class FieldSelector implements FieldSelectorMatcher {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  matches(fields: Record<string, string>): boolean {
    // A missing field reads as "" (fields.Set.Get), so "spec.nodeName=" selects unbound pods.
    return this.requirements.every((r) => ((fields[r.field] ?? '') === r.value) === (r.operator !== '!='));
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator !== '!=')?.value;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(',');
  }
}

/** Splits on unescaped commas, keeping escapes for the term parser. */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      cur += s[i] + s[i + 1];
      i++;
    } else if (s[i] === ',') {
      terms.push(cur);
      cur = '';
    } else {
      cur += s[i];
    }
  }
  terms.push(cur);
  return terms;
}

function unescape(v: string, selector: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '\\') {
      const next = v[i + 1];
      if (next !== '\\' && next !== ',' && next !== '=') throw errors.badRequest(`invalid field selector: '${selector}'; invalid escape sequence`);
      out += next;
      i++;
    } else {
      out += v[i];
    }
  }
  return out;
}

/** The earliest operator in the term wins; at one position '!=' and '==' beat '='. */
function splitTerm(term: string): FieldRequirement | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === '\\') {
      i++;
      continue;
    }
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return { field: term.slice(0, i), operator: op, value: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/**
 * Parses "?fieldSelector=". With a kind (Pod, pods, ...) each field must be one that kind
 * supports; without one any field is accepted.
 */
export function parseFieldSelector(s: string, kind?: string): FieldSelectorMatcher {
  const supported = kind === undefined ? undefined : supportedFields(kind);
  const reqs: FieldRequirement[] = [];
  for (const term of splitTerms(s)) {
    if (term.trim() === '') continue;
    const r = splitTerm(term);
    if (!r || r.field.trim() === '') throw errors.badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const req = { field: r.field.trim(), operator: r.operator, value: unescape(r.value, s) };
    if (supported && !supported.includes(req.field)) throw errors.badRequest(`field label not supported: ${req.field}`);
    reqs.push(req);
  }
  return new FieldSelector(reqs);
}

type FieldGetter = (obj: KubeObject) => Record<string, string>;

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

function nameFields(obj: KubeObject, namespaced: boolean): Record<string, string> {
  const f: Record<string, string> = { 'metadata.name': str(obj.metadata?.name) };
  if (namespaced) f['metadata.namespace'] = str(obj.metadata?.namespace);
  return f;
}

/** Each kind's selectable fields: metadata.name (and metadata.namespace), plus what its declaration names. */
const GETTERS: Record<string, FieldGetter> = Object.fromEntries(
  KINDS.map((k): [string, FieldGetter] => {
    const own = k.selectableFields;
    const namespaced = k.resource.namespaced;
    return [k.resource.kind, (obj) => ({ ...nameFields(obj, namespaced), ...own?.(obj) })];
  }),
);

const FIELD_NAMES: Record<string, string[]> = Object.fromEntries(
  Object.entries(GETTERS).map(([kind, get]) => [kind, Object.keys(get({ metadata: {} } as KubeObject))]),
);

function kindOf(kind: string): string {
  const info = findResource(kind);
  if (!info || !GETTERS[info.kind]) throw errors.badRequest(`field selectors are not supported for ${kind}`);
  return info.kind;
}

/** The fields a kind can be selected by (kind as "Pod", "pods", "po", ...). */
export function supportedFields(kind: string): string[] {
  return FIELD_NAMES[kindOf(kind)];
}

/** Reads an object's selectable fields, e.g. for matching a watch event against a field selector. */
export function fieldGetterFor(kind: string): FieldGetter {
  return GETTERS[kindOf(kind)];
}

/** Convenience: does obj (of kind) satisfy selector? */
export function matchesFields(selector: FieldSelectorMatcher, kind: string, obj: KubeObject): boolean {
  return selector.isEmpty() || selector.matches(fieldGetterFor(kind)(obj));
}
