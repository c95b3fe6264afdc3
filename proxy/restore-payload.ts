// One iptables-restore --noflush input from the rule set wanted and the one last written:
// only chains whose rules changed are declared (which flushes them) and written again, chains
// no longer wanted are flushed and deleted, missing jumps from built-in chains are prepended.
// Every other chain in the tables, this tag's unchanged ones and everyone else's, is left as it
// is. Both tables go in one input, applied by one iptables-restore.
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

export interface Payload {
  /** Empty when nothing changes. */
  text: string;
  written: number;
  deleted: number;
}

const TABLES: TableName[] = ['filter', 'nat'];

function same(a: string[] | undefined, b: string[]): boolean {
  return !!a && a.length === b.length && a.every((l, i) => l === b[i]);
}

function tablePayload(table: TableName, next: TableRules, written: TableRules | undefined, present: Iterable<string>, jumps: BuiltinJump[]): { lines: string[]; written: number; deleted: number } {
  const write = [...next.keys()].filter((c) => !same(written?.get(c), next.get(c)!));
  const gone = new Set<string>([...present, ...(written?.keys() ?? [])].filter((c) => !next.has(c)));
  const tableJumps = jumps.filter((j) => j.table === table);
  if (!write.length && !gone.size && !tableJumps.length) return { lines: [], written: 0, deleted: 0 };
  const lines = [`*${table}`];
  // Declaring a chain in a --noflush restore creates it or flushes it.
  for (const c of [...write, ...gone]) lines.push(`:${c} - [0:0]`);
  for (const c of write) lines.push(...next.get(c)!);
  // Jumps after the chains they lead to exist; -I puts them first, as kube-proxy's are.
  for (const j of tableJumps) lines.push(`-I ${j.chain} ${j.rule}`);
  for (const c of gone) lines.push(`-X ${c}`);
  lines.push('COMMIT');
  return { lines, written: write.length, deleted: gone.size };
}

export function restorePayload(input: PayloadInput): Payload {
  const out: string[] = [];
  let written = 0;
  let deleted = 0;
  for (const t of TABLES) {
    const p = tablePayload(t, input.next[t], input.written?.[t], input.present?.[t] ?? [], input.missingJumps ?? []);
    out.push(...p.lines);
    written += p.written;
    deleted += p.deleted;
  }
  return { text: out.length ? `${out.join('\n')}\n` : '', written, deleted };
}
