// Keys an object holds in etcd beside itself, written in the same Txn as the object: a
// Service's allocated cluster IP and node ports, one key each (`<root>/ranges/serviceips/<ip>`,
// `.../servicenodeports/<port>`). A write that gives the object a key creates it only if no
// one holds it (create_revision == 0); a write that takes it away, or deletes the object,
// deletes it. So an address is never held twice, across API servers on one etcd and
// restarts, and is free again the moment the object lets it go: Kubernetes keeps a bitmap
// under compare-and-swap beside the Services and repairs it afterwards; a key per address
// in the object's own Txn needs no repair.
import type { Etcd3, IKeyValue } from 'etcd3';
import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types/meta.js';

/** The keys (and their values) the objects under `prefix` hold. */
export interface CompanionRule {
  prefix: string;
  keysOf(obj: KubeObject): Map<string, string>;
}

/** What one write does to the companion keys. */
export interface CompanionChange {
  create: Map<string, string>;
  remove: string[];
}

/** A key the write would create is held by another object: the allocator picks again, or answers 422. */
export class CompanionTaken extends ApiError {
  constructor(readonly key: string) {
    super(409, 'Conflict', `${key} is already allocated`);
  }
}

/** The change a write from `before` to `after` (undefined: none, or deleted) makes, or undefined when none. */
export function companionChange(rules: readonly CompanionRule[], key: string, before: KubeObject | undefined, after: KubeObject | undefined): CompanionChange | undefined {
  const rule = rules.find((r) => key.startsWith(r.prefix));
  if (!rule) return undefined;
  const had = before ? rule.keysOf(before) : new Map<string, string>();
  const has = after ? rule.keysOf(after) : new Map<string, string>();
  const create = new Map([...has].filter(([k]) => !had.has(k)));
  const remove = [...had.keys()].filter((k) => !has.has(k));
  return create.size || remove.length ? { create, remove } : undefined;
}

export interface CompanionOutcome {
  succeeded: boolean;
  revision: string;
  current?: IKeyValue;
}

/**
 * One Txn: the object's own compare (create_revision == 0, or mod_revision == rev) and an
 * absent key for each it creates; then its put (or delete) with the creates and removals.
 * When the object's compare fails the answer is as a single write's (the key read back);
 * when only a companion's does, CompanionTaken names the key.
 */
export async function writeWithCompanions(
  client: Etcd3,
  key: string,
  compare: 'Create' | 'Mod',
  rev: string | undefined,
  value: string | Buffer | undefined,
  change: CompanionChange,
): Promise<CompanionOutcome> {
  let cmp = client.if(key, compare, '==', compare === 'Create' ? 0 : (rev as string));
  for (const k of change.create.keys()) cmp = cmp.and(k, 'Create', '==', 0);
  const ops = [value === undefined ? client.delete().key(key) : client.put(key).value(value)];
  for (const [k, v] of change.create) ops.push(client.put(k).value(v));
  for (const k of change.remove) ops.push(client.delete().key(k));
  const res = await cmp.then(...ops).else(client.get(key), ...[...change.create.keys()].map((k) => client.get(k))).commit();
  if (res.succeeded) return { succeeded: true, revision: res.header.revision };
  const current = res.responses[0]?.response_range?.kvs[0];
  const ownHeld = compare === 'Create' ? current === undefined : current !== undefined && String(current.mod_revision) === rev;
  if (!ownHeld) return { succeeded: false, revision: res.header.revision, current };
  const taken = [...change.create.keys()].find((_, i) => (res.responses[i + 1]?.response_range?.kvs.length ?? 0) > 0);
  throw new CompanionTaken(taken ?? [...change.create.keys()][0]);
}
