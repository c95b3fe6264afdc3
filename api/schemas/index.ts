// The schema of every kind skiff serves, by kind name.
import type { JsonSchema } from './json-schema.js';
import { leaseSchema, namespaceSchema, nodeSchema } from './cluster.js';
import { eventSchema } from './event.js';
import { bindingSchema, podSchema } from './pod.js';

export type { GroupVersionKind, JsonSchema } from './json-schema.js';
export { objectMetaSchema } from './meta.js';

export const SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  Pod: podSchema,
  Binding: bindingSchema,
  Node: nodeSchema,
  Namespace: namespaceSchema,
  Event: eventSchema,
  Lease: leaseSchema,
};

export function schemaFor(kind: string): JsonSchema | undefined {
  return Object.prototype.hasOwnProperty.call(SCHEMAS, kind) ? SCHEMAS[kind] : undefined;
}
