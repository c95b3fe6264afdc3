// Secret volumes on a real tmpfs (root, mount(8)): the bytes of a Secret are on a memory-backed
// mount of the volume's own, a ConfigMap volume is a plain directory, a second sync reuses the
// mount, and removing the pod's directory unmounts first.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { staticLookup } from '../../kubelet/config-lookup.js';
import { parseMountInfo, TmpfsMounter } from '../../kubelet/tmpfs.js';
import { preparePodVolumes, removePodDir } from '../../kubelet/volumes.js';

const mounter = new TmpfsMounter();
let root: string | undefined;
afterEach(async () => {
  if (!root) return;
  await mounter.unmountUnder(root);
  await fs.rm(root, { recursive: true, force: true });
  root = undefined;
});

async function fsTypeAt(p: string): Promise<string | undefined> {
  const all = parseMountInfo(await fs.readFile('/proc/self/mountinfo', 'utf8'));
  return all.filter((m) => m.mountPoint === p).at(-1)?.fsType;
}

describe('secret volumes on tmpfs', () => {
  it('mounts one tmpfs per Secret volume, reuses it, and unmounts it with the pod', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-tmpfs-'));
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const config = staticLookup({
      configMaps: [{ metadata: { name: 'cfg' }, data: { a: '1' } }],
      secrets: [{ metadata: { name: 'db' }, data: { password: b64('hunter2') } }],
    });
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'default', uid: 'uid-tmpfs' },
      spec: { containers: [], volumes: [{ name: 'creds', secret: { secretName: 'db' } }, { name: 'cfg', configMap: { name: 'cfg' } }] },
    };
    const vols = await preparePodVolumes(root, pod, { config, mounter });
    const creds = vols.get('creds') ?? '';
    expect(await fsTypeAt(creds)).toBe('tmpfs');
    expect(await fsTypeAt(vols.get('cfg') ?? '')).toBeUndefined();
    expect(await fs.readFile(path.join(creds, 'password'), 'utf8')).toBe('hunter2');
    expect((await fs.stat(creds)).mode & 0o777).toBe(0o755);

    await preparePodVolumes(root, pod, { config, mounter });
    const mounts = parseMountInfo(await fs.readFile('/proc/self/mountinfo', 'utf8')).filter((m) => m.mountPoint === creds);
    expect(mounts).toHaveLength(1);

    await removePodDir(root, 'uid-tmpfs', mounter);
    expect(await fsTypeAt(creds)).toBeUndefined();
    await expect(fs.stat(path.join(root, 'pods', 'uid-tmpfs'))).rejects.toThrow();
  });
});
