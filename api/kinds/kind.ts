// What one kind is, declared in one place (Kubernetes spreads it over
// pkg/registry/<group>/<kind>/strategy.go, pkg/apis/<group>/validation, the defaults and
// pkg/printers/internalversion). Discovery, REST routing, the JSON Schema checks,
// fieldValidation, strategic merge patch, server-side apply, OpenAPI, defaults, validation,
// the create/update strategy, field selectors and `kubectl get`'s Table all read a kind
// from its KindDefinition and nothing else: adding a kind is a new file in this folder and
// a line in index.ts.
import { ageOf } from '../human-duration.js';
import type { ResourceInfo } from '../resources.js';
import type { JsonSchema } from '../schemas/json-schema.js';
import type { KubeObject, StatusCause } from '../types/meta.js';
import type { NameRule } from '../validation/meta.js';

/**
 * One column of the kind's Table (what `kubectl get` prints), with kube-apiserver's name,
 * type and priority: 0 always shown, 1 only with `-o wide`.
 */
export interface PrinterColumn<T> {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  priority: 0 | 1;
  description: string;
  /** The cell of one object; `now` is when the table is printed, for ages. */
  cell(obj: T, now: number): string | number | boolean;
}

/**
 * What the server decides about the kind's objects beyond the generic rules of
 * apiserver/strategy.ts: uid and creationTimestamp set on create, generation 1 on create and
 * moving when the spec changes (never, for a kind without a spec), status written only
 * through /status when `resource.subresources` has "status", system metadata kept on update.
 * What may not change on update is `validateUpdate`'s.
 */
export interface KindStrategy<T> {
  /** PrepareForCreate: what a create resets whatever the client sent (a fresh status). Runs before defaults. */
  prepareForCreate?(obj: T): void;
  /**
   * The grace period a DELETE gives the object (RESTGracefulDeleteStrategy); `requested` is
   * the DeleteOptions'. Without this hook an object goes at once (or waits on its finalizers).
   */
  gracePeriodSeconds?(obj: T, requested: number | undefined): number;
  /**
   * prepareForCreate sets metadata.uid itself (a Job's generated selector names it, and
   * validation checks it), and the server keeps that uid; otherwise the server makes one.
   */
  assignsUid?: boolean;
  /** What moves metadata.generation on update besides a change of the spec (a Deployment's annotations). */
  generationChanged?(obj: T, old: T): boolean;
}

/**
 * How the kind's /scale subresource (an autoscaling/v1 Scale) reads and writes the object:
 * Scale.spec.replicas is the object's desired count, Scale.status its observed count and
 * its pods' selector as a label-selector string (what `kubectl scale` and autoscalers use).
 */
export interface ScaleMapping<T> {
  specReplicas(obj: T): number;
  setSpecReplicas(obj: T, replicas: number): void;
  statusReplicas(obj: T): number;
  selector(obj: T): string;
}

export interface KindDefinition<T extends KubeObject = KubeObject> {
  /** The resource row: group/version/kind/plural, scope, short names, verbs, subresources. */
  resource: ResourceInfo;
  /**
   * The JSON Schema: types and required fields as a body is decoded, unknown fields for
   * fieldValidation, the OpenAPI definition, and the lists' `x-kubernetes-patch-strategy` /
   * `x-kubernetes-patch-merge-key` that strategic merge patch and server-side apply merge by.
   */
  schema: JsonSchema;
  /** Bodies the kind's subresources take, by kind (pods/binding takes a Binding). */
  subresourceSchemas?: Record<string, JsonSchema>;
  /** Which DNS rule metadata.name follows: a subdomain (most kinds) or a label (namespaces). */
  nameRule: NameRule;
  /** Defaulting (core/v1 defaults.go): idempotent, run on every create and update body. */
  defaults?(obj: T): void;
  /** Validation of the object; causes carry field paths. */
  validate(obj: T): StatusCause[];
  /** Validation of a write through /status (the stored spec is kept); `validate` when absent. */
  validateStatus?(obj: T): StatusCause[];
  /** What may not change on update (immutable fields), beyond ObjectMeta's own rules. */
  validateUpdate?(obj: T, old: T): StatusCause[];
  strategy?: KindStrategy<T>;
  /** The fields a field selector may name beyond metadata.name (and metadata.namespace), with their values. */
  selectableFields?(obj: T): Record<string, string>;
  /** The Table columns, Name first as kube-apiserver prints them. */
  columns: PrinterColumn<T>[];
  /** The /scale subresource, for a kind whose `resource.subresources` has "scale". */
  scale?: ScaleMapping<T>;
}

export const ALL_VERBS: readonly string[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** A resource row with the parts Kubernetes derives from the kind filled in (listKind, singular, verbs). */
export function resourceRow(
  r: Pick<ResourceInfo, 'group' | 'version' | 'kind' | 'plural' | 'namespaced'> & Partial<Pick<ResourceInfo, 'shortNames' | 'verbs' | 'subresources' | 'categories'>>,
): ResourceInfo {
  return {
    ...r,
    listKind: `${r.kind}List`,
    singular: r.kind.toLowerCase(),
    shortNames: r.shortNames ?? [],
    verbs: r.verbs ?? [...ALL_VERBS],
    subresources: r.subresources ?? [],
  };
}

/** Types a kind's hooks by its object type; the registry holds them all as KubeObject. */
export function defineKind<T extends KubeObject>(def: KindDefinition<T>): KindDefinition {
  return def as unknown as KindDefinition;
}

/** The NAME column every kind starts with. */
export const nameColumn: PrinterColumn<KubeObject> = {
  name: 'Name',
  type: 'string',
  priority: 0,
  description: 'Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  cell: (o) => o.metadata.name ?? '',
};

/** The AGE column: the time since the object was created. */
export const ageColumn: PrinterColumn<KubeObject> = {
  name: 'Age',
  type: 'string',
  priority: 0,
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (o, now) => ageOf(o.metadata.creationTimestamp, now),
};

/** The columns of a kind that declares none, as kube-apiserver's default table convertor prints it. */
export const DEFAULT_COLUMNS: readonly PrinterColumn<KubeObject>[] = [nameColumn, ageColumn];
