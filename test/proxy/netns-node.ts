// A node in a network namespace of its own for the proxy suites: the node namespace, one
// namespace per endpoint (a veth each, a TCP server answering its name), and a client
// namespace outside the node (traffic that arrives, as from another host, through
// PREROUTING and FORWARD). Names are unique per process; remove() deletes all of it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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
  /** `count` TCP connections from namespace `ns`, each answer or error code. */
  connect(ns: string, host: string, port: number, count?: number): Promise<ConnectResult[]>;
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

const SERVER = `
const name = process.argv[1];
require('node:net').createServer((s) => s.end(name + '\\n')).listen(8080, '0.0.0.0', () => process.stdout.write('ready\\n'));`;

export async function makeNetnsNode(endpoints: number): Promise<NetnsNode> {
  const id = `${process.pid % 100000}${counter++}`;
  const node = `skpn${id}`;
  const client = `skpc${id}`;
  const eps = Array.from({ length: endpoints }, (_, i) => `skpe${id}x${i}`);
  const servers: Proc[] = [];
  const made: string[] = [];
  const remove = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop(2000)));
    for (const ns of made) await ip('netns', 'del', ns).catch(() => undefined);
  };
  try {
    for (const ns of [node, client, ...eps]) {
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
    for (const [i, ns] of eps.entries()) {
      const p = startProcess('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, `ep${i}`]);
      servers.push(p);
      await new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (p.output().includes('ready')) resolve();
        };
        p.child.stdout?.on('data', check);
        void p.exited.then(() => reject(new Error(`endpoint server ${i} exited: ${p.output()}`)));
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
    prefix: ['ip', 'netns', 'exec', node],
    connect: async (ns, host, port, count = 1) => JSON.parse(await inNs(ns, process.execPath, '-e', CLIENT, host, String(port), String(count))) as ConnectResult[],
    remove,
  };
}
