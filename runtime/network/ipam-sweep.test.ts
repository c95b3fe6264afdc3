import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepOrphanAllocations } from './ipam-sweep.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function layout(): { ipam: string; sandboxes: string; net: string } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-ipam-sweep-'));
  dirs.push(tmp);
  const out = { ipam: path.join(tmp, 'cni'), sandboxes: path.join(tmp, 'state', 'sandboxes'), net: path.join(tmp, 'cni', 'skiff-skiff0') };
  fs.mkdirSync(out.net, { recursive: true });
  fs.mkdirSync(out.sandboxes, { recursive: true });
  return out;
}

describe('the sweep of IPAM allocations without a sandbox record', () => {
  it('frees the addresses of sandboxes with no record and keeps the rest', () => {
    const l = layout();
    fs.mkdirSync(path.join(l.sandboxes, 'live'));
    fs.writeFileSync(path.join(l.net, '10.88.0.2'), 'live\r\neth0');
    fs.writeFileSync(path.join(l.net, '10.88.0.3'), 'gone\r\neth0');
    fs.writeFileSync(path.join(l.net, '10.88.0.4'), 'old-format');
    fs.writeFileSync(path.join(l.net, '10.88.0.5'), ''); // being written by host-local
    fs.writeFileSync(path.join(l.net, 'last_reserved_ip.0'), '10.88.0.5');
    fs.writeFileSync(path.join(l.net, 'lock'), '');
    expect(sweepOrphanAllocations(l.ipam, l.sandboxes).sort()).toEqual(['10.88.0.3', '10.88.0.4']);
    expect(fs.readdirSync(l.net).sort()).toEqual(['10.88.0.2', '10.88.0.5', 'last_reserved_ip.0', 'lock']);
  });

  it('does nothing where there is no IPAM directory yet', () => {
    const l = layout();
    expect(sweepOrphanAllocations(path.join(l.ipam, 'missing'), l.sandboxes)).toEqual([]);
  });
});
