// Removal of every chain of one tag, and every rule anywhere that jumps into one, as one
// iptables-restore --noflush input: what `skiff down` and `lab down` run (and a proxy switched
// to --proxy-mode none). Chains of other tags and everyone else's rules stay as they are.
import { chainNames } from './chain-names.js';
import { parseSave } from './iptables-save.js';
import { builtinJumps, type BuiltinJump, type TableName } from './rules.js';

const TABLES: TableName[] = ['filter', 'nat'];

/** The restore input that removes the tag's chains and the jumps to them; '' when there are none. */
export function cleanupPayload(saveText: string, tag: string): string {
  const n = chainNames(tag);
  const saved = parseSave(saveText);
  const out: string[] = [];
  for (const t of TABLES) {
    const own = saved[t].chains.filter((c) => n.owns(c));
    if (!own.length) continue;
    out.push(`*${t}`);
    // Rules of other chains leading into ours go one by one (their chains are not ours to flush).
    for (const r of saved[t].rules) if (!n.owns(r.chain) && r.target && n.owns(r.target)) out.push(`-D ${r.chain} ${r.spec}`);
    for (const c of own) out.push(`:${c} - [0:0]`);
    for (const c of own) out.push(`-X ${c}`);
    out.push('COMMIT');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** The chains of `tag` in each table of this iptables-save output. */
export function chainsOfTag(saveText: string, tag: string): Record<TableName, string[]> {
  return savedTagState(saveText, tag).present;
}

/**
 * What a full sync reads from iptables-save output before it writes: the chains of `tag` there
 * (to delete those no longer wanted) and the jumps from built-in chains to them that are missing.
 */
export function savedTagState(saveText: string, tag: string): { present: Record<TableName, string[]>; missingJumps: BuiltinJump[] } {
  const n = chainNames(tag);
  const saved = parseSave(saveText);
  return {
    present: { nat: saved.nat.chains.filter((c) => n.owns(c)), filter: saved.filter.chains.filter((c) => n.owns(c)) },
    missingJumps: builtinJumps(tag).filter((j) => !saved[j.table].rules.some((r) => r.chain === j.chain && r.target === j.target)),
  };
}
