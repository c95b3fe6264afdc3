// PortForward: one connection to localhost:PORT inside a sandbox's network namespace, as a
// socket of this process. Node cannot open a socket in another namespace (setns moves a whole
// thread, and Node's is shared), the image may have no socat, and a relay process per
// connection would copy every byte once more; so the spawn companion makes the socket in the
// pod's namespace, connects it there (127.0.0.1, then ::1) and hands the descriptor back
// (runtime/oci/spawner.ts, connectViaCompanion).
import type net from 'node:net';
import { RuntimeError } from '../cri.js';
import { connectViaCompanion } from '../oci/spawner.js';
import type { RuntimeContext } from '../runtime-context.js';
import { getSandbox } from './stop-sandbox.js';

export async function portForward(ctx: RuntimeContext, idOrPrefix: string, port: number): Promise<net.Socket> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RuntimeError('InvalidArgument', `port ${port} is not a TCP port`);
  const rec = getSandbox(ctx, idOrPrefix);
  if (rec.state !== 'SANDBOX_READY') throw new RuntimeError('FailedPrecondition', `sandbox ${rec.id} is not ready`);
  // A sandbox on the host network has no namespace of its own: localhost is the node's.
  const connecting = connectViaCompanion(rec.netnsPath, port);
  if (!connecting) {
    throw new RuntimeError('Unavailable', 'port-forward needs the spawn companion (dist/bin/skiff-spawn), which is switched off (SKIFF_SPAWN_HELPER=0) or was not built (no C compiler)');
  }
  try {
    return await connecting;
  } catch (e) {
    throw new RuntimeError('Unavailable', `port-forward to port ${port} of sandbox ${rec.id}: ${(e as Error).message}`, { cause: e });
  }
}
