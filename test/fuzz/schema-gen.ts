// Objects from the kinds' JSON Schemas, read through the registry (RESOURCES + schemaFor), so
// a kind added later is fuzzed with no new code here: a small valid base object per kind,
// every field path the schema knows, a value of the wrong type for a path, and random
// objects of the right shape. Values that JSON.stringify cannot write (1e400, 2^63 exactly)
// travel as Raw and are spliced into the body text.
import fc from 'fast-check';
import { RESOURCES, apiVersionOf, type ResourceInfo } from '../../api/resources.js';
import { schemaFor } from '../../api/kinds/index.js';
import type { JsonSchema } from '../../api/schemas/index.js';
import type { JsonType } from '../../api/schemas/json-schema.js';

/** A JSON value written as is into the body ("1e400", "9223372036854775808"). */
export class Raw {
  constructor(readonly text: string) {}
  toJSON(): string {
    return `\u0000raw:${this.text}\u0000`;
  }
  /** How fast-check prints it in a counterexample. */
  [fc.toStringMethod](): string {
    return `Raw(${this.text})`;
  }
}

/** JSON text of a value that may hold Raw pieces. */
export function toJsonText(v: unknown, indent?: number): string {
  return JSON.stringify(v, null, indent).replace(/"\\u0000raw:(.*?)\\u0000"/g, (_m, raw: string) => JSON.parse(`"${raw}"`) as string);
}

export type Segment = string | number;

export interface SchemaPath {
  segments: Segment[];
  /** the JSON types the schema allows there (empty: anything) */
  types: JsonType[];
  schema: JsonSchema;
}

/** The kinds the registry serves that have a schema: every one is fuzzed. */
export const KINDS: readonly ResourceInfo[] = RESOURCES.filter((r) => schemaFor(r.kind) !== undefined);

export function schemaOf(r: ResourceInfo): JsonSchema {
  const s = schemaFor(r.kind);
  if (!s) throw new Error(`no schema for ${r.kind}`);
  return s;
}

function typesOf(s: JsonSchema): JsonType[] {
  return s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
}

// Map keys validation accepts, by the map's field name: a resource list needs a resource name.
const MAP_KEYS: Record<string, string> = { limits: 'memory', requests: 'memory', capacity: 'memory', allocatable: 'memory' };

/** Every path the schema describes (arrays at [0], maps at a key valid for the map), depth-first. */
export function schemaPaths(schema: JsonSchema, prefix: Segment[] = [], depth = 0): SchemaPath[] {
  const out: SchemaPath[] = [];
  if (depth > 12) return out;
  if (prefix.length) out.push({ segments: prefix, types: typesOf(schema), schema });
  for (const [k, sub] of Object.entries(schema.properties ?? {})) out.push(...schemaPaths(sub, [...prefix, k], depth + 1));
  if (schema.additionalProperties) out.push(...schemaPaths(schema.additionalProperties, [...prefix, MAP_KEYS[String(prefix.at(-1))] ?? 'fuzz-key'], depth + 1));
  if (schema.items) out.push(...schemaPaths(schema.items, [...prefix, 0], depth + 1));
  return out;
}

/** Paths where the server may not accept just anything (a schema type or enum is stated). */
export function typedPaths(r: ResourceInfo): SchemaPath[] {
  return schemaPaths(schemaOf(r)).filter((p) => p.types.length > 0 && !(p.segments[0] === 'metadata' && p.segments[1] === 'managedFields'));
}

// What the schema cannot say but validation requires, by field name: a container needs an image.
const SEMANTIC_SEEDS: Record<string, unknown> = { image: 'busybox', name: 'fuzz' };

function minimalOf(s: JsonSchema, name?: string): unknown {
  if (name !== undefined && name in SEMANTIC_SEEDS) return SEMANTIC_SEEDS[name];
  if (s.enum?.length) return s.enum[0];
  const t = typesOf(s)[0];
  switch (t) {
    case 'object': {
      const o: Record<string, unknown> = {};
      // Required fields, and the optional objects that have required fields of their own
      // (a Pod's spec): the schema's way of saying "this part is what the kind is about".
      for (const [k, sub] of Object.entries(s.properties ?? {})) {
        if (s.required?.includes(k) || k in SEMANTIC_SEEDS || (typesOf(sub)[0] === 'object' && sub.required?.length)) o[k] = minimalOf(sub, k);
      }
      return o;
    }
    case 'array':
      return s.items ? [minimalOf(s.items)] : [];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    default:
      return 'fuzz';
  }
}

