// The JSON Schema subset skiff writes its resource schemas in, and small builders for it.
// One schema per kind serves three readers: ajv (validation), unknownFields (strict field
// validation) and the OpenAPI v2 document (kubectl explain / client-side validation).
// `x-skiff-definition` names a sub-schema that OpenAPI publishes as its own definition.

export type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface JsonSchema {
  type?: JsonType | JsonType[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  /** a map's value schema; never `false`: unknown fields are reported, not rejected */
  additionalProperties?: JsonSchema;
  items?: JsonSchema;
  required?: string[];
  enum?: (string | number | boolean | null)[];
  format?: string;
  'x-skiff-definition'?: string;
  'x-kubernetes-int-or-string'?: boolean;
  /** a resource.Quantity: its grammar and range checked as the body is decoded (not published in OpenAPI) */
  'x-skiff-quantity'?: boolean;
  'x-kubernetes-group-version-kind'?: GroupVersionKind[];
  /** strategic merge patch: "merge" lists merge (by the merge key for lists of objects); others are replaced */
  'x-kubernetes-patch-strategy'?: 'merge' | 'merge,retainKeys' | 'retainKeys';
  'x-kubernetes-patch-merge-key'?: string;
}

/** The extension keywords ajv must accept as annotations. */
export const EXTENSION_KEYWORDS = [
  'x-skiff-definition',
  'x-kubernetes-int-or-string',
  'x-kubernetes-group-version-kind',
  'x-kubernetes-patch-strategy',
  'x-kubernetes-patch-merge-key',
] as const;

const d = (description?: string): { description?: string } => (description ? { description } : {});

export const str = (description?: string): JsonSchema => ({ type: 'string', ...d(description) });
/**
 * Go's int64, for a JSON number (a double). Past 2^53 doubles are sparse: 2^63 - 1 parses as
 * 2^63, one past the range, and is refused with it (an int64 that large is no real setting).
 */
export const isInt64 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63;
/** Go's int32. */
export const isInt32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31;

/** An int64 field (Kubernetes' default integer): `1e300` is an integer to JSON Schema, but not to Go. */
export const int = (description?: string): JsonSchema => ({ type: 'integer', format: 'int64', ...d(description) });
/** An int32 field (ports, counts, probe settings, priorities). */
export const int32 = (description?: string): JsonSchema => ({ type: 'integer', format: 'int32', ...d(description) });
export const num = (description?: string): JsonSchema => ({ type: 'number', ...d(description) });
export const bool = (description?: string): JsonSchema => ({ type: 'boolean', ...d(description) });
export const time = (description?: string): JsonSchema => ({ type: 'string', format: 'date-time', ...d(description) });
/** Timestamps that clients may send as null (events' firstTimestamp, lease times). */
export const nullableTime = (description?: string): JsonSchema => ({ type: ['string', 'null'], format: 'date-time', ...d(description) });
export const arr = (items: JsonSchema, description?: string): JsonSchema => ({ type: 'array', items, ...d(description) });
/** A list strategic merge patch merges element by element, matched on mergeKey (core/v1's patchMergeKey tags). */
export const keyedArr = (items: JsonSchema, mergeKey: string, description?: string, retainKeys = false): JsonSchema => ({
  ...arr(items, description),
  'x-kubernetes-patch-strategy': retainKeys ? 'merge,retainKeys' : 'merge',
  'x-kubernetes-patch-merge-key': mergeKey,
});
/** A list of strings that strategic merge patch unions instead of replacing (finalizers, podCIDRs). */
export const setArr = (items: JsonSchema, description?: string): JsonSchema => ({ ...arr(items, description), 'x-kubernetes-patch-strategy': 'merge' });
export const strMap = (description?: string): JsonSchema => ({ type: 'object', additionalProperties: str(), ...d(description) });
export const enumOf = (values: string[], description?: string): JsonSchema => ({ type: 'string', enum: values, ...d(description) });
export const intOrString = (description?: string): JsonSchema => ({ type: ['integer', 'string'], 'x-kubernetes-int-or-string': true, ...d(description) });

/**
 * Quantities arrive as "500m" or 2. Kubernetes parses them as it decodes a body, so a bad one
 * is refused even in a part of the object the write then ignores (status, on the main
 * resource); the message is apimachinery's (api/quantity.ts).
 */
export const quantity = (description?: string): JsonSchema => ({
  type: ['string', 'number'],
  'x-skiff-quantity': true,
  'x-skiff-definition': 'io.k8s.apimachinery.pkg.api.resource.Quantity',
  ...d(description ?? 'A fixed-point number: "500m", "0.5", "2", "128Mi", "1G", "1e3".'),
});
export const resourceList = (description?: string): JsonSchema => ({ type: 'object', additionalProperties: quantity(), ...d(description) });

export function obj(
  definition: string | undefined,
  properties: Record<string, JsonSchema>,
  opts: { required?: string[]; description?: string } = {},
): JsonSchema {
  return {
    type: 'object',
    ...d(opts.description),
    properties,
    ...(opts.required?.length ? { required: opts.required } : {}),
    ...(definition ? { 'x-skiff-definition': definition } : {}),
  };
}
