// Request bodies: read up to 3 MiB (kube-apiserver's limit; more is 413 before the body is
// parsed), then decode JSON or YAML by Content-Type. Parser errors are 400 with the parser's
// own message, so a user can find the broken line.
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { errors } from '../api/errors.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export type BodyFormat = 'json' | 'yaml' | 'merge-patch' | 'json-patch' | 'strategic-merge-patch' | 'apply-patch';

export function bodyFormat(contentType: string | undefined): BodyFormat {
  const ct = (contentType ?? '').split(';')[0].trim().toLowerCase();
  switch (ct) {
    case '':
    case 'application/json':
    case 'text/json':
      return 'json';
    case 'application/yaml':
    case 'application/x-yaml':
    case 'text/yaml':
      return 'yaml';
    case 'application/merge-patch+json':
      return 'merge-patch';
    case 'application/json-patch+json':
      return 'json-patch';
    case 'application/strategic-merge-patch+json':
      return 'strategic-merge-patch';
    case 'application/apply-patch+yaml':
      return 'apply-patch';
    default:
      throw errors.unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got "${ct}")`);
  }
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

/** Decodes a body already read; YAML is accepted for any object body (JSON is YAML too). */
export function decodeBody(raw: Buffer, format: BodyFormat): unknown {
  const text = raw.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the request body is empty');
  if (format === 'yaml' || format === 'apply-patch') {
    const docs = parseAllDocuments(text);
    if (Array.isArray(docs) && docs.length > 1) throw errors.badRequest('the request body holds more than one YAML document');
    try {
      return parseYaml(text, { prettyErrors: true });
    } catch (e) {
      throw errors.badRequest(`error converting YAML to JSON: ${(e as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`couldn't decode the request body as JSON: ${(e as Error).message}`);
  }
}
