// Field paths and validation causes in Kubernetes' shape (apimachinery util/validation/field):
// paths read `spec.containers[0].resources.limits.memory`, and each cause's message is the
// error body kube-apiserver gives ("Required value", `Invalid value: "x": detail`, ...).
import type { StatusCause } from '../types/meta.js';

export class FieldPath {
  private constructor(private readonly text: string) {}

  static root(name = ''): FieldPath {
    return new FieldPath(name);
  }

  child(...names: string[]): FieldPath {
    let t = this.text;
    for (const n of names) t = t ? `${t}.${n}` : n;
    return new FieldPath(t);
  }

  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }

  /** A map key: `.cpu` for plain keys (as the project's API paths are written), `[app.kubernetes.io/name]` otherwise. */
  key(k: string): FieldPath {
    return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? this.child(k) : new FieldPath(`${this.text}[${k}]`);
  }

  /** apimachinery's Path.Key, always bracketed: `data[key.name]`. */
  bracketKey(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }

  toString(): string {
    return this.text;
  }
}

/** How Kubernetes prints a bad value: strings quoted, numbers and booleans bare, objects left out. */
function show(value: unknown): string | undefined {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return undefined;
}

function cause(reason: StatusCause['reason'], path: FieldPath, message: string): StatusCause {
  return { reason, message, field: path.toString() };
}

const withDetail = (head: string, detail?: string): string => (detail ? `${head}: ${detail}` : head);

export const required = (path: FieldPath, detail?: string): StatusCause => cause('FieldValueRequired', path, withDetail('Required value', detail));

export function invalid(path: FieldPath, value: unknown, detail: string): StatusCause {
  const v = show(value);
  return cause('FieldValueInvalid', path, withDetail(v === undefined ? 'Invalid value' : `Invalid value: ${v}`, detail));
}

export function typeInvalid(path: FieldPath, value: unknown, detail: string): StatusCause {
  const v = show(value);
  return cause('FieldValueTypeInvalid', path, withDetail(v === undefined ? 'Invalid value' : `Invalid value: ${v}`, detail));
}

export function notSupported(path: FieldPath, value: unknown, supported: readonly unknown[]): StatusCause {
  const v = show(value) ?? '""';
  const list = supported.map((s) => show(s) ?? String(s)).join(', ');
  return cause('FieldValueNotSupported', path, `Unsupported value: ${v}${list ? `: supported values: ${list}` : ''}`);
}

export const duplicate = (path: FieldPath, value: unknown): StatusCause => cause('FieldValueDuplicate', path, `Duplicate value: ${show(value) ?? 'object'}`);
export const notFound = (path: FieldPath, value: unknown): StatusCause => cause('FieldValueNotFound', path, `Not found: ${show(value) ?? 'object'}`);
export const forbidden = (path: FieldPath, detail: string): StatusCause => cause('FieldValueForbidden', path, withDetail('Forbidden', detail));
export const tooMany = (path: FieldPath, actual: number, max: number): StatusCause => cause('FieldValueTooMany', path, `Too many: ${actual}: must have at most ${max} items`);
export const tooLong = (path: FieldPath, max: number): StatusCause => cause('FieldValueTooLong', path, `Too long: must have at most ${max} bytes`);

/** Shorthands used by every validator: the value when it has the expected type, else undefined. */
export const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const asArray = <T>(v: T[] | undefined | unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
