// The kernel settings kube-proxy's iptables mode needs on its node, set at start.
import { runCommand } from './iptables.js';

/** Sets them (in the namespace `prefix` runs in); returns warnings for what could not be set. */
export async function prepareKernel(prefix: string[] = []): Promise<string[]> {
  const warnings: string[] = [];
  // NodePorts on 127.0.0.1: packets from loopback may be routed to pods (the martian drop in
  // the filter table keeps outsiders from using it).
  await runCommand([...prefix, 'sysctl', '-q', '-w', 'net.ipv4.conf.all.route_localnet=1']);
  // Pod → Service → pod on the same bridge: the reply is bridged, not routed, and would skip
  // the conntrack that undoes the DNAT unless bridged IPv4 goes through iptables.
  await runCommand([...prefix, 'modprobe', 'br_netfilter']).catch(() => undefined);
  await runCommand([...prefix, 'sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=1']).catch((e: Error) => {
    warnings.push(`cannot set net.bridge.bridge-nf-call-iptables=1 (${e.message}): a pod reaching a Service endpoint on its own bridge may get no answer`);
  });
  return warnings;
}
