// Structural validation: each kind's JSON Schema compiled once with ajv on first use (compiling
// them all at load cost every process ~0.5 s of CPU before serving), ajv's
// errors turned into Kubernetes causes (field paths, reasons), and the strict-decoding check
// for fields the schema does not know (fieldValidation=Strict|Warn).
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { schemaFor } from '../kinds/index.js';
import type { JsonSchema } from '../schemas/json-schema.js';
import { EXTENSION_KEYWORDS, isInt32, isInt64 } from '../schemas/json-schema.js';
import { isQuantity, quantityError } from '../quantity.js';
import { base64ErrorOffset } from '../secrets.js';
import type { StatusCause } from '../types/meta.js';
import { FieldPath, invalid, isObject, notSupported, required, typeInvalid } from './field.js';

// ajv-formats is CommonJS; under NodeNext its default import is the module object, whose
// `default` is the plugin. Accept either shape rather than depend on interop details.
type FormatsPlugin = typeof addFormatsPlugin.default;
const addFormats: FormatsPlugin =
  (addFormatsPlugin as unknown as { default?: FormatsPlugin }).default ?? (addFormatsPlugin as unknown as FormatsPlugin);

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
addFormats(ajv, ['date-time']);
// Go's integer widths: ajv-formats' int64 accepts any double that is an integer (1e300 too).
ajv.addFormat('int64', { type: 'number', validate: isInt64 });
ajv.addFormat('int32', { type: 'number', validate: isInt32 });
// []byte fields (a ConfigMap's binaryData): standard padded base64, as Go's decoder reads it.
ajv.addFormat('byte', { type: 'string', validate: (s: string) => base64ErrorOffset(s) === undefined });
ajv.addVocabulary([...EXTENSION_KEYWORDS]);
ajv.addKeyword({ keyword: 'x-skiff-quantity', type: ['string', 'number'], schemaType: 'boolean', errors: false, validate: (_on: boolean, data: unknown) => isQuantity(data) });

const VALIDATORS = new Map<string, ValidateFunction>();

function validatorFor(kind: string): ValidateFunction | undefined {
  let validate = VALIDATORS.get(kind);
  const schema = validate ? undefined : schemaFor(kind);
  if (schema) {
    validate = ajv.compile(schema);
    VALIDATORS.set(kind, validate);
  }
  return validate;
}

/**
 * Compiles the validators of `kinds` ahead of their first use, one per turn of the event loop
 * (the Pod schema alone takes about 300 ms, which a first burst of pod creates would otherwise
 * wait for). Returns at once.
 */
export function precompileValidators(kinds: string[]): void {
  const next = (i: number) => {
    if (i >= kinds.length) return;
    validatorFor(kinds[i] as string);
    setImmediate(() => next(i + 1)).unref();
  };
  setImmediate(() => next(0)).unref();
}

/** JSON pointer "/spec/containers/0/name" -> spec.containers[0].name, reading arrays from the data. */
function pointerToPath(pointer: string, root: unknown): FieldPath {
  let path = FieldPath.root();
  let cur: unknown = root;
  if (!pointer) return path;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      path = path.index(Number(seg));
      cur = cur[Number(seg)];
    } else {
      path = path.key(seg);
      cur = isObject(cur) ? cur[seg] : undefined;
    }
  }
  return path;
}

const TYPE_NAMES: Record<string, string> = { integer: 'integer', number: 'number', string: 'string', boolean: 'boolean', object: 'object', array: 'array', null: 'null' };

function describeType(t: unknown): string {
  const types = (Array.isArray(t) ? t : String(t).split(',')).map((x) => TYPE_NAMES[String(x)] ?? String(x));
  return types.length === 1 ? types[0] : `${types.slice(0, -1).join(', ')} or ${types.at(-1)}`;
}

const FORMAT_MESSAGES: Record<string, string> = {
  'date-time': 'must be an RFC 3339 date-time',
  int64: 'must be a 64-bit integer',
  int32: 'must be a 32-bit integer',
};

