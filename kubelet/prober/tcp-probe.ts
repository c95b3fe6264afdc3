// tcpSocket probes: success when a TCP connection opens within the timeout.
import net from 'node:net';
import type { ProbeOutcome } from './types.js';

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const finish = (o: ProbeOutcome) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ result: 'Failure', output: `dial tcp ${addr}: i/o timeout` }), timeoutMs);
    sock.once('connect', () => finish({ result: 'Success', output: '' }));
    sock.once('error', (e: NodeJS.ErrnoException) =>
      finish({ result: 'Failure', output: `dial tcp ${addr}: connect: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}` }),
    );
  });
}
