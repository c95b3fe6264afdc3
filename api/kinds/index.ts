// The kinds skiff serves, each declared once in its own file (kind.ts says what a
// declaration holds). Everything per kind is read from here: the resource table
// (api/resources.ts), schemas, defaults, validation, the API server's strategy and Table.
import type { JsonSchema } from '../schemas/json-schema.js';
import type { KubeObject } from '../types/meta.js';
import { configMapKind } from './configmap.js';
import { controllerRevisionKind } from './controllerrevision.js';
import { cronJobKind } from './cronjob.js';
import { daemonSetKind } from './daemonset.js';
import { deploymentKind } from './deployment.js';
import { endpointsKind } from './endpoints.js';
import { endpointSliceKind } from './endpointslice.js';
import { eventKind } from './event.js';
import { jobKind } from './job.js';
import type { KindDefinition } from './kind.js';
import { leaseKind } from './lease.js';
import { namespaceKind } from './namespace.js';
import { nodeKind } from './node.js';
import { podKind } from './pod.js';
import { podDisruptionBudgetKind } from './poddisruptionbudget.js';
import { replicaSetKind } from './replicaset.js';
import { secretKind } from './secret.js';
import { serviceKind } from './service.js';
import { serviceAccountKind } from './serviceaccount.js';

export type { KindDefinition, KindStrategy, PrinterColumn } from './kind.js';
export { DEFAULT_COLUMNS } from './kind.js';

/** In discovery's order. */
export const KINDS: readonly KindDefinition[] = [namespaceKind, nodeKind, podKind, eventKind, configMapKind, secretKind, serviceAccountKind,
  serviceKind, endpointsKind, controllerRevisionKind, daemonSetKind, deploymentKind, replicaSetKind, cronJobKind, jobKind, leaseKind, podDisruptionBudgetKind,
  endpointSliceKind];

const BY_KIND = new Map(KINDS.map((k) => [k.resource.kind, k]));

/** The definition of a kind by its name ("Pod"); kinds are unique across the groups skiff serves. */
export function kindDefinition(kind: string | undefined): KindDefinition | undefined {
  return kind === undefined ? undefined : BY_KIND.get(kind);
}

const SCHEMAS = new Map<string, JsonSchema>([
  ...KINDS.map((k): [string, JsonSchema] => [k.resource.kind, k.schema]),
  ...KINDS.flatMap((k) => Object.entries(k.subresourceSchemas ?? {})),
]);

/** The JSON Schema of a kind, or of a body a subresource takes (Binding); undefined for anything else. */
export function schemaFor(kind: string): JsonSchema | undefined {
  return SCHEMAS.get(kind);
}

/** Every kind that has a schema, subresource bodies included. */
export function schemaKinds(): string[] {
  return [...SCHEMAS.keys()];
}

/**
 * Mutates obj into its defaulted form, by `kind` (or obj.kind); kinds without defaults are
 * left alone. Idempotent, so it is safe on create, update and patch results alike.
 */
export function applyDefaults(obj: KubeObject, kind: string | undefined = obj?.kind): void {
  if (!obj || typeof obj !== 'object') return;
  kindDefinition(kind)?.defaults?.(obj);
}

/**
 * What a create does beyond defaulting (the strategy's PrepareForCreate): a client cannot
 * create an object with a status of its choosing. Call before applyDefaults.
 */
export function prepareForCreate(obj: KubeObject, kind: string | undefined = obj?.kind): void {
  if (!obj || typeof obj !== 'object') return;
  kindDefinition(kind)?.strategy?.prepareForCreate?.(obj);
}
