// An ImageProvider for runtime tests that serves plain directory root filesystems (no
// registry, no layers): each image is one busybox-static rootfs used as the read-only lower of
// an overlay, with a writable upper per container, the same shape of mounts the real image
// store returns. Used until (and beside) the image store of runtime/images.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { RuntimeError, type ImageConfig } from '../../runtime/cri.js';
import type { ImageProvider, LocalImage, RootfsMount } from '../../runtime/image-provider.js';

const APPLETS = [
  'sh', 'cat', 'echo', 'sleep', 'true', 'false', 'env', 'id', 'ps', 'mkdir', 'rm', 'touch', 'head', 'tail', 'grep', 'sed', 'nc',
  'wget', 'hostname', 'pwd', 'kill', 'dd', 'printf', 'ls', 'ip', 'trap', 'yes', 'seq', 'tr', 'wc', 'httpd', 'date', 'stat',
];

/** A busybox rootfs: /bin/busybox, applet links, passwd/group with root, app (1000) and nobody. */
export async function writeBusyboxRootfs(dir: string): Promise<void> {
  await fs.mkdir(path.join(dir, 'bin'), { recursive: true });
  await fs.copyFile('/bin/busybox', path.join(dir, 'bin/busybox'));
  await fs.chmod(path.join(dir, 'bin/busybox'), 0o755);
  for (const a of APPLETS) await fs.symlink('busybox', path.join(dir, 'bin', a)).catch(() => undefined);
  await fs.mkdir(path.join(dir, 'etc'), { recursive: true });
  await fs.writeFile(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  await fs.writeFile(path.join(dir, 'etc/group'), 'root:x:0:\napp:x:1000:\nstaff:x:50:app\nnogroup:x:65534:\n');
  for (const d of ['tmp', 'root', 'home/app', 'proc', 'sys', 'dev']) await fs.mkdir(path.join(dir, d), { recursive: true });
  await fs.chmod(path.join(dir, 'tmp'), 0o1777);
}

interface DirImage {
  image: LocalImage;
  rootfs: string;
}

export class DirImageProvider implements ImageProvider {
  readonly dir: string;
  readonly #images = new Map<string, DirImage>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Registers an image `ref` whose rootfs is a fresh busybox tree, with the given config. */
  async addBusyboxImage(ref: string, config: ImageConfig = { cmd: ['sh'] }): Promise<LocalImage> {
    const id = `sha256:${crypto.createHash('sha256').update(`${ref}\0${JSON.stringify(config)}`).digest('hex')}`;
    const rootfs = path.join(this.dir, 'images', id.slice(7, 19));
    // Another instance (another process) may already have written it and be running from it.
    const exists = await fs.stat(path.join(rootfs, 'bin/busybox')).then(() => true, () => false);
    if (!exists) await writeBusyboxRootfs(rootfs);
    const image: LocalImage = { id, ref, config };
    this.#images.set(ref, { image, rootfs });
    return image;
  }

  async getImage(ref: string): Promise<LocalImage> {
    const hit = this.#images.get(ref) ?? [...this.#images.values()].find((i) => i.image.id === ref || i.image.id.slice(7).startsWith(ref));
    if (!hit) throw new RuntimeError('NotFound', `image ${ref} not found`);
    return hit.image;
  }

  async prepareRootfs(key: string, imageId: string): Promise<RootfsMount[]> {
    const hit = [...this.#images.values()].find((i) => i.image.id === imageId);
    if (!hit) throw new RuntimeError('NotFound', `image ${imageId} not found`);
    const snap = path.join(this.dir, 'snapshots', key);
    await fs.mkdir(path.join(snap, 'upper'), { recursive: true });
    await fs.mkdir(path.join(snap, 'work'), { recursive: true });
    return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${hit.rootfs}`, `upperdir=${snap}/upper`, `workdir=${snap}/work`] }];
  }

  async removeRootfs(key: string): Promise<void> {
    await fs.rm(path.join(this.dir, 'snapshots', key), { recursive: true, force: true });
  }
}