function toCause(e: ErrorObject, root: unknown): StatusCause {
  const path = pointerToPath(e.instancePath, root);
  switch (e.keyword) {
    case 'required':
      return required(path.child(String((e.params as { missingProperty: string }).missingProperty)));
    case 'type':
      return typeInvalid(path, e.data, `must be of type ${describeType((e.params as { type: unknown }).type)}`);
    case 'enum':
      return notSupported(path, e.data, (e.params as { allowedValues: unknown[] }).allowedValues);
    case 'x-skiff-quantity':
      return invalid(path, e.data, quantityError(e.data) ?? 'must be a quantity');
    case 'format': {
      const format = (e.params as { format: string }).format;
      // Bytes are never echoed back: they may be a Secret's value. Where they go wrong is enough.
      if (format === 'byte' && typeof e.data === 'string') return invalid(path, undefined, `illegal base64 data at input byte ${base64ErrorOffset(e.data) ?? 0}`);
      return invalid(path, e.data, FORMAT_MESSAGES[format] ?? `must be a valid ${format}`);
    }
    default:
      return invalid(path, e.data, e.message ?? `failed ${e.keyword}`);
  }
}

/** Schema violations of obj as kind; [] when it conforms (or the kind has no schema). */
export function schemaCauses(obj: unknown, kind: string): StatusCause[] {
  const validate = validatorFor(kind);
  if (!validate) return [];
  if (!isObject(obj)) return [typeInvalid(FieldPath.root(), obj, 'must be of type object')];
  if (validate(obj)) return [];
  return (validate.errors ?? []).map((e) => toCause(e, obj));
}

/** A path as segments while walking; made into a FieldPath only for a field that is reported. */
type Segments = (string | number)[];

function pathOf(segments: Segments): string {
  let path = FieldPath.root();
  for (const s of segments) path = typeof s === 'number' ? path.index(s) : path.key(s);
  return path.toString();
}

// Runs on every write (fieldValidation=Warn drops unknown fields): no allocation per known field.
function walkUnknown(schema: JsonSchema, value: unknown, path: Segments, out: string[], remove: boolean): void {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (!items) return;
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      walkUnknown(items, value[i], path, out, remove);
      path.pop();
    }
    return;
  }
  if (!isObject(value)) return;
  const props = schema.properties;
  if (props) {
    for (const k of Object.keys(value)) {
      const sub = Object.hasOwn(props, k) ? props[k] : undefined;
      path.push(k);
      if (sub) walkUnknown(sub, value[k], path, out, remove);
      else {
        out.push(pathOf(path));
        if (remove) delete value[k];
      }
      path.pop();
    }
  } else if (schema.additionalProperties) {
    for (const k of Object.keys(value)) {
      path.push(k);
      walkUnknown(schema.additionalProperties, value[k], path, out, remove);
      path.pop();
    }
  }
  // An object schema with neither is free-form (managedFields' fieldsV1): nothing is unknown in it.
}

/**
 * Paths of fields the kind's schema does not define, e.g. ["spec.containers[0].imagee"], for
 * fieldValidation=Strict (reject: `unknown field "..."`) or Warn (a Warning header per field).
 */
export function unknownFields(obj: unknown, kind?: string): string[] {
  return unknownFieldsOf(obj, kind, false);
}

/**
 * Removes the fields the kind's schema does not define from obj (in place) and returns
 * their paths: what Kubernetes' decoding does before it stores an object under
 * fieldValidation=Warn or Ignore.
 */
export function dropUnknownFields(obj: unknown, kind?: string): string[] {
  return unknownFieldsOf(obj, kind, true);
}

/** The kind is the one given, else the object's own `kind`; a kind with no schema has no unknown fields. */
function unknownFieldsOf(obj: unknown, kind: string | undefined, remove: boolean): string[] {
  const k = kind ?? (isObject(obj) && typeof obj.kind === 'string' ? obj.kind : undefined);
  const schema = k ? schemaFor(k) : undefined;
  if (!schema) return [];
  const out: string[] = [];
  walkUnknown(schema, obj, [], out, remove);
  return out;
}
