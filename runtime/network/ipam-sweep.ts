// host-local IPAM keeps its allocations on disk (<root>/cni/<network>/<ip>, each file naming the
// sandbox that holds the address), while the sandbox records are in the state dir, on a tmpfs.
// After a reboot the records are gone and the addresses would stay taken for good: a /24 runs
// out after a few reboots of a busy node. This sweep gives back every address whose holder has
// no sandbox record. It reads the records from the disk, not from memory: a sandbox's record is
// written before its CNI ADD (run-sandbox.ts), so an allocation another process is making at
// the same moment always has its record already, and stays.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Removes allocations in `ipamDir` whose sandbox has no directory in `sandboxesDir`; returns the addresses freed. */
export function sweepOrphanAllocations(ipamDir: string, sandboxesDir: string): string[] {
  const freed: string[] = [];
  const list = (d: string) => {
    try {
      return fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return [];
    }
  };
  for (const network of list(ipamDir).filter((e) => e.isDirectory())) {
    const dir = path.join(ipamDir, network.name);
    // Only address files: host-local's `lock` and `last_reserved_ip.N` stay.
    for (const f of list(dir).filter((e) => e.isFile() && net.isIP(e.name) !== 0)) {
      let holder: string;
      try {
        // "<container ID>\r\n<interface>" (host-local 0.8 and later), or the ID alone.
        holder = fs.readFileSync(path.join(dir, f.name), 'utf8').split(/\r?\n/)[0]?.trim() ?? '';
      } catch {
        continue; // given back meanwhile
      }
      // An empty file is one host-local is writing right now.
      if (!holder || !/^[A-Za-z0-9_.-]+$/.test(holder) || fs.existsSync(path.join(sandboxesDir, holder))) continue;
      fs.rmSync(path.join(dir, f.name), { force: true });
      freed.push(f.name);
    }
  }
  return freed;
}
