// Run as its own process by readopt.test.ts: starts a sandbox and a long-running container
// on the given runtime root and state dir, prints their IDs as JSON and exits, leaving the container running.
import path from 'node:path';
import { SkiffRuntimeService } from '../../runtime/runtime-service.js';
import { DirImageProvider } from './dir-image-provider.js';

interface Args {
  root: string;
  stateDir: string;
  bridge: string;
  podCidr: string;
  cgroupParent: string;
}

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2] ?? '{}') as Args;
  const images = new DirImageProvider(path.join(a.root, 'images-provider'));
  await images.addBusyboxImage('busybox', { cmd: ['sh'] });
  const rt = new SkiffRuntimeService({ root: path.join(a.root, 'rt'), stateDir: a.stateDir, images, bridgeName: a.bridge, podCidr: a.podCidr, cgroupParent: a.cgroupParent });
  const sc = { metadata: { name: 'adopted', namespace: 'default', uid: `uid-adopted-${process.pid}`, attempt: 0 } };
  const sb = await rt.runPodSandbox(sc);
  const c = await rt.createContainer(sb, { metadata: { name: 'sleeper', attempt: 0 }, image: { image: 'busybox' }, command: ['sh', '-c', 'trap "exit 0" TERM; echo started; while :; do sleep 0.1; done'] }, sc);
  await rt.startContainer(c);
  process.stdout.write(`${JSON.stringify({ sandbox: sb, container: c })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
