// The network of a lab cluster, every address inside namespaces the lab creates:
//
//   skiff-<lab>-net        a "switch" namespace holding the lab bridge br0 (no address)
//   skiff-<lab>-<k>        node k: eth0 (veth to br0) with 10.213.0.<10+k>/24, forwarding on,
//                          routes to every other node's pod CIDR via that node's address,
//                          and the service CIDR on eth0 (a node's default route would carry it)
//   pods of node k         in 10.214.<k>.0/24, on node k's own CNI bridge (made by its runtime)
//
// The host gets no address at all: kubelets reach the control plane (on the host's
// loopback) through per-node proxies over unix sockets (lab-proxy.ts).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DEFAULTS } from './detach.js';

const run = promisify(execFile);

export interface LabNode {
  index: number;
  name: string;
  netns: string;
  ip: string;
  podCidr: string;
  /** The veth end on the lab bridge, inside the switch namespace. */
  port: string;
}

export interface LabNetworkPlan {
  lab: string;
  /** The Services' range: routed out of every node, so that a ClusterIP's packets reach the proxy's filter rules (REJECT) before routing fails. */
  serviceCidr: string;
  switchNs: string;
  bridge: string;
  prefixLength: number;
  nodes: LabNode[];
}

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/;

export function planLabNetwork(lab: string, nodes: number, serviceCidr = DEFAULTS.serviceCidr): LabNetworkPlan {
  if (!NAME_RE.test(lab)) throw new Error(`lab name "${lab}" must be 1-20 lower-case letters, digits or '-'`);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 200) throw new Error(`--nodes must be 1..200, not ${nodes}`);
  return {
    lab,
    serviceCidr,
    switchNs: `skiff-${lab}-net`,
    bridge: 'br0',
    prefixLength: 24,
    nodes: Array.from({ length: nodes }, (_, i) => labNode(lab, i + 1)),
  };
}

/** The pods' range of every lab: node k has 10.214.k.0/24 (the node proxy's --cluster-cidr). */
export const LAB_CLUSTER_CIDR = '10.214.0.0/16';

/** Node k of a lab: its name, namespace, address, pod CIDR and bridge port. */

export function labNode(lab: string, k: number): LabNode {
  if (!Number.isInteger(k) || k < 1 || k > 200) throw new Error(`a lab has nodes 1..200, not ${k}`);
  return { index: k, name: `${lab}-${k}`, netns: `skiff-${lab}-${k}`, ip: `10.213.0.${10 + k}`, podCidr: `10.214.${k}.0/24`, port: `n${k}` };
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`, { cause: e });
  }
}

export async function listNetns(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
}

/** Creates the switch, the node namespaces, their links and routes. Fails if the lab exists. */
export async function createLabNetwork(plan: LabNetworkPlan): Promise<void> {
  const existing = new Set(await listNetns());
  for (const ns of [plan.switchNs, ...plan.nodes.map((n) => n.netns)]) {
    if (existing.has(ns)) throw new Error(`network namespace ${ns} already exists: is lab "${plan.lab}" up? (skiff lab down --name ${plan.lab})`);
  }
  try {
    await ip('netns', 'add', plan.switchNs);
    await ip('-n', plan.switchNs, 'link', 'set', 'lo', 'up');
    await ip('-n', plan.switchNs, 'link', 'add', plan.bridge, 'type', 'bridge');
    await ip('-n', plan.switchNs, 'link', 'set', plan.bridge, 'up');
    for (const n of plan.nodes) await addNode(plan, n);
  } catch (e) {
    await deleteLabNetwork(plan);
    throw e;
  }
}

async function addNode(plan: LabNetworkPlan, n: LabNode): Promise<void> {
  await ip('netns', 'add', n.netns);
  await ip('-n', n.netns, 'link', 'set', 'lo', 'up');
  await ip('-n', plan.switchNs, 'link', 'add', n.port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.netns);
  await ip('-n', plan.switchNs, 'link', 'set', n.port, 'master', plan.bridge, 'up');
  await ip('-n', n.netns, 'addr', 'add', `${n.ip}/${plan.prefixLength}`, 'dev', 'eth0');
  await ip('-n', n.netns, 'link', 'set', 'eth0', 'up');
  await run('ip', ['netns', 'exec', n.netns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  for (const other of plan.nodes) {
    if (other.index !== n.index) await ip('-n', n.netns, 'route', 'add', other.podCidr, 'via', other.ip);
  }
  // Without a route, a ClusterIP with no endpoints (no DNAT) fails routing with "network
  // unreachable" before the proxy's REJECT in the filter table can refuse it.
  await ip('-n', n.netns, 'route', 'add', plan.serviceCidr, 'dev', 'eth0');
}

/**
 * `skiff lab add-node`: node `n` (already in `plan.nodes`) joins a running lab's network: its
 * namespace and link as createLabNetwork makes them, and a route to its pod CIDR on every other node.
 */
export async function joinLabNetwork(plan: LabNetworkPlan, n: LabNode): Promise<void> {
  if ((await listNetns()).includes(n.netns)) throw new Error(`network namespace ${n.netns} already exists`);
  await addNode(plan, n);
  for (const other of plan.nodes) {
    if (other.index !== n.index) await ip('-n', other.netns, 'route', 'add', n.podCidr, 'via', n.ip);
  }
}

/** Removes the namespaces (and with them veths, bridges, routes and their iptables rules). Idempotent. */
export async function deleteLabNetwork(plan: LabNetworkPlan): Promise<void> {
  const existing = new Set(await listNetns());
  for (const ns of [...plan.nodes.map((n) => n.netns), plan.switchNs]) {
    if (existing.has(ns)) await ip('netns', 'del', ns);
  }
}

/** Cuts node k off the lab bridge (partition) or reconnects it (heal). */
export async function setNodeLink(plan: LabNetworkPlan, index: number, up: boolean): Promise<void> {
  const n = plan.nodes.find((x) => x.index === index);
  if (!n) throw new Error(`lab ${plan.lab} has no node ${index}`);
  await ip('-n', plan.switchNs, 'link', 'set', n.port, up ? 'up' : 'down');
}
