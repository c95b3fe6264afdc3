// Mounting a container's root filesystem from the image provider's mounts (overlay or bind)
// and taking it down again. The provider only describes mounts (containerd's snapshotter
// contract); the runtime mounts them.
import fs from 'node:fs/promises';
import type { RootfsMount } from '../image-provider.js';
import { RuntimeError } from '../cri.js';
import { mustRun, runCommand, runOperation } from './command.js';

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
    } else if (m.options.every((o) => o.includes('='))) {
      // Only filesystem options (overlay's lowerdir, upperdir, workdir): the companion's
      // mount(2) passes them as they are. Flag words (ro, nodev, ...) need mount(8).
      const data = m.options.join(',');
      const r = await runOperation('mount', [m.type, m.source, target, data], () => runCommand('mount', ['-t', m.type, '-o', data, m.source, target]));
      if (r.code !== 0) throw new RuntimeError('Internal', `mount -t ${m.type} ${m.source} ${target}: ${(r.stderr || r.stdout).trim()}`);
    } else {
      await mustRun('mount', ['-t', m.type, '-o', m.options.join(','), m.source, target]);
    }
  }
}

/** Unmounts everything at `target` (idempotent). */
export async function unmountAll(target: string): Promise<void> {
  for (let i = 0; i < 8 && (await isMountPoint(target)); i++) {
    const r = await runOperation('umount', [target, '0'], () => runCommand('umount', [target]));
    if (r.code !== 0) await runOperation('umount', [target, '1'], () => runCommand('umount', ['-l', target]));
  }
}
