// The conntrack flushes kube-proxy makes after a sync (pkg/proxy/conntrack): a UDP flow keeps
// its NAT for as long as packets flow, so a client of a removed endpoint (a DNS resolver
// reusing its source port) would keep sending into the void. TCP needs none: a removed
// endpoint's connections end on their own. Pure planning here; the syncer runs the commands.
import { categorize, endpointString, type ServicePortInfo } from './service-ports.js';

/** `conntrack` argument lists (without the command) that delete the flows gone stale. */
export function conntrackFlushes(before: ServicePortInfo[], after: ServicePortInfo[]): string[][] {
  const reachable = (sp: ServicePortInfo): Map<string, string> => {
    const { cluster, local } = categorize(sp);
    return new Map([...cluster, ...local].map((e) => [endpointString(e), e.ip]));
  };
  const key = (sp: ServicePortInfo): string => `${sp.name}/${sp.proto}`;
  const old = new Map(before.filter((sp) => sp.protocol === 'UDP').map((sp) => [key(sp), sp]));
  const out: string[][] = [];
  const seen = new Set<string>();
  const add = (args: string[]): void => {
    const k = args.join(' ');
    if (seen.has(k)) return;
    seen.add(k);
    out.push(args);
  };
  for (const sp of after.filter((s) => s.protocol === 'UDP')) {
    const prev = old.get(key(sp));
    old.delete(key(sp));
    const now = reachable(sp);
    if (!prev) continue;
    const was = reachable(prev);
    // From none to some: flows answered by REJECT while there were none are stale too.
    if (was.size === 0 && now.size > 0) {
      add(['-D', '-p', 'udp', '--orig-dst', sp.clusterIP]);
      if (sp.nodePort) add(['-D', '-p', 'udp', '--orig-port-dst', String(sp.nodePort)]);
    }
    for (const [ep, ip] of was) if (!now.has(ep)) flushEndpoint(prev, ip, add);
  }
  // Service ports gone altogether: their endpoints' flows go too.
  for (const prev of old.values()) for (const ip of reachable(prev).values()) flushEndpoint(prev, ip, add);
  return out;
}

function flushEndpoint(sp: ServicePortInfo, ip: string, add: (args: string[]) => void): void {
  add(['-D', '-p', 'udp', '--orig-dst', sp.clusterIP, '--dst-nat', ip]);
  for (const ext of sp.externalIPs) add(['-D', '-p', 'udp', '--orig-dst', ext, '--dst-nat', ip]);
  if (sp.nodePort) add(['-D', '-p', 'udp', '--orig-port-dst', String(sp.nodePort), '--dst-nat', ip]);
}
