// Applying a PATCH body to the stored object: JSON merge patch (RFC 7386), JSON patch
// (RFC 6902, through fast-json-patch) and strategic merge patch (api/strategic-merge-patch.ts). Server-side
// apply is not a patch of the stored object; it goes through server-side-apply.ts.
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { errors, isApiError } from '../../api/errors.js';
import { strategicMergePatch } from '../../api/strategic-merge-patch.js';
import type { BodyFormat } from '../body.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** kube-apiserver's limits on a JSON patch: its operations, and the bytes its copies may add (each copy can double a document). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;
export const MAX_JSON_PATCH_COPY_BYTES = 10 * 1024 * 1024;

function applyJsonPatch(current: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw errors.badRequest('a JSON patch must be a JSON array of operations');
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw errors.tooLarge(`the JSON patch has ${patch.length} operations, more than the limit of ${MAX_JSON_PATCH_OPERATIONS}`);
  }
  let doc = structuredClone(current);
  let copied = 0;
  try {
    for (const [i, op] of (patch as Operation[]).entries()) {
      if (op !== null && typeof op === 'object' && (op.op === 'move' || op.op === 'copy') && typeof op.from === 'string' && typeof op.path === 'string') {
        // RFC 6902 4.4: a value cannot move into itself (fast-json-patch would make the document circular).
        if (op.op === 'move' && (op.path === op.from || op.path.startsWith(`${op.from}/`))) {
          if (op.path !== op.from) throw errors.badRequest(`the JSON patch's operation ${i} moves ${JSON.stringify(op.from)} into itself`);
          continue;
        }
        if (op.op === 'copy') {
          copied += JSON.stringify(jsonPatch.getValueByPointer(doc, op.from) ?? null).length;
          if (copied > MAX_JSON_PATCH_COPY_BYTES) throw errors.tooLarge(`the JSON patch's copies add more than ${MAX_JSON_PATCH_COPY_BYTES} bytes`);
        }
      }
      doc = jsonPatch.applyOperation(doc, op, true, true, true, i).newDocument;
    }
    return doc;
  } catch (e) {
    if (isApiError(e)) throw e;
    throw errors.badRequest(`the JSON patch could not be applied: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** `kind` picks the strategic merge patch's list strategies (by default the current object's kind). */
export function applyPatchBody(current: unknown, patch: unknown, format: BodyFormat, kind?: string): unknown {
  switch (format) {
    case 'merge-patch':
      if (!isObject(patch)) throw errors.badRequest('a merge patch must be a JSON object');
      return mergePatch(current, patch);
    case 'strategic-merge-patch':
      return strategicMergePatch(current, patch, kind);
    case 'json-patch':
      return applyJsonPatch(current, patch);
    case 'apply-patch':
      // An apply is not a patch of the stored object: it has its own path (server-side-apply.ts).
      throw errors.internal('an apply patch reached the generic patch path');
    default:
      throw errors.unsupportedMediaType(`PATCH needs Content-Type application/merge-patch+json, application/json-patch+json or application/strategic-merge-patch+json`);
  }
}
