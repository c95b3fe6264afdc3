// Mounting a container's root filesystem from the image provider's mounts (overlay or bind)
// and taking it down again. The provider only describes mounts (containerd's snapshotter
// contract); the runtime mounts them.
import fs from 'node:fs/promises';
import type { RootfsMount } from '../image-provider.js';
import { mustRun, runCommand } from './command.js';

export async function isMountPoint(target: string): Promise<boolean> {
  const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').some((l) => l.split(' ')[4] === target);
}

export async function mountRootfs(mounts: RootfsMount[], target: string): Promise<void> {
  await fs.mkdir(target, { recursive: true });
  for (const m of mounts) {
    if (m.type === 'bind') {
      const opts = ['bind', ...m.options.filter((o) => o !== 'bind' && o !== 'rbind')];
      await mustRun('mount', ['-o', opts.join(','), m.source, target]);
    } else {
      await mustRun('mount', ['-t', m.type, '-o', m.options.join(','), m.source, target]);
    }
  }
}

/** Unmounts everything at `target` (idempotent). */
export async function unmountAll(target: string): Promise<void> {
  for (let i = 0; i < 8 && (await isMountPoint(target)); i++) {
    const r = await runCommand('umount', [target]);
    if (r.code !== 0) await runCommand('umount', ['-l', target]);
  }
}
