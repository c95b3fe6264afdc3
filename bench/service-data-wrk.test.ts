// The data path bench reads its figures from wrk's own report: run the real wrk against a
// loopback server and check what parseWrk takes from it, and that a server answering errors
// fails the measurement instead of counting as throughput.
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWrk } from './_service-data.js';

const exec = promisify(execFile);

describe('parseWrk on the real wrk', () => {
  let server: http.Server;
  let base = '';
  beforeAll(async () => {
    server = http.createServer((q, r) => {
      r.writeHead(q.url === '/broken' ? 500 : 200, { 'content-length': 3 });
      r.end('ok\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('takes the rate, the 99% line in ms and the request count', async () => {
    const { stdout } = await exec('wrk', ['-t1', '-c2', '-d1s', '--latency', `${base}/`]);
    const r = parseWrk(stdout);
    const reported = Number(/(\d+) requests in /.exec(stdout)?.[1]);
    expect(r.requests).toBe(reported);
    expect(r.requests).toBeGreaterThan(0);
    expect(r.requestsPerSecond).toBeGreaterThan(0);
    expect(r.p99Ms).toBeGreaterThan(0);
    expect(r.socketErrors).toBe(0);
  });

  it('refuses a run whose answers were errors', async () => {
    const { stdout } = await exec('wrk', ['-t1', '-c2', '-d1s', '--latency', `${base}/broken`]);
    expect(() => parseWrk(stdout)).toThrow(/non-2xx answers/);
  });
});
