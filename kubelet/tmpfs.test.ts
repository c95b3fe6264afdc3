import { describe, expect, it } from 'vitest';
import { MemoryMounter, parseMountInfo } from './tmpfs.js';

describe('mountinfo', () => {
  it('reads mount points (octal escapes undone) and their file system types', () => {
    const text = [
      '22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
      '98 22 0:45 / /var/lib/skiff/pods/u/volumes/kubernetes.io~secret/my\\040creds rw,nosuid,nodev,noexec shared:50 - tmpfs tmpfs rw,mode=755',
      '',
    ].join('\n');
    expect(parseMountInfo(text)).toEqual([
      { mountPoint: '/', fsType: 'ext4' },
      { mountPoint: '/var/lib/skiff/pods/u/volumes/kubernetes.io~secret/my creds', fsType: 'tmpfs' },
    ]);
  });

  it('the memory mounter forgets what lies under a removed directory only', async () => {
    const m = new MemoryMounter();
    await m.ensureTmpfs('/r/pods/a/volumes/s/one');
    await m.ensureTmpfs('/r/pods/ab/volumes/s/two');
    await m.unmountUnder('/r/pods/a');
    expect([...m.mounted]).toEqual(['/r/pods/ab/volumes/s/two']);
  });
});
