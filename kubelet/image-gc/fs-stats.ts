// Capacity and free space of the file system an image root lives on. The CRI's ImageFsInfo
// names the mountpoint and the bytes images take; the whole file system's numbers come from
// statfs of that mountpoint, as the kubelet gets them from cAdvisor.
import { statfs } from 'node:fs/promises';

export interface FsStats {
  capacityBytes: number;
  /** Free to unprivileged users (statfs f_bavail), what the kubelet calls available. */
  availableBytes: number;
}

export async function statFs(mountpoint: string): Promise<FsStats> {
  const s = await statfs(mountpoint);
  return { capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize };
}

/** Percent of the file system in use, as Kubernetes rounds it (100 - available*100/capacity). */
export function usagePercent(s: FsStats): number {
  if (s.capacityBytes <= 0) return 0;
  return 100 - Math.trunc((s.availableBytes * 100) / s.capacityBytes);
}
