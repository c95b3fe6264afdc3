import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRuntimeError } from '../cri.js';
import { resolveUser } from './user.js';
import { secureJoin } from './secure-path.js';

let dir: string;
let rootfs: string;
let evil: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-user-'));
  rootfs = path.join(dir, 'rootfs');
  await fs.mkdir(path.join(rootfs, 'etc'), { recursive: true });
  await fs.writeFile(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n');
  await fs.writeFile(path.join(rootfs, 'etc/group'), 'root:x:0:\napp:x:1000:\nwheel:x:10:app\nstaff:x:50:app,other\n');
  // A second rootfs whose passwd is a link pointing out of it, at a file the host owns.
  evil = path.join(dir, 'evil');
  await fs.mkdir(path.join(evil, 'etc'), { recursive: true });
  await fs.writeFile(path.join(dir, 'host-passwd'), 'hostuser:x:4242:4242::/:/bin/sh\n');
  await fs.symlink('../../host-passwd', path.join(evil, 'etc/passwd'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('resolveUser', () => {
  it('defaults to root', async () => {
    expect(await resolveUser(rootfs, {})).toMatchObject({ uid: 0, gid: 0, additionalGids: [] });
  });
  it('resolves an image user name with its primary and supplementary groups', async () => {
    expect(await resolveUser(rootfs, { imageUser: 'app' })).toEqual({ uid: 1000, gid: 1000, additionalGids: [10, 50], username: 'app', home: '/home/app' });
  });
  it('resolves name:group and uid:gid', async () => {
    expect(await resolveUser(rootfs, { imageUser: 'app:wheel' })).toMatchObject({ uid: 1000, gid: 10 });
    expect(await resolveUser(rootfs, { imageUser: '5000:6000' })).toMatchObject({ uid: 5000, gid: 6000 });
  });
  it('lets runAsUser/runAsGroup override the image', async () => {
    expect(await resolveUser(rootfs, { imageUser: 'app', runAsUser: 65534 })).toMatchObject({ uid: 65534, gid: 65534 });
    expect(await resolveUser(rootfs, { runAsUser: 1000, runAsGroup: 7, supplementalGroups: [99] })).toMatchObject({ uid: 1000, gid: 7, additionalGids: [10, 50, 99] });
  });
  it('rejects unknown names', async () => {
    const err = await resolveUser(rootfs, { imageUser: 'ghost' }).catch((e: unknown) => e);
    expect(isRuntimeError(err, 'InvalidArgument')).toBe(true);
    const gerr = await resolveUser(rootfs, { imageUser: 'app:ghosts' }).catch((e: unknown) => e);
    expect(isRuntimeError(gerr, 'InvalidArgument')).toBe(true);
  });
  it('never follows /etc/passwd out of the rootfs', async () => {
    // The link resolves inside `evil` (to a file that does not exist there), so the host's user is unknown.
    const err = await resolveUser(evil, { imageUser: 'hostuser' }).catch((e: unknown) => e);
    expect(isRuntimeError(err, 'InvalidArgument')).toBe(true);
  });
});

describe('secureJoin', () => {
  it('clamps .. and absolute links at the root', async () => {
    await fs.symlink('/etc', path.join(rootfs, 'abs'));
    expect(await secureJoin(rootfs, '../../../etc/passwd')).toBe(path.join(rootfs, 'etc/passwd'));
    expect(await secureJoin(rootfs, '/abs/group')).toBe(path.join(rootfs, 'etc/group'));
    expect(await secureJoin(evil, '/etc/passwd')).toBe(path.join(evil, 'host-passwd'));
  });
});
