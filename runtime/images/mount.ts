// Mounting what the snapshotter describes, with mount(8)/umount(8) from util-linux (Node
// has no mount(2)). Used for the read-only view of an image (`skiff cri mount`) and by tests;
// the container runtime mounts a container's rootfs itself from the RootfsMount list.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RuntimeError } from '../cri.js';
import type { RootfsMount } from '../image-provider.js';

const run = promisify(execFile);

export async function mountAll(mounts: RootfsMount[], target: string): Promise<void> {
  for (const m of mounts) {
    const args = m.type === 'bind' ? ['--bind', m.source, target] : ['-t', m.type, m.source, target];
    if (m.options.length > 0) args.unshift('-o', m.options.join(','));
    try {
      await run('mount', args);
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new RuntimeError('Internal', `mount ${m.type} on ${target}: ${(err.stderr ?? err.message).trim()}`, { cause: e });
    }
  }
}

export async function unmount(target: string): Promise<void> {
  try {
    await run('umount', [target]);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const text = (err.stderr ?? err.message).trim();
    if (/not mounted|no mount point/i.test(text)) throw new RuntimeError('NotFound', `${target} is not mounted`);
    throw new RuntimeError('Internal', `umount ${target}: ${text}`, { cause: e });
  }
}
