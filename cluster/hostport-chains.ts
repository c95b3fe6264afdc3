// The CNI portmap plugin's shared nat chains (CNI-HOSTPORT-DNAT, -SNAT, -MASQ, -SETMARK and
// the jumps to them from PREROUTING, OUTPUT and POSTROUTING). Portmap makes them on the first
// ADD with a host port and never removes them: its DEL only removes the per-container
// CNI-DN-* chain. `skiff down` removes them once nothing uses them any more — no CNI-DN-*
// chain left and nothing in CNI-HOSTPORT-DNAT — because another cluster or suite on the
// machine still publishing a port needs them, and portmap would make them again anyway.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const SHARED = /^CNI-HOSTPORT-[A-Z]+$/;

/** Splits one iptables-save rule line into arguments (double quotes group, as the tool writes them). */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
  return out;
}

export interface HostportCleanupPlan {
  /**
   * Rules to delete, as `iptables -t nat -D ...` arguments: the jumps from built-in chains,
   * then the shared chains' own static rules. One by one rather than a flush, so a rule a
   * racing portmap ADD has just added keeps its chain (`-X` refuses a non-empty chain).
   */
  deleteRules: string[][];
  /** Shared chains to flush and delete afterwards. */
  deleteChains: string[];
  /** Why nothing is removed, when the chains are still in use. */
  inUse?: string;
}

/** Reads `iptables-save -t nat` output and plans the removal of portmap's shared chains. */
export function planHostportCleanup(natSave: string): HostportCleanupPlan {
  const chains = new Set<string>();
  const rules: string[][] = [];
  for (const line of natSave.split('\n')) {
    if (line.startsWith(':')) chains.add(line.slice(1).split(' ')[0]);
    else if (line.startsWith('-A ')) rules.push(splitRule(line));
  }
  const shared = [...chains].filter((c) => SHARED.test(c));
  const perContainer = [...chains].filter((c) => c.startsWith('CNI-DN-') || c.startsWith('CNI-SN-'));
  if (perContainer.length) return { deleteRules: [], deleteChains: [], inUse: `${perContainer.length} published pod port chain(s) (CNI-DN-*) still exist` };
  const dnatRules = rules.filter((r) => r[1] === 'CNI-HOSTPORT-DNAT');
  if (dnatRules.length) return { deleteRules: [], deleteChains: [], inUse: `CNI-HOSTPORT-DNAT still has ${dnatRules.length} rule(s)` };
  const jumps = rules.filter((r) => !SHARED.test(r[1]) && SHARED.test(r[r.indexOf('-j') + 1] ?? ''));
  // A jump to a shared chain from a chain that is neither built-in nor shared is someone
  // else's wiring: leave everything alone.
  const foreign = jumps.find((r) => !['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'].includes(r[1]));
  if (foreign) return { deleteRules: [], deleteChains: [], inUse: `chain ${foreign[1]} jumps to ${foreign[foreign.indexOf('-j') + 1]}` };
  const own = rules.filter((r) => SHARED.test(r[1]));
  return { deleteRules: [...jumps, ...own].map((r) => r.slice(1)), deleteChains: shared };
}

async function iptables(cmd: string, args: string[]): Promise<void> {
  await run(cmd, ['-w', '5', '-t', 'nat', ...args]);
}

/** Removes portmap's shared chains (IPv4 and IPv6) if nothing uses them; returns a line for the report. */
export async function removeHostportChains(): Promise<string> {
  const done: string[] = [];
  for (const [save, cmd] of [
    ['iptables-save', 'iptables'],
    ['ip6tables-save', 'ip6tables'],
  ] as const) {
    let text: string;
    try {
      text = (await run(save, ['-t', 'nat'])).stdout;
    } catch {
      continue; // no such family/tool here
    }
    const plan = planHostportCleanup(text);
    if (plan.inUse) {
      done.push(`kept ${cmd} CNI-HOSTPORT-* chains: ${plan.inUse}`);
      continue;
    }
    if (!plan.deleteChains.length && !plan.deleteRules.length) continue;
    try {
      for (const r of plan.deleteRules) await iptables(cmd, ['-D', ...r]);
      for (const c of plan.deleteChains) await iptables(cmd, ['-X', c]);
      done.push(`removed ${cmd} chains ${plan.deleteChains.join(', ')}`);
    } catch (e) {
      // A portmap ADD racing with us re-creates or references them: that user needs them.
      done.push(`left ${cmd} CNI-HOSTPORT-* chains: ${((e as { stderr?: string }).stderr ?? (e as Error).message).trim()}`);
    }
  }
  return done.length ? done.join('; ') : 'no CNI-HOSTPORT-* chains to remove';
}
