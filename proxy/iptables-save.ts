// Reading `iptables-save` output: which chains a table has and which rules jump where. The
// proxy reads it at a full sync (stale chains of its tag, missing built-in jumps) and for
// cleanup; `skiff down` reads it to remove the CNI portmap plugin's shared chains.
import type { TableName } from './rules.js';

export interface SavedRule {
  chain: string;
  /** The rule after `-A CHAIN`, as iptables-save wrote it (quotes kept, fit for -D). */
  spec: string;
  /** The -j/-g target, if any. */
  target?: string;
}

export interface SavedTable {
  chains: string[];
  rules: SavedRule[];
}

/** Parses iptables-save output into its tables (those not in the output are empty). */
export function parseSave(text: string): Record<TableName, SavedTable> {
  const out: Record<TableName, SavedTable> = { nat: { chains: [], rules: [] }, filter: { chains: [], rules: [] } };
  let table: SavedTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      table = name === 'nat' || name === 'filter' ? out[name] : undefined;
    } else if (!table) {
      continue;
    } else if (line.startsWith(':')) {
      table.chains.push(line.slice(1).split(' ')[0]);
    } else if (line.startsWith('-A ')) {
      const rest = line.slice(3);
      const sp = rest.indexOf(' ');
      const chain = sp < 0 ? rest : rest.slice(0, sp);
      const spec = sp < 0 ? '' : rest.slice(sp + 1);
      const target = / -[jg] (\S+)/.exec(` ${spec}`)?.[1];
      table.rules.push({ chain, spec, target });
    }
  }
  return out;
}
