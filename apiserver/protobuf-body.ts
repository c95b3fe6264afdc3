// Request bodies in Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf), for
// the kinds kubectl's generators send that way: kubectl 1.33's `create namespace`,
// `create configmap`, `create secret`, `create pdb` and `create service` post their object as protobuf (and
// `drain` its Evictions), with no fallback to
// JSON on 415. The envelope is "k8s\0" then a runtime.Unknown (typeMeta, raw), raw being the
// object's message from k8s.io/api's generated.proto. Decoded here to the JSON form the rest
// of the pipeline takes; every other kind stays 415, and a field these tables do not know is
// refused (400) rather than dropped. A few tables and a wire reader instead of a protobuf
// library and generated modules, as openapi-v2-proto.ts does for the other direction.
import { errors } from '../api/errors.js';
import { authorizationMessages } from './protobuf-authorization.js';
import { policyMessages } from './protobuf-policy.js';
import { serviceMessages } from './protobuf-service.js';
import { workloadMessages } from './protobuf-workloads.js';
import { metaTime } from '../api/time.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/**
 * How a field decodes. Go's generated code writes a non-pointer field even at its zero value,
 * which means unset ('int', 'flag', 'string'); a pointer field is written only when set, so
 * its zero is a value ('int?', 'bool'). 'int-or-string' is intstr.IntOrString.
 */
export type FieldType = 'string' | 'bytes' | 'bool' | 'flag' | 'int' | 'int?' | 'int-or-string' | 'time' | 'strings' | 'map-string' | 'map-bytes' | Message | Repeated;
export interface Message {
  name: string;
  fields: Record<number, [string, FieldType]>;
}
/** A repeated message field: each occurrence is one element of the list. */
interface Repeated {
  list: Message;
}