const podTemplate = (restartPolicy: string) => ({ metadata: { labels: { app: 'fuzz' } }, spec: { restartPolicy, containers: [{ name: 'fuzz', image: 'busybox' }] } });
const selected = (restartPolicy: string) => ({ selector: { matchLabels: { app: 'fuzz' } }, template: podTemplate(restartPolicy) });

/** What validation needs beyond the schema, by kind: a workload's selector matching its template's labels, a revision's data. */
const KIND_FIELDS: Record<string, Record<string, unknown>> = {
  ReplicaSet: { spec: selected('Always') },
  Deployment: { spec: selected('Always') },
  DaemonSet: { spec: selected('Always') },
  ControllerRevision: { data: { spec: {} } },
  Job: { spec: { template: podTemplate('Never') } },
  CronJob: { spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: podTemplate('OnFailure') } } } },
  Service: { spec: { selector: { app: 'fuzz' }, ports: [{ port: 80 }] } },
  EndpointSlice: { addressType: 'IPv4' },
};

/** The smallest object of the kind the schema and validation accept (checked by the suite's first test). */
export function baseObject(r: ResourceInfo, name: string, namespace: string): Record<string, unknown> {
  const o = minimalOf(schemaOf(r)) as Record<string, unknown>;
  o.apiVersion = apiVersionOf(r);
  o.kind = r.kind;
  o.metadata = r.namespaced ? { name, namespace } : { name };
  if (r.kind === 'Event') o.involvedObject = { kind: 'Pod', name: 'fuzz', namespace };
  Object.assign(o, structuredClone(KIND_FIELDS[r.kind] ?? {}));
  return o;
}

/** A deep copy of `obj` with `value` at `segments`, making the objects and arrays on the way. */
export function setAt(obj: Record<string, unknown>, segments: Segment[], value: unknown): Record<string, unknown> {
  const root = structuredClone(obj);
  let cur: Record<string | number, unknown> = root;
  segments.forEach((seg, i) => {
    if (i === segments.length - 1) {
      cur[seg] = value;
      return;
    }
    const nextIsIndex = typeof segments[i + 1] === 'number';
    let next = cur[seg];
    if (typeof next !== 'object' || next === null || Array.isArray(next) !== nextIsIndex) {
      next = nextIsIndex ? [] : {};
      cur[seg] = next;
    }
    if (nextIsIndex && (next as unknown[]).length === 0) (next as unknown[]).push({});
    cur = next as Record<string | number, unknown>;
  });
  return root;
}

export function pathText(segments: Segment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** A value whose JSON type the path does not allow (or, for an enum, a value outside it). */
export function wrongValue(p: SchemaPath): fc.Arbitrary<unknown> {
  const allowed = new Set(p.types);
  const candidates: unknown[] = [];
  if (!allowed.has('string')) candidates.push('not-a-number', '', '1');
  if (!allowed.has('integer') && !allowed.has('number')) candidates.push(7, -1, new Raw('1e400'));
  if (allowed.has('integer') && !allowed.has('number')) candidates.push(1.5, new Raw('1e300'), new Raw('9223372036854775808'), new Raw('-9223372036854775809'));
  if (!allowed.has('boolean')) candidates.push(true, false);
  if (!allowed.has('object')) candidates.push({ a: 1 }, {});
  if (!allowed.has('array')) candidates.push([1, 'x'], []);
  if (p.schema.enum?.length) candidates.push('Not-A-Listed-Value');
  return fc.constantFrom(...candidates);
}

/** JSON values of the right type for a schema, odd ones included (for the random-object property). */
export function valueFor(s: JsonSchema, leaf: fc.Arbitrary<string>, depth = 0): fc.Arbitrary<unknown> {
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  const t = typesOf(s)[0];
  if (depth > 8) return fc.constant(minimalOf(s));
  switch (t) {
    case 'object': {
      const props = Object.entries(s.properties ?? {});
      if (props.length === 0) return s.additionalProperties ? fc.dictionary(leaf, valueFor(s.additionalProperties, leaf, depth + 1), { maxKeys: 3 }) : fc.constant({});
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, sub] of props) model[k] = valueFor(sub, leaf, depth + 1);
      return fc.record(model, { requiredKeys: (s.required ?? []).filter((k) => k in model) });
    }
    case 'array':
      return s.items ? fc.array(valueFor(s.items, leaf, depth + 1), { maxLength: 2 }) : fc.constant([]);
    case 'integer':
      return fc.oneof(fc.integer({ min: -2, max: 70000 }), fc.constantFrom(0, 2147483647, Number.MAX_SAFE_INTEGER));
    case 'number':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
    case 'boolean':
      return fc.boolean();
    default:
      return leaf;
  }
}
