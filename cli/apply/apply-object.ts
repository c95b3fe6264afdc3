// One object through `apply`: create it with the last-applied annotation when it does not
// exist, otherwise compute kubectl's three-way patch and write the result. The patched
// object is sent as a PUT carrying the live resourceVersion (retried on 409 Conflict): the
// same outcome as kubectl's strategic merge PATCH, without depending on the server's
// strategic-merge support, and never overwriting a change made in between.
import { isApiError } from '../../api/errors.js';
import { strategicMergePatch } from '../../api/strategic-merge-patch.js';
import type { ResourceInfo } from '../../api/resources.js';
import { resourceForKind } from '../../api/resources.js';
import type { KubeObject } from '../../api/types/meta.js';
import type { RestClient } from '../../client/rest.js';
import { CliError } from '../errors.js';
import { kindPrefix } from '../printers/output.js';
import { lastAppliedOf, withLastApplied } from './last-applied.js';
import { threeWayMergePatch, type JsonMap } from './three-way.js';

export type DryRun = 'none' | 'client' | 'server';
export type ApplyResult = 'created' | 'configured' | 'unchanged';

export interface Target {
  info: ResourceInfo;
  namespace?: string;
  name: string;
  /** "pod/kuard" */
  ref: string;
}

export function parseDryRun(v: string | boolean | undefined): DryRun {
  if (v === undefined || v === false || v === 'none') return 'none';
  if (v === true || v === 'client') return 'client';
  if (v === 'server') return 'server';
  throw new CliError(`Invalid dry-run value (${String(v)}). Must be "none", "server", or "client".`);
}

export function dryRunSuffix(d: DryRun): string {
  return d === 'client' ? ' (dry run)' : d === 'server' ? ' (server dry run)' : '';
}

/**
 * Where an object goes: its resource, its namespace (the object's, else -n, else the
 * context's; an object naming another namespace than an explicit -n is refused, as
 * kubectl does) and its name.
 */
export function targetOf(obj: KubeObject, ns: { namespace: string; explicit: boolean }, needName = true): Target {
  const info = resourceForKind(obj.apiVersion ?? '', obj.kind ?? '');
  if (!info) throw new CliError(`no matches for kind "${obj.kind}" in version "${obj.apiVersion}"`);
  let namespace: string | undefined;
  if (info.namespaced) {
    const own = obj.metadata.namespace;
    if (own && ns.explicit && own !== ns.namespace) {
      throw new CliError(
        `the namespace from the provided object "${own}" does not match the namespace "${ns.namespace}". You must pass '--namespace=${own}' to perform this operation.`,
      );
    }
    namespace = own || ns.namespace;
  }
  const name = obj.metadata.name ?? '';
  if (needName && !name) throw new CliError(`a ${info.kind} needs metadata.name to be applied`);
  return { info, namespace, name, ref: `${kindPrefix(obj)}/${name}` };
}

function withNamespace(obj: KubeObject, t: Target): KubeObject {
  return t.namespace ? { ...obj, metadata: { ...obj.metadata, namespace: t.namespace } } : obj;
}

function path(rest: RestClient, t: Target, name?: string): string {
  return rest.resource(t.info).path({ namespace: t.namespace, name });
}

function writeQuery(dryRun: DryRun): Record<string, string | undefined> {
  return { fieldManager: 'kubectl-client-side-apply', fieldValidation: 'Strict', dryRun: dryRun === 'server' ? 'All' : undefined };
}

async function getLive(rest: RestClient, t: Target): Promise<KubeObject | undefined> {
  try {
    return await rest.request<KubeObject>({ path: path(rest, t, t.name) });
  } catch (err) {
    if (isApiError(err, 'NotFound')) return undefined;
    throw err;
  }
}

/** Creates an object as it is (`skiff create -f`). */
export async function createObject(rest: RestClient, obj: KubeObject, t: Target, dryRun: DryRun): Promise<KubeObject> {
  const body = withNamespace(obj, t);
  if (dryRun === 'client') return body;
  return rest.request<KubeObject>({ method: 'POST', path: path(rest, t), query: writeQuery(dryRun), body });
}

export interface ApplyOutcome {
  result: ApplyResult;
  object: KubeObject;
  /** Said on stderr, as kubectl warns about objects created without `apply`. */
  warning?: string;
}

const MAX_CONFLICT_RETRIES = 5;

export async function applyObject(rest: RestClient, manifest: KubeObject, t: Target, dryRun: DryRun): Promise<ApplyOutcome> {
  const modified = withLastApplied(withNamespace(manifest, t));
  for (let attempt = 0; ; attempt++) {
    const live = await getLive(rest, t);
    if (!live) {
      if (dryRun === 'client') return { result: 'created', object: modified };
      try {
        const created = await rest.request<KubeObject>({ method: 'POST', path: path(rest, t), query: writeQuery(dryRun), body: modified });
        return { result: 'created', object: created };
      } catch (err) {
        // Someone created it between our GET and POST: apply again, now as an update.
        if (isApiError(err, 'AlreadyExists') && attempt < MAX_CONFLICT_RETRIES) continue;
        throw err;
      }
    }
    const original = lastAppliedOf(live);
    const warning = original
      ? undefined
      : `Warning: resource ${t.info.plural}/${t.name} is missing the kubectl.kubernetes.io/last-applied-configuration annotation which is required by skiff apply. skiff apply should only be used on resources created declaratively by either skiff create --save-config or skiff apply. The missing annotation will be patched automatically.`;
    const patch = threeWayMergePatch(original, modified as unknown as JsonMap, live as unknown as JsonMap);
    if (Object.keys(patch).length === 0) return { result: 'unchanged', object: live, warning };
    const next = strategicMergePatch(live, patch, live.kind) as unknown as KubeObject;
    if (dryRun === 'client') return { result: 'configured', object: next, warning };
    try {
      const updated = await rest.request<KubeObject>({
        method: 'PUT',
        path: path(rest, t, t.name),
        query: writeQuery(dryRun),
        body: { ...next, metadata: { ...next.metadata, resourceVersion: live.metadata.resourceVersion } },
      });
      return { result: 'configured', object: updated, warning };
    } catch (err) {
      if (isApiError(err, 'Conflict') && attempt < MAX_CONFLICT_RETRIES) continue;
      throw err;
    }
  }
}
