// /openapi/v2 as kubectl asks for it: protobuf (Accept:
// application/com.github.proto-openapi.spec.v2@v1.0+protobuf), the messages of gnostic's
// OpenAPIv2.proto. kubectl falls back to this document to validate the items of a
// `kind: List` on its own side, so the definitions (with their x-kubernetes-* extensions,
// carried as YAML, of which JSON is a subset) are what it needs; paths are left out, as
// nothing kubectl does with v2 reads them. A few lines of wire format instead of a
// protobuf library and a generated module: only encoding, of one fixed message family.

type Json = Record<string, unknown>;

/** Protocol buffers' wire format: varints and length-delimited fields, enough for strings, bools and messages. */
class ProtoWriter {
  readonly #parts: Buffer[] = [];

  #varint(n: number): void {
    const bytes: number[] = [];
    let v = n;
    while (v > 0x7f) {
      bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(v);
    this.#parts.push(Buffer.from(bytes));
  }

  bytes(field: number, b: Buffer): this {
    this.#varint((field << 3) | 2);
    this.#varint(b.length);
    this.#parts.push(b);
    return this;
  }

  string(field: number, s: string | undefined): this {
    return s === undefined || s === '' ? this : this.bytes(field, Buffer.from(s, 'utf8'));
  }

  bool(field: number, v: boolean): this {
    if (!v) return this;
    this.#varint(field << 3);
    this.#varint(1);
    return this;
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

/** Any { string yaml = 2 } */
function anyOf(value: unknown): ProtoWriter {
  return new ProtoWriter().string(2, JSON.stringify(value));
}

/** NamedAny { name = 1; Any value = 2 } */
function namedAny(name: string, value: unknown): ProtoWriter {
  return new ProtoWriter().string(1, name).message(2, anyOf(value));
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Schema: the fields kube-openapi reads when it parses definitions. */
function schema(s: Json): ProtoWriter {
  const w = new ProtoWriter();
  if (typeof s.$ref === 'string') w.string(1, s.$ref);
  if (typeof s.format === 'string') w.string(2, s.format);
  if (typeof s.description === 'string') w.string(4, s.description);
  if (Array.isArray(s.required)) for (const r of s.required) w.string(19, String(r));
  if (Array.isArray(s.enum)) for (const e of s.enum) w.message(20, anyOf(e));
  if (isObj(s.additionalProperties)) w.message(21, new ProtoWriter().message(1, schema(s.additionalProperties)));
  else if (typeof s.additionalProperties === 'boolean') w.message(21, new ProtoWriter().bool(2, s.additionalProperties));
  if (typeof s.type === 'string') w.message(22, new ProtoWriter().string(1, s.type));
  if (isObj(s.items)) w.message(23, new ProtoWriter().message(1, schema(s.items)));
  if (isObj(s.properties)) {
    const props = new ProtoWriter();
    for (const [name, sub] of Object.entries(s.properties)) if (isObj(sub)) props.message(1, new ProtoWriter().string(1, name).message(2, schema(sub)));
    w.message(25, props);
  }
  for (const [k, v] of Object.entries(s)) if (k.startsWith('x-')) w.message(31, namedAny(k, v));
  return w;
}

/** Document { swagger = 1; Info info = 2; Definitions definitions = 9 } */
export function encodeOpenAPIV2(doc: Json): Buffer {
  const info = isObj(doc.info) ? doc.info : {};
  const defs = new ProtoWriter();
  for (const [name, s] of Object.entries(isObj(doc.definitions) ? doc.definitions : {})) {
    if (isObj(s)) defs.message(1, new ProtoWriter().string(1, name).message(2, schema(s)));
  }
  return new ProtoWriter()
    .string(1, String(doc.swagger ?? '2.0'))
    .message(2, new ProtoWriter().string(1, String(info.title ?? '')).string(2, String(info.version ?? '')))
    .message(9, defs)
    .finish();
}
