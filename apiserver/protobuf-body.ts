// Request bodies in Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf): the
// "k8s\0" magic, a runtime.Unknown envelope (typeMeta, raw) and the object's own message.
// kubectl 1.33's typed clients send `create configmap`, `create secret`, `create namespace` and
// `create serviceaccount` this way, with no fallback to JSON, so the kinds they create are decoded here into the JSON
// shape every other step already takes. A few lines of wire format rather than a protobuf library and
// generated modules: only decoding, of a fixed, small message family (as the OpenAPI v2
// encoder in handlers/openapi-v2-proto.ts does the other way). Answers go out as JSON, which
// those clients accept.
import { errors } from '../api/errors.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Json = Record<string, unknown>;

/** One field of a message: its number and its value (a varint as a number, else the bytes). */
interface Field {
  no: number;
  varint?: number;
  bytes?: Buffer;
}

function malformed(why: string): never {
  throw errors.badRequest(`the request body is not a valid protobuf object: ${why}`);
}

/** The fields of one message, in order; fixed32/fixed64 are skipped (none of ours has them). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): number => {
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= buf.length) malformed('truncated varint');
      const b = buf[at++] as number;
      n += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return n;
      mul *= 128;
    }
    return malformed('varint longer than 10 bytes');
  };
  while (at < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        out.push({ no, varint: varint() });
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const len = varint();
        if (at + len > buf.length) malformed(`field ${no} runs past the end`);
        out.push({ no, bytes: buf.subarray(at, at + len) });
        at += len;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        malformed(`wire type ${key & 7} of field ${no}`);
    }
  }
  if (at > buf.length) malformed('truncated fixed-width field');
  return out;
}

const str = (f: Field) => (f.bytes ?? Buffer.alloc(0)).toString('utf8');

/** A map<string, string|bytes> field's entry: key = 1, value = 2. */
function mapEntry(f: Field, value: (v: Buffer) => string, into: Json): void {
  let k = '';
  let v: Buffer = Buffer.alloc(0);
  for (const e of fields(f.bytes ?? Buffer.alloc(0))) {
    if (e.no === 1) k = str(e);
    else if (e.no === 2) v = e.bytes ?? Buffer.alloc(0);
  }
  into[k] = value(v);
}

const utf8 = (v: Buffer) => v.toString('utf8');
const base64 = (v: Buffer) => v.toString('base64');

/** meta/v1 ObjectMeta: what a client may set on create (times, owners and managed fields are the server's). */
function objectMeta(buf: Buffer): Json {
  const m: Json = {};
  const labels: Json = {};
  const annotations: Json = {};
  const finalizers: string[] = [];
  for (const f of fields(buf)) {
    if (f.no === 1) m.name = str(f);
    else if (f.no === 2) m.generateName = str(f);
    else if (f.no === 3) m.namespace = str(f);
    else if (f.no === 5) m.uid = str(f);
    else if (f.no === 6) m.resourceVersion = str(f);
    else if (f.no === 11) mapEntry(f, utf8, labels);
    else if (f.no === 12) mapEntry(f, utf8, annotations);
    else if (f.no === 14) finalizers.push(str(f));
  }
  if (Object.keys(labels).length) m.labels = labels;
  if (Object.keys(annotations).length) m.annotations = annotations;
  if (finalizers.length) m.finalizers = finalizers;
  // Go's encoder writes "" for an unset string: unset it is.
  for (const k of Object.keys(m)) if (m[k] === '') delete m[k];
  return m;
}

/** The message of each kind decoded here: field number → how it lands in the JSON object. */
type FieldDecoder = (f: Field, into: Json) => void;
const mapField = (name: string, value: (v: Buffer) => string): FieldDecoder => (f, into) => mapEntry(f, value, (into[name] ??= {}) as Json);
const boolField = (name: string): FieldDecoder => (f, into) => (into[name] = f.varint === 1);
const strField = (name: string): FieldDecoder => (f, into) => (into[name] = str(f));

/** A repeated message of string fields (field number → JSON name), one element per occurrence. */
const listField = (name: string, strings: Record<number, string>): FieldDecoder => (f, into) => {
  const el: Json = {};
  for (const e of fields(f.bytes ?? Buffer.alloc(0))) {
    const key = strings[e.no];
    if (key !== undefined && e.bytes !== undefined && e.bytes.length > 0) el[key] = str(e);
  }
  ((into[name] ??= []) as Json[]).push(el);
};
/** core/v1 ObjectReference's string fields. */
const OBJECT_REFERENCE: Record<number, string> = { 1: 'kind', 2: 'namespace', 3: 'name', 4: 'uid', 5: 'apiVersion', 6: 'resourceVersion', 7: 'fieldPath' };

const KINDS: Record<string, Record<number, FieldDecoder>> = {
  'v1/ConfigMap': { 2: mapField('data', utf8), 3: mapField('binaryData', base64), 4: boolField('immutable') },
  'v1/Secret': { 2: mapField('data', base64), 3: strField('type'), 4: mapField('stringData', utf8), 5: boolField('immutable') },
  // `kubectl create namespace`: metadata only (spec.finalizers is the server's default).
  'v1/Namespace': {},
  // `kubectl create serviceaccount`: secrets (ObjectReference), imagePullSecrets (LocalObjectReference).
  'v1/ServiceAccount': { 2: listField('secrets', OBJECT_REFERENCE), 3: listField('imagePullSecrets', { 1: 'name' }), 4: boolField('automountServiceAccountToken') },
};

/** The body's kind, read from its envelope, when it is in protobuf's envelope at all. */
export function protobufKind(raw: Buffer): { apiVersion: string; kind: string } | undefined {
  if (raw.length < MAGIC.length || !raw.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const typeMeta = fields(raw.subarray(MAGIC.length)).find((f) => f.no === 1);
  const tm = fields(typeMeta?.bytes ?? Buffer.alloc(0));
  return { apiVersion: str(tm.find((f) => f.no === 1) ?? { no: 1 }), kind: str(tm.find((f) => f.no === 2) ?? { no: 2 }) };
}

/** Whether a protobuf body of this apiVersion and kind can be decoded here. */
export function decodesProtobuf(apiVersion: string, kind: string): boolean {
  return Object.hasOwn(KINDS, `${apiVersion}/${kind}`);
}

/** The object in a protobuf body of a kind `decodesProtobuf` accepts, as JSON would have carried it. */
export function decodeProtobufObject(raw: Buffer): Json {
  const type = protobufKind(raw);
  if (!type || !decodesProtobuf(type.apiVersion, type.kind)) return malformed('not a kind decoded here in the k8s envelope');
  const envelope = fields(raw.subarray(MAGIC.length));
  const encoding = envelope.find((f) => f.no === 3);
  if (encoding && str(encoding) !== '') malformed(`content encoding ${JSON.stringify(str(encoding).slice(0, 40))}`);
  const body = envelope.find((f) => f.no === 2)?.bytes ?? Buffer.alloc(0);
  const decoders = KINDS[`${type.apiVersion}/${type.kind}`] ?? {};
  const obj: Json = { apiVersion: type.apiVersion, kind: type.kind, metadata: {} };
  for (const f of fields(body)) {
    if (f.no === 1) obj.metadata = objectMeta(f.bytes ?? Buffer.alloc(0));
    else decoders[f.no]?.(f, obj);
  }
  return obj;
}
