// A node in a network namespace of its own for the proxy suites: the node namespace, one
// namespace per endpoint (a veth each, a TCP server answering its name), and a client
// namespace outside the node (traffic that arrives, as from another host, through
// PREROUTING and FORWARD). Names are unique per process; remove() deletes all of it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { EndpointSlice, Service } from '../../api/types/service.js';
import { savedTagState } from '../../proxy/cleanup.js';
import { iptables } from '../../proxy/iptables.js';
import { buildRules } from '../../proxy/rules.js';
import { restorePayload } from '../../proxy/restore-payload.js';
import { servicePorts } from '../../proxy/service-ports.js';
import { startProcess, type Proc } from '../fixtures/process.js';

const run = promisify(execFile);
let counter = 0;

export interface ConnectResult {
  data?: string;
  error?: string;
}

export interface NetnsNode {
  /** The node's namespace (where the proxy's rules go). */
  node: string;
  /** The client namespace's name. */
  client: string;
  /** The node's address on the client's link (a NodePort address). */
  nodeIP: string;
  /** Endpoint i (0-based) is at `endpointIP(i)`:8080 and answers `ep<i>`. */
  endpointIP(i: number): string;
  /** Pod i on the node's bridge (namespace, address 10.244.0.<i+2>, answering `pod<i>` on 8080). */
  pods: { ns: string; ip: string }[];
  /** `count` TCP connections from namespace `ns`, each answer or error code. */
  connect(ns: string, host: string, port: number, count?: number): Promise<ConnectResult[]>;
  /** One TCP connection from `ns` to host:8081-style `port`, held open until close(). */
  hold(ns: string, host: string, port: number): HeldConnection;
  /** One UDP datagram from `ns`, source port `srcPort`: the answer, or 'timeout'. */
  udp(ns: string, host: string, port: number, srcPort: number): Promise<string>;
  /** `ip netns exec <node>` as a command prefix. */
  prefix: string[];
  remove(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

async function inNs(ns: string, ...args: string[]): Promise<string> {
  return (await run('ip', ['netns', 'exec', ns, ...args])).stdout;
}

// The client: connects `count` times in turn, printing one JSON array of answers or error codes.
const CLIENT = `
const net = require('node:net');
const [host, port, count] = process.argv.slice(1);
(async () => {
  const out = [];
  for (let i = 0; i < Number(count); i++) {
    out.push(await new Promise((resolve) => {
      const s = net.connect({ host, port: Number(port) });
      let data = '';
      s.setTimeout(5000, () => { s.destroy(); resolve({ error: 'ETIMEDOUT' }); });
      s.on('data', (b) => { data += b; });
      s.on('end', () => resolve({ data: data.trim() }));
      s.on('error', (e) => resolve({ error: e.code }));
    }));
  }
  process.stdout.write(JSON.stringify(out));
})();`;

// Port 8080 answers its name and closes; port 8081 answers its name to every write and stays
// open; UDP port 8082 answers every datagram with its name.
const SERVER = `
const net = require('node:net');
const name = process.argv[1];
net.createServer((s) => s.on('data', () => s.write(name + '\\n'))).listen(8081, '0.0.0.0');
const udp = require('node:dgram').createSocket('udp4');
udp.on('message', (m, r) => udp.send(name, r.port, r.address));
udp.bind(8082, '0.0.0.0');
net.createServer((s) => s.end(name + '\\n')).listen(8080, '0.0.0.0', () => process.stdout.write('ready\\n'));`;

// A connection held open: every line on stdin is written to it, every answer printed.
const HOLDER = `
const [host, port] = process.argv.slice(1);
const s = require('node:net').connect({ host, port: Number(port) });
s.on('data', (b) => process.stdout.write(b));
s.on('error', (e) => process.stdout.write('error ' + e.code + '\\n'));
s.on('close', () => { process.stdout.write('closed\\n'); process.exit(0); });
process.stdin.on('data', () => s.write('?'));
process.stdin.on('end', () => s.end());`;

// One UDP query from a fixed source port (so that every query is the same conntrack flow).
const UDP_CLIENT = `
const [host, port, src] = process.argv.slice(1);
const s = require('node:dgram').createSocket('udp4');
const t = setTimeout(() => { process.stdout.write('timeout'); process.exit(0); }, 3000);
s.on('message', (m) => { clearTimeout(t); process.stdout.write(String(m)); s.close(); });
s.bind(Number(src), () => s.send('?', Number(port), host));`;

export interface HeldConnection {
  /** Writes once and resolves with the next answer line ('closed' or 'error CODE' when gone). */
  ask(): Promise<string>;
  close(): Promise<void>;
}

/**
 * `endpoints` namespaces on links of their own, and `bridgePods` on a bridge in the node
 * (10.244.0.1/24, hairpin on every port, as the CNI bridge plugin sets it up for pods).
 */
export async function makeNetnsNode(endpoints: number, bridgePods = 0): Promise<NetnsNode> {
  const id = `${process.pid % 100000}${counter++}`;
  const node = `skpn${id}`;
  const client = `skpc${id}`;
  const eps = Array.from({ length: endpoints }, (_, i) => `skpe${id}x${i}`);
  const pods = Array.from({ length: bridgePods }, (_, i) => ({ ns: `skpp${id}x${i}`, ip: `10.244.0.${i + 2}` }));
  const servers: Proc[] = [];
  const holders: Proc[] = [];
  const made: string[] = [];
  const remove = async (): Promise<void> => {
    await Promise.all([...holders, ...servers].map((s) => s.stop(2000)));
    for (const ns of made) await ip('netns', 'del', ns).catch(() => undefined);
  };
  try {
    for (const ns of [node, client, ...eps, ...pods.map((p) => p.ns)]) {
      await ip('netns', 'add', ns);
      made.push(ns);
      await inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    }
    await inNs(node, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    // Link i of the node: 10.201.<i+1>.1 on the node, .2 on the other end.
    const link = async (other: string, i: number): Promise<void> => {
      const a = `skpv${id}a${i}`;
      const b = `skpv${id}b${i}`;
      await ip('link', 'add', a, 'netns', node, 'type', 'veth', 'peer', 'name', b, 'netns', other);
      await inNs(node, 'ip', 'addr', 'add', `10.201.${i + 1}.1/24`, 'dev', a);
      await inNs(node, 'ip', 'link', 'set', a, 'up');
      await inNs(other, 'ip', 'addr', 'add', `10.201.${i + 1}.2/24`, 'dev', b);
      await inNs(other, 'ip', 'link', 'set', b, 'up');
      await inNs(other, 'ip', 'route', 'add', 'default', 'via', `10.201.${i + 1}.1`);
    };
    for (const [i, ns] of eps.entries()) await link(ns, i);
    await link(client, 100);
    // As a real node has one (its uplink, here a veth pair of its own): a ClusterIP is routed
    // somewhere before DNAT picks the endpoint, and not back out of the link it came in on.
    await inNs(node, 'ip', 'link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'uplink1');
    await inNs(node, 'ip', 'link', 'set', 'uplink0', 'up');
    await inNs(node, 'ip', 'route', 'add', 'default', 'dev', 'uplink0');
    if (pods.length) {
      await inNs(node, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
      await inNs(node, 'ip', 'addr', 'add', '10.244.0.1/24', 'dev', 'br0');
      await inNs(node, 'ip', 'link', 'set', 'br0', 'up');
    }
    for (const [i, pod] of pods.entries()) {
      const a = `skpv${id}p${i}`;
      await ip('link', 'add', a, 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.ns);
      await inNs(node, 'ip', 'link', 'set', a, 'master', 'br0');
      await inNs(node, 'ip', 'link', 'set', a, 'type', 'bridge_slave', 'hairpin', 'on');
      await inNs(node, 'ip', 'link', 'set', a, 'up');
      await inNs(pod.ns, 'ip', 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0');
      await inNs(pod.ns, 'ip', 'link', 'set', 'eth0', 'up');
      await inNs(pod.ns, 'ip', 'route', 'add', 'default', 'via', '10.244.0.1');
    }
    const serve = [...eps.map((ns, i) => [ns, `ep${i}`]), ...pods.map((p, i) => [p.ns, `pod${i}`])];
    for (const [ns, name] of serve) {
      const p = startProcess('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, name]);
      servers.push(p);
      await new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (p.output().includes('ready')) resolve();
        };
        p.child.stdout?.on('data', check);
        void p.exited.then(() => reject(new Error(`server ${name} exited: ${p.output()}`)));
        check();
      });
    }
  } catch (e) {
    await remove();
    throw e;
  }
  return {
    node,
    client,
    nodeIP: '10.201.101.1',
    endpointIP: (i) => `10.201.${i + 1}.2`,
    pods,
    prefix: ['ip', 'netns', 'exec', node],
    hold: (ns, host, port) => {
      const p = startProcess('ip', ['netns', 'exec', ns, process.execPath, '-e', HOLDER, host, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
      holders.push(p);
      const lines: string[] = [];
      const waiters: ((l: string) => void)[] = [];
      let buf = '';
      p.child.stdout?.on('data', (b: Buffer) => {
        buf += b.toString();
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const w = waiters.shift();
          if (w) w(line);
          else lines.push(line);
        }
      });
      return {
        ask: () => {
          const answer = lines.length ? Promise.resolve(lines.shift()!) : new Promise<string>((r) => waiters.push(r));
          p.child.stdin?.write('\n');
          return answer;
        },
        close: async () => {
          p.child.stdin?.end();
          await p.stop(2000);
        },
      };
    },
    udp: (ns, host, port, srcPort) => inNs(ns, process.execPath, '-e', UDP_CLIENT, host, String(port), String(srcPort)),
    connect: async (ns, host, port, count = 1) => JSON.parse(await inNs(ns, process.execPath, '-e', CLIENT, host, String(port), String(count))) as ConnectResult[],
    remove,
  };
}

/** A full sync of these objects under `tag` in the namespace `prefix` runs in, as the syncer's first one. */
export async function applyFullSync(prefix: string[], tag: string, services: Service[], slices: EndpointSlice[], clusterCIDR = '10.244.0.0/16'): Promise<void> {
  const ipt = iptables(prefix);
  const rules = buildRules(servicePorts(services, slices, 'node'), { tag, clusterCIDR });
  const payload = restorePayload({ next: rules, ...savedTagState(await ipt.save(), tag) });
  await ipt.restore(payload.text);
}
