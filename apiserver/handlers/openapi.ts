// /openapi/v2 and /openapi/v3[/<group-version>]: the served types' schemas, built once from
// api/'s JSON Schemas (api/openapi.ts). kubectl reads v3 for `explain`, for its client-side
// field validation, and — from the PATCH operations' fieldValidation parameter — to learn
// that the server validates fields itself; it reads v2 (as protobuf) to validate the items
// of a `kind: List` itself, which it never leaves to the server.
import { buildOpenAPIV2, buildOpenAPIV3, buildOpenAPIV3Index, openAPIV3GroupVersions } from '../../api/openapi.js';
import { encodeOpenAPIV2 } from './openapi-v2-proto.js';

const VERSION = 'v1.30.0';
const docs = new Map(openAPIV3GroupVersions().map((gv) => [gv, JSON.stringify(buildOpenAPIV3(gv, { version: VERSION }))]));
const index = buildOpenAPIV3Index({ version: VERSION });

// kubectl asks with the old name (…spec.v2@v1.0+protobuf), which is no valid media type for
// Go's mime parser, so the answer carries the name kube-openapi answers with.
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

let v2: { json: string; proto: Buffer } | undefined;

export function openApiIndex(): unknown {
  return index;
}

/** The document of one group-version ("api/v1", "apis/coordination.k8s.io/v1") as JSON. */
export function openApiDocument(gv: string): string | undefined {
  return docs.get(gv);
}

/** The v2 document in the form the Accept header asks for (protobuf for kubectl, else JSON); built on first use. */
export function openApiV2(accept: string | undefined): { contentType: string; body: Buffer } {
  if (!v2) {
    const doc = buildOpenAPIV2({ version: VERSION });
    v2 = { json: JSON.stringify(doc), proto: encodeOpenAPIV2(doc) };
  }
  if (accept?.includes('protobuf')) return { contentType: OPENAPI_V2_PROTOBUF, body: v2.proto };
  return { contentType: 'application/json', body: Buffer.from(v2.json) };
}
