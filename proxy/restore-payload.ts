// One iptables-restore --noflush input: the chains to write are declared (which creates or
// flushes them) and written again, chains no longer wanted are flushed and deleted, missing
// jumps from built-in chains are prepended. Every other chain in the tables, this tag's
// unchanged ones and everyone else's, is left as it is. Both tables go in one input, applied
// by one iptables-restore. `restorePayload` finds the chains that differ between two whole
// rule sets (a full sync); the syncer's partial syncs know them already (rule-cache.ts) and
// call `changePayload` directly.
import type { BuiltinJump, RuleSet, TableName, TableRules } from './rules.js';

export interface PayloadInput {
  next: RuleSet;
  /** What the last successful restore wrote; undefined: write every chain (a full sync). */
  written?: RuleSet;
  /** Chains of this tag present in the kernel now (read at a full sync), to delete if unwanted. */
  present?: Record<TableName, Iterable<string>>;
  /** Jumps from built-in chains found missing. */
  missingJumps?: BuiltinJump[];
}

/** What one restore changes, chain by chain. */
export interface RuleChange {
  /** Chains to (re)write with these rules. */
  write: Record<TableName, TableRules>;
  /** Chains to delete. */
  remove: Record<TableName, Set<string>>;
  missingJumps?: BuiltinJump[];
}

export interface Payload {
  /** Empty when nothing changes. */
  text: string;
  written: number;
  deleted: number;
}

const TABLES: TableName[] = ['filter', 'nat'];

/** Whether a chain's rules are the same (a chain that was not there never is). */
export function sameRules(a: string[] | undefined, b: string[]): boolean {
  return !!a && a.length === b.length && a.every((l, i) => l === b[i]);
}

/** The chains that differ between `next` and `written` (all of next's without one), and those to delete. */
export function diffRules(input: PayloadInput): RuleChange {
  const change: RuleChange = { write: { filter: new Map(), nat: new Map() }, remove: { filter: new Set(), nat: new Set() }, missingJumps: input.missingJumps };
  for (const t of TABLES) {
    const next = input.next[t];
    const written = input.written?.[t];
    for (const [c, lines] of next) if (!sameRules(written?.get(c), lines)) change.write[t].set(c, lines);
    for (const c of [...(input.present?.[t] ?? []), ...(written?.keys() ?? [])]) if (!next.has(c)) change.remove[t].add(c);
  }
  return change;
}

export function changePayload(change: RuleChange): Payload {
  const out: string[] = [];
  let written = 0;
  let deleted = 0;
  for (const t of TABLES) {
    const write = change.write[t];
    const gone = change.remove[t];
    const jumps = (change.missingJumps ?? []).filter((j) => j.table === t);
    if (!write.size && !gone.size && !jumps.length) continue;
    out.push(`*${t}`);
    // Declaring a chain in a --noflush restore creates it or flushes it.
    for (const c of write.keys()) out.push(`:${c} - [0:0]`);
    for (const c of gone) out.push(`:${c} - [0:0]`);
    for (const lines of write.values()) for (const l of lines) out.push(l);
    // Jumps after the chains they lead to exist; -I puts them first, as kube-proxy's are.
    for (const j of jumps) out.push(`-I ${j.chain} ${j.rule}`);
    for (const c of gone) out.push(`-X ${c}`);
    out.push('COMMIT');
    written += write.size;
    deleted += gone.size;
  }
  return { text: out.length ? `${out.join('\n')}\n` : '', written, deleted };
}

export function restorePayload(input: PayloadInput): Payload {
  return changePayload(diffRules(input));
}
