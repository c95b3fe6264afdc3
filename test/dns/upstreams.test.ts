// The cluster DNS's upstreams come from the node's resolv.conf as the kubelet parsed it once
// (the same record pods' resolv.conf is made from); only systemd-resolved's list is read here.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResolvConf } from '../../api/resolv-conf.js';
import { upstreamsFrom } from '../../dns/upstreams.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-upstreams-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('upstreamsFrom', () => {
  it('takes the parsed nameservers, each once, IP addresses only, without reading resolv.conf again', () => {
    const conf = parseResolvConf('nameserver 10.0.0.2\nnameserver dns.example\nnameserver 10.0.0.2\nnameserver fd00::53\nsearch corp.example\n');
    expect(upstreamsFrom(conf, path.join(dir, 'absent'))).toEqual([
      { host: '10.0.0.2', port: 53 },
      { host: 'fd00::53', port: 53 },
    ]);
  });

  it("follows a loopback stub with systemd-resolved's own upstreams, its stub left out", async () => {
    const resolved = path.join(dir, 'resolved.conf');
    await writeFile(resolved, 'nameserver 127.0.0.53\nnameserver 192.0.2.1\nnameserver 10.0.0.2\n');
    expect(upstreamsFrom(parseResolvConf('nameserver 127.0.0.53\noptions edns0\n'), resolved)).toEqual([
      { host: '127.0.0.53', port: 53 },
      { host: '192.0.2.1', port: 53 },
      { host: '10.0.0.2', port: 53 },
    ]);
    // No stub: the resolved file is not consulted.
    expect(upstreamsFrom(parseResolvConf('nameserver 10.0.0.2\n'), resolved)).toEqual([{ host: '10.0.0.2', port: 53 }]);
  });
});
