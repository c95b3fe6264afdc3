// /openapi/v3 and /openapi/v3/<group-version>: the served types' schemas, built once from
// api/'s JSON Schemas (api/openapi.ts). kubectl reads them for `explain`, for its
// client-side field validation, and — from the PATCH operations' fieldValidation parameter
// — to learn that the server validates fields itself.
import { buildOpenAPIV3, buildOpenAPIV3Index, openAPIV3GroupVersions } from '../../api/openapi.js';

const VERSION = 'v1.30.0';
const docs = new Map(openAPIV3GroupVersions().map((gv) => [gv, JSON.stringify(buildOpenAPIV3(gv, { version: VERSION }))]));
const index = buildOpenAPIV3Index({ version: VERSION });

export function openApiIndex(): unknown {
  return index;
}

/** The document of one group-version ("api/v1", "apis/coordination.k8s.io/v1") as JSON. */
export function openApiDocument(gv: string): string | undefined {
  return docs.get(gv);
}
