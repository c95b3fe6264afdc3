// `skiff apply --server-side`: the object goes to the server as an apply patch
// (application/apply-patch+yaml, with fieldManager and force), which creates or merges it
// and records the manager in managedFields; nothing is read first and no last-applied
// annotation is kept. A conflict with another manager comes back as the server's 409.
import type { KubeObject } from '../../api/types/meta.js';
import type { RestClient } from '../../client/rest.js';
import { CliError } from '../errors.js';
import type { DryRun, Target } from './apply-object.js';

export const APPLY_PATCH = 'application/apply-patch+yaml';

export interface ServerSideOptions {
  fieldManager: string;
  force: boolean;
  dryRun: DryRun;
}

export async function serverSideApply(rest: RestClient, manifest: KubeObject, t: Target, opts: ServerSideOptions): Promise<KubeObject> {
  if (opts.dryRun === 'client') throw new CliError("--dry-run=client doesn't work with --server-side (did you mean --dry-run=server instead?)");
  const body = t.namespace ? { ...manifest, metadata: { ...manifest.metadata, namespace: t.namespace } } : manifest;
  return rest.request<KubeObject>({
    method: 'PATCH',
    path: rest.resource(t.info).path({ namespace: t.namespace, name: t.name }),
    // JSON is YAML: the body goes as JSON under the apply media type, as kubectl sends it.
    contentType: APPLY_PATCH,
    body,
    query: { fieldManager: opts.fieldManager, force: opts.force ? 'true' : undefined, fieldValidation: 'Strict', dryRun: opts.dryRun === 'server' ? 'All' : undefined },
  });
}
