// Request bodies: read up to 3 MiB (kube-apiserver's limit; more is 413 before the body is
// parsed), then decode JSON or YAML by Content-Type. Parser errors are 400 with the parser's
// own message, so a user can find the broken line.
//
// Before JSON.parse sees a body, one pass over its text bounds its nesting (a megabyte of
// "[[[[" would otherwise cost the parser tens of megabytes, and a deep object overflows the
// stack of every recursive step after it) and finds duplicate keys, which JSON.parse would
// silently resolve to the last one (Strict field validation refuses them, Warn says so).
import type { IncomingMessage } from 'node:http';
import { Lexer, parse as parseYaml, parseAllDocuments } from 'yaml';
import { errors, isApiError } from '../api/errors.js';
import { FieldPath } from '../api/validation/field.js';
import { decodeProtobufObject, decodesProtobuf, protobufKind } from './protobuf-body.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * The deepest nesting a body may have. Kubernetes' decoders stop at 10,000; here the limit is
 * lower because what follows the decoder runs on Node's stack (structuredClone fails near
 * 2,000 levels, the YAML composer near 700). The deepest real object is a few dozen levels.
 */
export const MAX_NESTING_DEPTH = 500;

export type BodyFormat = 'json' | 'yaml' | 'protobuf' | 'merge-patch' | 'json-patch' | 'strategic-merge-patch' | 'apply-patch';

/** What a request's body may be: an object (POST, PUT, DeleteOptions) or a patch (PATCH). */
export type BodyUse = 'object' | 'patch';

const OBJECT_TYPES: Record<string, BodyFormat> = {
  'application/json': 'json',
  'application/yaml': 'yaml',
  'application/x-yaml': 'yaml',
  'text/yaml': 'yaml',
};

const PATCH_TYPES: Record<string, BodyFormat> = {
  'application/json-patch+json': 'json-patch',
  'application/merge-patch+json': 'merge-patch',
  'application/strategic-merge-patch+json': 'strategic-merge-patch',
  'application/apply-patch+yaml': 'apply-patch',
};

// RFC 7231 media type: type "/" subtype *( OWS ";" OWS parameter ), parameter = token "=" ( token / quoted-string ).
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^\\s*(${TOKEN}/${TOKEN})\\s*((?:;\\s*${TOKEN}=(?:${TOKEN}|"(?:[^"\\\\]|\\\\.)*")\\s*)*);?\\s*$`);

/** The body format of a Content-Type for this use: 415, as kube-apiserver answers, for anything else. */
export function bodyFormat(contentType: string | undefined, use: BodyUse = 'object'): BodyFormat {
  const accepted = use === 'patch' ? PATCH_TYPES : OBJECT_TYPES;
  // No Content-Type is the first serializer's (JSON) for an object, as in Kubernetes' negotiation.
  if ((contentType === undefined || contentType.trim() === '') && use === 'object') return 'json';
  const type = MEDIA_TYPE.exec(contentType ?? '')?.[1].toLowerCase();
  if (type !== undefined && Object.hasOwn(accepted, type)) return accepted[type];
  // Protobuf only for the kinds protobuf-body.ts decodes: decodeBody says 415 for the others.
  if (type === PROTOBUF && use === 'object') return 'protobuf';
  throw unsupported(accepted, contentType);
}

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

function unsupported(accepted: Record<string, BodyFormat>, contentType: string | undefined) {
  return errors.unsupportedMediaType(
    `the body of the request was in an unknown format - accepted media types include: ${Object.keys(accepted).join(', ')} (got ${JSON.stringify(contentType ?? '')})`,
  );
}

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(errors.tooLarge(`the request body is ${declared} bytes, more than the limit of ${limit}`));
  }
  // Plain listeners rather than `for await`: the async iterator costs more than the parse
  // of a typical object, and this is on every write.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (b: Buffer) => {
      if (failed) return;
      size += b.length;
      if (size > limit) {
        failed = true;
        reject(errors.tooLarge(`the request body is more than the limit of ${limit} bytes`));
        return;
      }
      chunks.push(b);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(errors.badRequest(`reading the request body: ${e.message}`));
    });
  });
}

function tooDeep(): never {
  throw errors.badRequest(`the request body is nested more than ${MAX_NESTING_DEPTH} levels deep`);
}

interface Frame {
  object: boolean;
  /** the current key (objects) or index (arrays) */
  at: string | number;
  expectKey: boolean;
  keys?: Set<string>;
}

function pathOf(frames: Frame[]): string {
  let p = FieldPath.root();
  for (const f of frames) p = typeof f.at === 'number' ? p.index(f.at) : p.key(f.at);
  return p.toString();
}

/** The characters after the first of a JSON number: digits, sign, point, exponent. */
const NUMBER_CHARS = new Set([...'0123456789+-.eE'].map((ch) => ch.charCodeAt(0)));
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;

function checkInteger(literal: string, frames: Frame[]): void {
  if (!/^-?\d+$/.test(literal)) return;
  const n = BigInt(literal);
  if (n < INT64[0] || n > INT64[1]) {
    throw errors.badRequest(`json: cannot unmarshal number ${literal.slice(0, 40)} into a 64-bit integer${frames.length ? ` at ${pathOf(frames)}` : ''}`);
  }
}

/**
 * One pass over JSON text: refuses nesting past MAX_NESTING_DEPTH and integers outside int64,
 * and answers the paths of duplicate keys ("metadata.name"). Malformed text is left for
 * JSON.parse to report.
 */