const TYPE_META: Message = { name: 'TypeMeta', fields: { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] } };
const UNKNOWN: Message = { name: 'Unknown', fields: { 1: ['typeMeta', TYPE_META], 2: ['raw', 'bytes'], 3: ['contentEncoding', 'string'], 4: ['contentType', 'string'] } };
const OBJECT_META: Message = {
  name: 'ObjectMeta',
  fields: {
    1: ['name', 'string'], 2: ['generateName', 'string'], 3: ['namespace', 'string'], 4: ['selfLink', 'string'], 5: ['uid', 'string'], 6: ['resourceVersion', 'string'],
    7: ['generation', 'int'], 8: ['creationTimestamp', 'time'], 11: ['labels', 'map-string'], 12: ['annotations', 'map-string'], 14: ['finalizers', 'strings'],
    // kubectl create job --from=cronjob/x names the CronJob as its owner.
    13: ['ownerReferences', { list: { name: 'OwnerReference', fields: { 1: ['kind', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'], 5: ['apiVersion', 'string'], 6: ['controller', 'bool'], 7: ['blockOwnerDeletion', 'bool'] } } }],
  },
};
const NAMESPACE_CONDITION: Message = {
  name: 'NamespaceCondition',
  fields: { 1: ['type', 'string'], 2: ['status', 'string'], 4: ['lastTransitionTime', 'time'], 5: ['reason', 'string'], 6: ['message', 'string'] },
};
/** The kinds decoded, by apiVersion/kind. */
const KINDS: Record<string, Message> = {
  ...workloadMessages(OBJECT_META),
  'v1/Namespace': { name: 'Namespace', fields: { 1: ['metadata', OBJECT_META], 2: ['spec', { name: 'NamespaceSpec', fields: { 1: ['finalizers', 'strings'] } }], 3: ['status', { name: 'NamespaceStatus', fields: { 1: ['phase', 'string'], 2: ['conditions', { list: NAMESPACE_CONDITION }] } }] } },
  'v1/ConfigMap': { name: 'ConfigMap', fields: { 1: ['metadata', OBJECT_META], 2: ['data', 'map-string'], 3: ['binaryData', 'map-bytes'], 4: ['immutable', 'bool'] } },
  'v1/Secret': { name: 'Secret', fields: { 1: ['metadata', OBJECT_META], 2: ['data', 'map-bytes'], 3: ['type', 'string'], 4: ['stringData', 'map-string'], 5: ['immutable', 'bool'] } },
  'v1/ServiceAccount': {
    name: 'ServiceAccount',
    fields: {
      1: ['metadata', OBJECT_META],
      2: ['secrets', { list: { name: 'ObjectReference', fields: { 1: ['kind', 'string'], 2: ['namespace', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'], 5: ['apiVersion', 'string'], 6: ['resourceVersion', 'string'], 7: ['fieldPath', 'string'] } } }],
      3: ['imagePullSecrets', { list: { name: 'LocalObjectReference', fields: { 1: ['name', 'string'] } } }],
      4: ['automountServiceAccountToken', 'bool'],
    },
  },
  ...policyMessages(OBJECT_META),
  ...serviceMessages(OBJECT_META),
  ...authorizationMessages(OBJECT_META),
};
const INT_OR_STRING: Message = { name: 'IntOrString', fields: { 1: ['type', 'int'], 2: ['intVal', 'int'], 3: ['strVal', 'string'] } };
const ENTRY = (value: FieldType): Message => ({ name: 'entry', fields: { 1: ['key', 'string'], 2: ['value', value] } });

function bad(message: string): never {
  throw errors.badRequest(`couldn't decode the request body as protobuf: ${message}`);
}

/** One message's fields as they come off the wire: number, wire type, and the varint or the bytes. */
function* wireFields(b: Buffer): Generator<{ field: number; varint?: bigint; bytes?: Buffer }> {
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (i >= b.length || shift > 63n) bad('truncated varint');
      const byte = b[i++];
      v |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return v;
    }
  };
  while (i < b.length) {
    const tag = varint();
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) yield { field, varint: varint() };
    else if (wire === 2) {
      const len = Number(varint());
      if (i + len > b.length) bad('truncated field');
      yield { field, bytes: b.subarray(i, i + len) };
      i += len;
    } else bad(`wire type ${wire} of field ${field} is not used by these kinds`);
  }
}

function decodeMessage(b: Buffer, m: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of wireFields(b)) {
    const spec = m.fields[f.field];
    if (!spec) bad(`unknown field ${f.field} in ${m.name}`);
    const [name, type] = spec;
    if (typeof type === 'object' || !['bool', 'flag', 'int', 'int?'].includes(type)) {
      if (!f.bytes) bad(`field ${name} of ${m.name} is not length-delimited`);
    } else if (f.varint === undefined) bad(`field ${name} of ${m.name} is not a varint`);
    const bytes = f.bytes ?? Buffer.alloc(0);
    // Go's generated code writes every non-pointer field, zero values too: a zero string,
    // number or message is Go's unset, as a field missing from JSON is.
    if (typeof type === 'object' && 'list' in type) {
      ((out[name] ??= []) as unknown[]).push(decodeMessage(bytes, type.list));
    } else if (typeof type === 'object') {
      const sub = decodeMessage(bytes, type);
      if (Object.keys(sub).length > 0) out[name] = sub;
    } else if (type === 'string') {
      if (bytes.length > 0) out[name] = bytes.toString('utf8');
    } else if (type === 'int' || type === 'int?') {
      if (f.varint || type === 'int?') out[name] = Number(BigInt.asIntN(64, f.varint ?? 0n));
    } else if (type === 'int-or-string') {
      const v = decodeMessage(bytes, INT_OR_STRING);
      out[name] = v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    } else if (type === 'bytes') out[name] = bytes.toString('base64');
    else if (type === 'bool') out[name] = f.varint !== 0n;
    else if (type === 'flag') {
      if (f.varint) out[name] = true;
    }
    else if (type === 'strings') ((out[name] ??= []) as string[]).push(bytes.toString('utf8'));
    else if (type === 'time') {
      const t = decodeMessage(bytes, { name: 'Time', fields: { 1: ['seconds', 'int'], 2: ['nanos', 'int'] } });
      // The zero Time (kubectl's unset creationTimestamp) is sent as an empty message: unset.
      if (t.seconds) out[name] = metaTime(Number(t.seconds) * 1000);
    } else {
      const e = decodeMessage(bytes, ENTRY(type === 'map-string' ? 'string' : 'bytes'));
      // defineProperty: a key "__proto__" is a key like any other, not the object's prototype.
      Object.defineProperty((out[name] ??= {}) as object, String(e.key ?? ''), { value: e.value ?? '', enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

/** The object a protobuf body holds, as JSON would give it; 415 for a kind not decoded here. */
export function decodeProtobufObject(raw: Buffer): Record<string, unknown> {
  if (raw.length < MAGIC.length || !raw.subarray(0, MAGIC.length).equals(MAGIC)) bad('no "k8s\\0" prefix');
  const unknown = decodeMessage(raw.subarray(MAGIC.length), UNKNOWN);
  const tm = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  if (unknown.contentEncoding) bad(`content encoding ${JSON.stringify(unknown.contentEncoding)}`);
  const m = KINDS[`${tm.apiVersion}/${tm.kind}`];
  if (!m) {
    throw errors.unsupportedMediaType(`the body of the request was in an unknown format - ${PROTOBUF_CONTENT_TYPE} is decoded for ${Object.keys(KINDS).join(', ')} only, not ${tm.apiVersion}/${tm.kind}: send it as application/json`);
  }
  return { apiVersion: tm.apiVersion, kind: tm.kind, ...decodeMessage(Buffer.from(String(unknown.raw ?? ''), 'base64'), m) };
}
