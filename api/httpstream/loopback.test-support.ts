// What the httpstream tests share: a connected TCP pair on loopback (closed after each test)
// and a reader that collects a stream with events, not `for await`, because leaving that loop
// destroys a Duplex, write side included, which would reset a half-closed stream.
import { once } from 'node:events';
import net from 'node:net';
import { afterEach } from 'vitest';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Runs `cleanup` after the current test. */
export function afterThisTest(cleanup: () => void): void {
  cleanups.push(cleanup);
}

/** A connected pair; `allowHalfOpen` keeps a side writable after the other ended (as upgraded HTTP connections). */
export async function socketPair(opts: { allowHalfOpen?: boolean } = {}): Promise<[client: net.Socket, server: net.Socket]> {
  const server = net.createServer({ allowHalfOpen: opts.allowHalfOpen });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: opts.allowHalfOpen });
  await once(client, 'connect');
  const [serverSide] = await accepted;
  server.close();
  afterThisTest(() => {
    client.destroy();
    serverSide.destroy();
  });
  return [client, serverSide];
}

export function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