export function scanJson(text: string): string[] {
  const frames: Frame[] = [];
  let duplicates: string[] | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: find its closing quote (one not escaped by an odd run of backslashes).
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return duplicates ?? [];
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        if ((j - 1 - k) % 2 === 0) break;
      }
      const top = frames.at(-1);
      if (top?.object && top.expectKey) {
        let key = text.slice(i + 1, j);
        if (key.includes('\\')) {
          try {
            key = JSON.parse(text.slice(i, j + 1)) as string;
          } catch {
            return duplicates ?? [];
          }
        }
        top.keys ??= new Set();
        top.at = key;
        top.expectKey = false;
        if (top.keys.has(key)) (duplicates ??= []).push(pathOf(frames));
        else top.keys.add(key);
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      if (frames.length >= MAX_NESTING_DEPTH) tooDeep();
      frames.push(c === 0x7b ? { object: true, at: '', expectKey: true } : { object: false, at: 0, expectKey: false });
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      // A number: JSON.parse would round an integer past 2^53 to a double, and 9223372036854775808
      // would pass for int64's maximum. Go's decoder refuses an integer outside int64; so here.
      let j = i + 1;
      while (j < text.length && NUMBER_CHARS.has(text.charCodeAt(j))) j++;
      if (j - i > 18) checkInteger(text.slice(i, j), frames);
      i = j - 1;
    } else if (c === 0x7d || c === 0x5d) {
      frames.pop();
    } else if (c === 0x2c) {
      const top = frames.at(-1);
      if (top?.object) top.expectKey = true;
      else if (top) top.at = (top.at as number) + 1;
    }
  }
  return duplicates ?? [];
}

/**
 * Refuses YAML that could nest past MAX_NESTING_DEPTH, before it is composed: the YAML
 * composer spends hundreds of megabytes on a body of "- - - - ..." and recurses per level.
 * The library's own lexer (iterative, linear) splits the text as its parser will, quoted and
 * block scalars included; each flow bracket and each block indicator on a line, plus the
 * line's indentation, can open at most one level, so their sum bounds the depth from above.
 */
function checkYamlDepth(text: string): void {
  let flow = 0;
  let line = 0;
  let lineStart = true;
  for (const token of new Lexer().lex(text)) {
    if (token === '\n' || token === '\r\n') {
      line = 0;
      lineStart = true;
      continue;
    }
    if (lineStart && token.length > 0 && token.trim() === '') line += token.length;
    else if (token === '[' || token === '{') flow++;
    else if (token === ']' || token === '}') flow--;
    else if (flow === 0 && (token === '-' || token === '?' || token === ':')) line++;
    lineStart = false;
    if (flow + line > MAX_NESTING_DEPTH) tooDeep();
  }
}

/**
 * A decoded YAML value made plain, without recursion: nesting past MAX_NESTING_DEPTH refused,
 * and integers (parsed as bigints, so that none is rounded) made numbers when they fit an
 * int64, refused when they do not, as the JSON scan does.
 */
function normalizeYaml(root: unknown): unknown {
  const integer = (n: bigint, at: string): number => {
    if (n < INT64[0] || n > INT64[1]) throw errors.badRequest(`cannot unmarshal number ${String(n).slice(0, 40)} into a 64-bit integer at ${at || 'the top'}`);
    return Number(n);
  };
  if (typeof root === 'bigint') return integer(root, '');
  const stack: [Record<string, unknown> | unknown[], number, string][] = [];
  if (typeof root === 'object' && root !== null) stack.push([root as Record<string, unknown>, 0, '']);
  while (stack.length > 0) {
    const [v, depth, at] = stack.pop() as [Record<string, unknown> | unknown[], number, string];
    if (depth >= MAX_NESTING_DEPTH) tooDeep();
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [k, x] of entries) {
      const here = typeof k === 'number' ? `${at}[${k}]` : at ? `${at}.${k}` : k;
      if (typeof x === 'bigint') (v as Record<string | number, unknown>)[k] = integer(x, here);
      else if (typeof x === 'object' && x !== null) stack.push([x as Record<string, unknown>, depth + 1, here]);
    }
  }
  return root;
}

export interface DecodedBody {
  body: unknown;
  /** paths of keys given more than once (JSON; the YAML parser refuses them itself) */
  duplicates: string[];
}

/** Decodes a body already read; YAML is accepted for any object body (JSON is YAML too). */
export function decodeBody(raw: Buffer, format: BodyFormat): DecodedBody {
  if (format === 'protobuf') {
    const type = protobufKind(raw);
    if (!type || !decodesProtobuf(type.apiVersion, type.kind)) throw unsupported(OBJECT_TYPES, PROTOBUF);
    return { body: decodeProtobufObject(raw), duplicates: [] };
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the request body is empty');
  if (format === 'yaml' || format === 'apply-patch') {
    checkYamlDepth(text);
    let body: unknown;
    try {
      const docs = parseAllDocuments(text);
      if (Array.isArray(docs) && docs.length > 1) throw errors.badRequest('the request body holds more than one YAML document');
      body = parseYaml(text, { prettyErrors: true, intAsBigInt: true });
    } catch (e) {
      if (isApiError(e)) throw e;
      // The YAML composer recurses per level and reports running out of stack as a parse error.
      if (e instanceof RangeError || /call stack/i.test((e as Error).message)) tooDeep();
      throw errors.badRequest(`error converting YAML to JSON: ${(e as Error).message}`);
    }
    return { body: normalizeYaml(body), duplicates: [] };
  }
  const duplicates = scanJson(text);
  try {
    return { body: JSON.parse(text), duplicates };
  } catch (e) {
    throw errors.badRequest(`couldn't decode the request body as JSON: ${(e as Error).message}`);
  }
}
