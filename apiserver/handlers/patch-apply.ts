// Applying a PATCH body to the stored object: JSON merge patch (RFC 7386), JSON patch
// (RFC 6902, through fast-json-patch) and strategic merge patch (strategic-merge.ts). Server-side
// apply is not a patch of the stored object; it goes through server-side-apply.ts.
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { errors } from '../../api/errors.js';
import type { BodyFormat } from '../body.js';
import { strategicMerge } from './strategic-merge.js';

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

export function applyPatchBody(current: unknown, patch: unknown, format: BodyFormat): unknown {
  switch (format) {
    case 'merge-patch':
      if (!isObject(patch)) throw errors.badRequest('a merge patch must be a JSON object');
      return mergePatch(current, patch);
    case 'strategic-merge-patch':
      if (!isObject(patch)) throw errors.badRequest('a strategic merge patch must be a JSON object');
      return strategicMerge(current, patch);
    case 'json-patch': {
      if (!Array.isArray(patch)) throw errors.badRequest('a JSON patch must be a JSON array of operations');
      try {
        return jsonPatch.applyPatch(structuredClone(current), patch as Operation[], true, true).newDocument;
      } catch (e) {
        throw errors.badRequest(`the JSON patch could not be applied: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    case 'apply-patch':
      // An apply is not a patch of the stored object: it has its own path (server-side-apply.ts).
      throw errors.internal('an apply patch reached the generic patch path');
    default:
      throw errors.unsupportedMediaType(`PATCH needs Content-Type application/merge-patch+json, application/json-patch+json or application/strategic-merge-patch+json`);
  }
}
