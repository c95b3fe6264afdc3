// The floor under any port-forward on this machine, for `npm run bench -- exec`: a process of
// its own that listens on 127.0.0.1:LOCAL and carries each connection to HOST:PORT over plain
// TCP with the relay skiff's forwarders use (api/httpstream/relay.ts). Against wrk to the pod
// IP it adds one TCP hop and one process copying bytes, and nothing else: no TLS, no SPDY, no
// second relay. A port-forward has all of those on top (wrk to the client, the client to the
// API server over TLS, the kubelet to the pod's localhost), so it cannot move more than this.
// Usage: node _plain-relay.js LOCAL HOST PORT; prints "Forwarding from ..." once listening.
import net from 'node:net';
import { relayBoth } from '../api/httpstream/relay.js';

const [local, host, port] = process.argv.slice(2).map((a, i) => (i === 1 ? a : Number(a)));
if (typeof local !== 'number' || typeof host !== 'string' || typeof port !== 'number' || !(local > 0) || !(port > 0)) {
  process.stderr.write('usage: _plain-relay LOCAL HOST PORT\n');
  process.exit(2);
}

const server = net.createServer({ noDelay: true }, (client) => {
  const upstream = net.connect({ host, port, noDelay: true });
  // Each end passes on the other's FIN (relay()); a failure takes both down.
  const fail = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', fail);
  upstream.on('error', fail);
  relayBoth(client, upstream);
});
server.listen(local, '127.0.0.1', () => process.stdout.write(`Forwarding from 127.0.0.1:${local} -> ${host}:${port}\n`));
