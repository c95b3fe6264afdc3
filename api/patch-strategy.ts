// The one table of strategic merge patch metadata: the kinds' schemas (api/kinds/), read through their
// `x-kubernetes-patch-strategy` and `x-kubernetes-patch-merge-key` (core/v1's patchStrategy
// and patchMergeKey tags). The OpenAPI document kubectl reads is generated from the same
// schemas, so the API server's PATCH, server-side apply, `skiff apply` and kubectl agree on
// every list by construction. A new kind adds schema rows, not code.
import { schemaFor } from './kinds/index.js';
import type { JsonSchema } from './schemas/index.js';

export type { JsonSchema } from './schemas/index.js';

/** How strategic merge patch treats a list. */
export type ListStrategy =
  | { readonly type: 'replace' }
  /** a list of primitives merged as a set (finalizers) */
  | { readonly type: 'set' }
  /** a list of objects merged element by element on `mergeKey` */
  | { readonly type: 'keyed'; readonly mergeKey: string; readonly retainKeys: boolean };

const REPLACE: ListStrategy = { type: 'replace' };
const SET: ListStrategy = { type: 'set' };

/** The schema of a kind; undefined (merge-patch semantics everywhere) for kinds skiff does not know. */
export function patchSchemaFor(kind: unknown): JsonSchema | undefined {
  return typeof kind === 'string' ? schemaFor(kind) : undefined;
}

/** The sub-schema of one field of a map (a declared property, or a map's value schema). */
export function fieldSchema(schema: JsonSchema | undefined, key: string): JsonSchema | undefined {
  if (!schema) return undefined;
  return Object.prototype.hasOwnProperty.call(schema.properties ?? {}, key) ? schema.properties?.[key] : schema.additionalProperties;
}

/** The strategy of the list whose schema is `schema`. */
export function listStrategy(schema: JsonSchema | undefined): ListStrategy {
  const strategy = schema?.['x-kubernetes-patch-strategy'] ?? '';
  if (!strategy.split(',').includes('merge')) return REPLACE;
  const mergeKey = schema?.['x-kubernetes-patch-merge-key'];
  if (!mergeKey) return SET;
  return { type: 'keyed', mergeKey, retainKeys: strategy.split(',').includes('retainKeys') };
}
