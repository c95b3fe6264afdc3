// The CNI portmap plugin's shared nat chains (CNI-HOSTPORT-DNAT, -SNAT, -MASQ, -SETMARK and
// the jumps to them from PREROUTING, OUTPUT and POSTROUTING). Portmap makes them on the first
// ADD with a host port and never removes them: its DEL only removes the per-container
// CNI-DN-* chain. `skiff down` removes them once nothing uses them any more — no CNI-DN-*
// chain left and nothing in CNI-HOSTPORT-DNAT — because another cluster or suite on the
// machine still publishing a port needs them, and portmap would make them again anyway.
import { parseSave, type SavedRule } from '../proxy/iptables-save.js';
import { runCommand } from '../runtime/oci/command.js';

const SHARED = /^CNI-HOSTPORT-[A-Z]+$/;

export interface HostportCleanupPlan {
  /**
   * The removal as one `iptables-restore --noflush` transaction: the jumps from built-in
   * chains deleted, then the shared chains' own static rules, then the chains. One
   * transaction, because a portmap ADD racing with us (another cluster or suite publishing a
   * port between our read and our write) adds a rule to CNI-HOSTPORT-DNAT: then deleting that
   * chain fails and the kernel rejects the whole transaction, the jumps included. Deleted one
   * command at a time, the jumps went first and that pod's published port stopped answering.
   */
  restore: string;
  /** Shared chains the transaction deletes. */
  deleteChains: string[];
  /** Why nothing is removed, when the chains are still in use. */
  inUse?: string;
}

/** Reads `iptables-save -t nat` output and plans the removal of portmap's shared chains. */
export function planHostportCleanup(natSave: string): HostportCleanupPlan {
  const { chains, rules } = parseSave(natSave).nat;
  const none = (inUse?: string): HostportCleanupPlan => ({ restore: '', deleteChains: [], inUse });
  const shared = chains.filter((c) => SHARED.test(c));
  const perContainer = chains.filter((c) => c.startsWith('CNI-DN-') || c.startsWith('CNI-SN-'));
  if (perContainer.length) return none(`${perContainer.length} published pod port chain(s) (CNI-DN-*) still exist`);
  const dnatRules = rules.filter((r) => r.chain === 'CNI-HOSTPORT-DNAT');
  if (dnatRules.length) return none(`CNI-HOSTPORT-DNAT still has ${dnatRules.length} rule(s)`);
  const jumps = rules.filter((r) => !SHARED.test(r.chain) && SHARED.test(r.target ?? ''));
  // A jump to a shared chain from a chain that is neither built-in nor shared is someone
  // else's wiring: leave everything alone.
  const foreign = jumps.find((r) => !['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'].includes(r.chain));
  if (foreign) return none(`chain ${foreign.chain} jumps to ${foreign.target}`);
  if (!shared.length && !jumps.length) return none();
  const own = rules.filter((r) => SHARED.test(r.chain));
  const del = (r: SavedRule) => `-D ${r.chain} ${r.spec}`;
  return { restore: ['*nat', ...[...jumps, ...own].map(del), ...shared.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n'), deleteChains: shared };
}

/** Removes portmap's shared chains (IPv4 and IPv6) if nothing uses them; returns a line for the report. */
export async function removeHostportChains(): Promise<string> {
  const done: string[] = [];
  for (const [save, cmd] of [
    ['iptables-save', 'iptables'],
    ['ip6tables-save', 'ip6tables'],
  ] as const) {
    const saved = await runCommand(save, ['-t', 'nat']).catch(() => undefined);
    if (saved?.code !== 0) continue; // no such family/tool here
    const plan = planHostportCleanup(saved.stdout);
    if (plan.inUse) {
      done.push(`kept ${cmd} CNI-HOSTPORT-* chains: ${plan.inUse}`);
      continue;
    }
    if (!plan.restore) continue;
    const r = await runCommand(`${cmd}-restore`, ['-w', '5', '--noflush'], { input: plan.restore });
    // Refused: a portmap ADD racing with us used them, that user needs them, and the rejected
    // transaction left every rule where it was.
    done.push(r.code === 0 ? `removed ${cmd} chains ${plan.deleteChains.join(', ')}` : `left ${cmd} CNI-HOSTPORT-* chains: ${r.stderr.trim()}`);
  }
  return done.length ? done.join('; ') : 'no CNI-HOSTPORT-* chains to remove';
}
