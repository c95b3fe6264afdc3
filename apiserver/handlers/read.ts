// GET of one object and of a collection (labelSelector, fieldSelector, limit/continue).
// Both read etcd (a consistent read, as kube does when no resourceVersion is given).
import type { ServerResponse as Response } from 'node:http';
import { errors } from '../../api/errors.js';
import { apiVersionOf } from '../../api/resources.js';
import type { ApiContext, RequestContext } from '../context.js';
import { selectionPredicate } from '../selectors.js';
import { jsonOf } from '../storage/serialized.js';
import { toTable, wantsTable } from '../table.js';
import { checkBound, intParam, keyOf, send } from './common.js';

export async function getObject(ctx: ApiContext, rc: RequestContext, res: Response): Promise<void> {
  const obj = await ctx.store.get(keyOf(ctx, rc));
  if (!obj) throw errors.notFound(rc.resource.plural, rc.info.name ?? '', rc.resource.group || undefined);
  checkBound(rc, obj);
  const table = wantsTable(rc.accept);
  if (table) return send(res, 200, toTable(rc.resource, table, [obj], { resourceVersion: obj.metadata.resourceVersion }), rc);
  send(res, 200, obj, rc);
}

export async function listObjects(ctx: ApiContext, rc: RequestContext, res: Response): Promise<void> {
  const r = rc.resource;
  const filter = selectionPredicate(r.kind, {
    labelSelector: rc.query.labelSelector,
    fieldSelector: rc.query.fieldSelector,
    nodeName: rc.decision.boundToNode,
  });
  const limit = intParam(rc, 'limit');
  const page = await ctx.store.list(ctx.keys.collectionPrefix(r, rc.info.namespace), {
    limit,
    continueToken: rc.query.continue || undefined,
    filter,
  });
  const metadata: Record<string, unknown> = { resourceVersion: page.resourceVersion };
  if (page.continueToken) metadata.continue = page.continueToken;
  if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
  const table = wantsTable(rc.accept);
  if (table) return send(res, 200, toTable(r, table, page.items, metadata), rc);
  // Items keep the JSON the store made for them; only the envelope is new.
  const json = `{"kind":"${r.listKind}","apiVersion":"${apiVersionOf(r)}","metadata":${JSON.stringify(metadata)},"items":[${page.items.map(jsonOf).join(',')}]}`;
  send(res, 200, undefined, rc, json);
}
