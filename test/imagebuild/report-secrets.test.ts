// Secrets baked into an image, end to end through `skiff build` and `skiff image inspect
// --waste` (dist/cmd/skiff.js, one process per command): a private key COPY'd in and rm'd by
// the next RUN is still shipped in its layer and reported as such; a password in ENV and a
// token in an ARG default are reported from the config and the history; the warnings never
// print the secret itself. An ordinary busybox build gets no warning at all. The key is
// generated at test time.
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageReport } from '../../imagebuild/report/analyze.js';
import { buildBusyboxImage, importImage, openStore } from '../fixtures/images.js';
import { outputsOf, startSkiff } from '../fixtures/process.js';

let tmp: string;
let root: string;
let key: string;

async function ok(...args: string[]): Promise<{ out: string; err: string }> {
  const p = startSkiff(args, { env: { SKIFF_LOG_LEVEL: 'error' } });
  const { code, out, err } = await outputsOf(p);
  if (code !== 0) throw new Error(`skiff ${args.join(' ')} exited ${code}:\n${err}${out}`);
  return { out, err };
}

async function build(name: string, dockerfile: string, files: Record<string, string> = {}): Promise<{ err: string; report: ImageReport }> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const [f, data] of Object.entries(files)) await writeFile(path.join(dir, f), data);
  await writeFile(path.join(dir, 'Dockerfile'), dockerfile);
  const ref = `localhost/report/${name}:1`;
  const { err } = await ok('build', '--root', root, '-t', ref, dir);
  const report = JSON.parse((await ok('image', 'inspect', '--waste', '--format', 'json', '--root', root, ref)).out) as ImageReport;
  return { err, report };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'skiff-report-secrets-'));
  root = path.join(tmp, 'root');
  const store = await openStore(path.join(tmp, 'seed'));
  await importImage(root, 'localhost/report/busybox:1', await buildBusyboxImage(store), store);
  key = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
}, 60_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('secrets in a built image', () => {
  it('reports a key added and deleted later, a password in ENV and a token in an ARG default, masked', async () => {
    const { err, report } = await build(
      'leaky',
      [
        'FROM localhost/report/busybox:1',
        'COPY id_rsa /root/.ssh/id_rsa',
        'RUN test -s /root/.ssh/id_rsa && rm /root/.ssh/id_rsa',
        'ARG NPM_TOKEN=npm_default12345',
        'ENV DB_PASSWORD=hunter2hunter2',
        'RUN echo done > /done',
        '',
      ].join('\n'),
      { id_rsa: key },
    );
    const files = report.secrets.filter((s) => s.source === 'file');
    expect(files.map((s) => [s.rule, s.path, s.layer, s.deleted]).sort()).toEqual([
      ['private-key', '/root/.ssh/id_rsa', 1, true],
      ['ssh-private-key-file', '/root/.ssh/id_rsa', 1, true],
    ]);
    expect(report.secrets.filter((s) => s.source !== 'file').map((s) => [s.source, s.key])).toEqual([
      ['env', 'DB_PASSWORD'],
      ['history', 'NPM_TOKEN'],
    ]);
    // The deleted key is still in the COPY layer: that layer's bytes are wasted too.
    expect(report.waste.entries).toEqual([{ path: '/root/.ssh/id_rsa', size: key.length, layer: 1, hiddenBy: 2, how: 'deleted' }]);

    const warnings = err.split('\n').filter((l) => l.startsWith('WARNING:'));
    expect(warnings.some((w) => /private key \(PEM\/OpenSSH\)\) in layer 2 \(COPY .*\): \/root\/\.ssh\/id_rsa — deleted later, still shipped in that layer/.test(w))).toBe(true);
    expect(warnings).toContain('WARNING: possible secret (password/token/secret in a variable) in config Env: DB_PASSWORD=hunt… (14 chars)');
    expect(warnings.some((w) => w.includes('(ARG NPM_TOKEN=npm_… (16 chars)): NPM_TOKEN=npm_… (16 chars)'))).toBe(true);
    for (const secret of ['hunter2hunter2', 'npm_default12345', key.split('\n')[1]]) expect(err).not.toContain(secret);

    const text = (await ok('image', 'inspect', '--waste', '--root', root, 'localhost/report/leaky:1')).out;
    expect(text).toContain('Possible secrets: 4');
    expect(text).toMatch(/SSH private key file\s+layer 2 .*\/root\/\.ssh\/id_rsa — deleted later/);
  });

  it('an ordinary busybox build has no waste and no secret warnings', async () => {
    const { err, report } = await build('plain', ['FROM localhost/report/busybox:1', 'ENV HOME=/root APP_MODE=production', 'WORKDIR /app', 'RUN echo hello > /app/hello && cat /etc/passwd > /dev/null', 'CMD ["sh"]', ''].join('\n'));
    expect(err).not.toContain('WARNING');
    expect(report.secrets).toEqual([]);
    expect(report.waste.totalBytes).toBe(0);
  });
});
