// A minimal root filesystem from Debian's busybox-static: /bin/busybox is a static binary,
// so it plus its applet links runs in any container. The demo image and the test images
// are built on it.
import { chmod, copyFile, lutimes, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const BUSYBOX = '/bin/busybox';
export const BUSYBOX_APPLETS = [
  'sh', 'ash', 'ls', 'cat', 'echo', 'sleep', 'true', 'false', 'env', 'id', 'ps', 'mkdir', 'rm', 'rmdir', 'touch', 'wc', 'head', 'tail',
  'grep', 'sed', 'awk', 'nc', 'wget', 'hostname', 'pwd', 'test', 'kill', 'stat', 'dd', 'printf', 'uname', 'date', 'cp', 'mv', 'chmod',
  'ln', 'readlink', 'df', 'du', 'ip', 'ifconfig', 'ping', 'nslookup', 'httpd', 'seq', 'yes', 'find', 'xargs', 'tr', 'cut', 'sort', 'mount',
  'umount', 'free', 'top', 'whoami', 'sync',
  // what `kubectl cp` (tar through exec) and a terminal session (stty, reset) use, and checksums
  'tar', 'stty', 'reset', 'sha256sum', 'md5sum',
];

/**
 * Writes /bin/busybox, applet symlinks, /etc/passwd and /etc/group, and the usual empty dirs,
 * all with one fixed mtime: every build of this rootfs gives the same layer digest, so
 * images built on it share that layer as images built FROM one base do.
 */
export async function writeBusyboxRootfs(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  await copyFile(BUSYBOX, path.join(dir, 'bin', 'busybox'));
  await chmod(path.join(dir, 'bin', 'busybox'), 0o755);
  for (const a of BUSYBOX_APPLETS) await symlink('busybox', path.join(dir, 'bin', a));
  await mkdir(path.join(dir, 'etc'), { recursive: true });
  await writeFile(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  await writeFile(path.join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  for (const d of ['tmp', 'root', 'proc', 'sys', 'dev', 'var']) await mkdir(path.join(dir, d), { recursive: true });
  await chmod(path.join(dir, 'tmp'), 0o1777);
  const fixed = new Date('2024-01-01T00:00:00Z');
  for (const e of await readdir(dir, { recursive: true })) await lutimes(path.join(dir, e), fixed, fixed);
}
