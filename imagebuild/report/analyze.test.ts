// The layer report on images written with skiff's image writer into a real content store:
// whiteouts, opaque directories, overwrites and hardlinks decide what is wasted; secrets are
// found in layers even when deleted later, and in the config and history.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentStore } from '../../runtime/images/content-store.js';
import { ImageStore } from '../../runtime/images/image-store.js';
import { writeImage, type LayerSpec, type WriteImageOptions, type WrittenImage } from '../../runtime/images/image-writer.js';
import { MEDIA, type Manifest, type OciImageConfig } from '../../runtime/images/media-types.js';
import { formatReference, parseReference } from '../../runtime/images/reference.js';
import { analyzeImage, analyzeManifest, formatWarnings } from './analyze.js';

let work: string;
let store: ContentStore;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'skiff-report-'));
  store = new ContentStore(path.join(work, 'content'));
  await store.init();
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A layer from a map of files ("etc/x" -> content). */
async function dirLayer(files: Record<string, string | Buffer>, createdBy: string): Promise<LayerSpec> {
  const dir = await mkdtemp(path.join(work, 'layer-'));
  for (const [p, data] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, p)), { recursive: true });
    await writeFile(path.join(dir, p), data);
  }
  return { dir, createdBy };
}

async function image(options: WriteImageOptions): Promise<WrittenImage> {
  return writeImage(store, options);
}

const BASE = { 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n', 'etc/group': 'root:x:0:\n', 'bin/tool': randomBytes(2000) };

describe('wasted bytes', () => {
  it('BigFile: a file added in one layer and deleted in the next is wasted, with the layers named', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 123);
    const img = await image({ layers: [await dirLayer(BASE, 'FROM base'), await dirLayer({ big }, 'COPY big /big'), { delete: ['big'], createdBy: 'RUN rm /big' }] });
    const r = await analyzeManifest(store, img.manifestDigest);
    expect(r.waste.entries).toEqual([{ path: '/big', size: big.length, layer: 1, hiddenBy: 2, how: 'deleted' }]);
    expect(r.waste.totalBytes).toBe(big.length);
    // Random data does not compress: the estimate is close to the file itself.
    expect(r.waste.estimatedCompressedBytes).toBeGreaterThan(big.length * 0.95);
    expect(r.waste.estimatedCompressedBytes).toBeLessThanOrEqual(r.layers[1].compressedSize);
    expect(r.layers.map((l) => l.size)).toEqual([2000 + 30 + 10, big.length, 0]);
    expect(r.size.compressed).toBe(img.manifest.config.size + img.manifest.layers.reduce((n, l) => n + l.size, 0));
    expect(r.size.content).toBe(2040 + big.length);
    const w = formatWarnings(r);
    expect(w).toHaveLength(1);
    expect(w[0]).toContain('/big 3.15MB, added in layer 2 (COPY big /big), deleted in layer 3 (RUN rm /big)');
  });

  it('overwrites, opaque directories and deleted directories waste what they hide; what stays visible is not waste', async () => {
    const img = await image({
      layers: [
        await dirLayer({ ...BASE, 'app/a.js': 'a'.repeat(100), 'app/lib/b.js': 'b'.repeat(200), 'cache/x': 'x'.repeat(300), 'cache/y': 'y'.repeat(400), 'keep/k': 'k'.repeat(50) }, 'layer 1'),
        await dirLayer({ 'app/a.js': 'A'.repeat(10), 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n' }, 'layer 2'),
        { opaque: ['app/lib'], delete: ['cache'], entries: [{ name: 'app/lib/c.js', data: 'c'.repeat(7) }], createdBy: 'layer 3' },
      ],
    });
    const r = await analyzeManifest(store, img.manifestDigest);
    const byPath = Object.fromEntries(r.waste.entries.map((e) => [e.path, e]));
    expect(Object.keys(byPath).sort()).toEqual(['/app/a.js', '/app/lib/b.js', '/cache/x', '/cache/y', '/etc/passwd']);
    expect(byPath['/app/a.js']).toEqual({ path: '/app/a.js', size: 100, layer: 0, hiddenBy: 1, how: 'overwritten' });
    expect(byPath['/app/lib/b.js']).toMatchObject({ size: 200, hiddenBy: 2, how: 'opaque' });
    expect(byPath['/cache/y']).toMatchObject({ size: 400, hiddenBy: 2, how: 'deleted' });
    expect(r.waste.totalBytes).toBe(100 + 200 + 300 + 400 + 30);
    expect(formatWarnings(r)[0]).toMatch(/^WARNING: 1\.03kB wasted: .*\/cache\/y 400B, added in layer 1 \(layer 1\), deleted in layer 3 \(layer 3\) and 4 more/);
  });

  it('a hardlink keeps content alive after its first name is deleted; a file replaced by a directory is waste', async () => {
    const img = await image({
      layers: [
        { entries: [{ name: 'data/orig', data: 'z'.repeat(1000) }, { name: 'data/alias', type: 'link', linkname: 'data/orig' }, { name: 'conf', data: 'q'.repeat(64) }], createdBy: 'one' },
        { delete: ['data/orig'], entries: [{ name: 'conf/', type: 'directory' }, { name: 'conf/inner', data: 'i' }], createdBy: 'two' },
      ],
    });
    const r = await analyzeManifest(store, img.manifestDigest);
    expect(r.waste.entries).toEqual([{ path: '/conf', size: 64, layer: 0, hiddenBy: 1, how: 'overwritten' }]);
  });

  it('no waste and no warnings for an image that only adds', async () => {
    const img = await image({ layers: [await dirLayer(BASE, 'base'), await dirLayer({ 'app/main': 'x' }, 'COPY main /app/')], config: { Env: ['PATH=/usr/bin:/bin', 'HOME=/root'], Cmd: ['/app/main'] } });
    const r = await analyzeManifest(store, img.manifestDigest);
    expect(r.waste).toEqual({ totalBytes: 0, estimatedCompressedBytes: 0, entries: [] });
    expect(r.secrets).toEqual([]);
    expect(formatWarnings(r)).toEqual([]);
  });
});

describe('secrets', () => {
  it('finds a private key added and deleted later, a .env that stays, and secrets in ENV and history', async () => {
    const key = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const img = await image({
      layers: [
        await dirLayer(BASE, 'FROM base'),
        await dirLayer({ 'root/.ssh/id_rsa': key, 'app/.env': 'DATABASE_URL=postgres://u:p@db/x\n' }, 'COPY . /'),
        { delete: ['root/.ssh/id_rsa'], createdBy: 'RUN git clone && rm /root/.ssh/id_rsa' },
      ],
      config: { Env: ['PATH=/usr/bin', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY'] },
    });
    const r = await analyzeManifest(store, img.manifestDigest);
    const files = r.secrets.filter((s) => s.source === 'file');
    expect(files.map((s) => [s.rule, s.path, s.layer, s.deleted]).sort()).toEqual([
      ['dotenv-file', '/app/.env', 1, false],
      ['private-key', '/root/.ssh/id_rsa', 1, true],
      ['ssh-private-key-file', '/root/.ssh/id_rsa', 1, true],
    ]);
    expect(r.secrets.find((s) => s.source === 'env')).toMatchObject({ rule: 'secret-variable', key: 'AWS_SECRET_ACCESS_KEY', excerpt: 'AWS_SECRET_ACCESS_KEY=wJal… (38 chars)' });
    const warnings = formatWarnings(r);
    expect(warnings.some((w) => w.includes('/root/.ssh/id_rsa — deleted later, still shipped in that layer'))).toBe(true);
    // Nothing printed carries the key or the secret value.
    expect(warnings.join('\n')).not.toContain(key.split('\n')[1]);
    expect(JSON.stringify(r)).not.toContain('wJalrXUtnFEMIK7MDENG');
  });

  it('reads history with empty layers (ENV, ARG) and reports secrets in them once', async () => {
    const written = await image({ layers: [await dirLayer(BASE, 'FROM base'), await dirLayer({ 'app/x': 'x' }, 'RUN |1 NPM_TOKEN=npm_abc123 /bin/sh -c npm ci')] });
    const config: OciImageConfig = {
      ...written.config,
      config: { Env: ['DB_PASSWORD=hunter2hunter2'] },
      history: [
        { created_by: 'FROM base' },
        { created_by: 'ARG NPM_TOKEN=npm_abc123', empty_layer: true },
        { created_by: 'ENV DB_PASSWORD=hunter2hunter2', empty_layer: true },
        { created_by: 'RUN |1 NPM_TOKEN=npm_abc123 /bin/sh -c npm ci' },
        { created_by: 'CMD ["sh"]', empty_layer: true },
      ],
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const manifest: Manifest = { ...written.manifest, config: { mediaType: MEDIA.ociConfig, digest: await store.writeBuffer(configBytes), size: configBytes.length } };
    const manifestDigest = await store.writeBuffer(Buffer.from(JSON.stringify(manifest)));
    const r = await analyzeManifest(store, manifestDigest);
    expect(r.history.map((h) => [h.createdBy.slice(0, 3), h.emptyLayer, h.layer, h.size])).toEqual([
      ['FRO', false, 0, r.layers[0].size],
      ['ARG', true, undefined, 0],
      ['ENV', true, undefined, 0],
      ['RUN', false, 1, 1],
      ['CMD', true, undefined, 0],
    ]);
    expect(formatWarnings(r).join('\n')).not.toContain('npm_abc123');
    expect(r.secrets.map((s) => [s.source, s.key, s.history])).toEqual([
      ['env', 'DB_PASSWORD', undefined],
      ['history', 'NPM_TOKEN', 1],
      ['history', 'NPM_TOKEN', 3],
    ]);
    expect(formatWarnings(r)[2]).toBe('WARNING: possible secret (password/token/secret in a variable) in history 4 (RUN |1 NPM_TOKEN=npm_… (10 chars) /bin/…): NPM_TOKEN=npm_… (10 chars)');
  });
});

describe('formatWarnings', () => {
  it('caps the secret warnings at ten and says how many more there are', () => {
    const secrets = Array.from({ length: 13 }, (_, i) => ({ rule: 'dotenv-file', description: '.env file', source: 'file' as const, layer: 0, path: `/t/${i}/.env`, excerpt: 'file name', deleted: false }));
    const report = { id: 'sha256:0', manifestDigest: 'sha256:1', history: [], layers: [], size: { compressed: 0, uncompressed: 0, content: 0 }, waste: { totalBytes: 0, estimatedCompressedBytes: 0, entries: [] }, secrets };
    const w = formatWarnings(report);
    expect(w).toHaveLength(11);
    expect(w[0]).toBe('WARNING: possible secret (.env file) in layer 1: /t/0/.env');
    expect(w[10]).toBe('WARNING: 3 more possible secret(s); see `skiff image inspect --waste`');
  });
});

describe('layer cache', () => {
  it('reuses the result of a layer by digest (the blob is not read again); a different rule table does not', async () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const own = new ContentStore(path.join(work, 'cache-content'));
    await own.init();
    const img = await writeImage(own, { layers: [await dirLayer({ ...BASE, 'k.pem': key }, 'one'), { delete: ['k.pem'], createdBy: 'two' }] });
    const cacheDir = path.join(work, 'report-cache');
    const first = await analyzeManifest(own, img.manifestDigest, { cacheDir });
    // With the layer blobs gone, only the cache can answer.
    for (const l of img.manifest.layers) await own.delete(l.digest);
    const again = await analyzeManifest(own, img.manifestDigest, { cacheDir });
    expect(again).toEqual(first);
    expect(again.secrets.map((s) => [s.rule, s.layer, s.deleted])).toEqual([['private-key', 0, true]]);
    await expect(analyzeManifest(own, img.manifestDigest)).rejects.toThrow(/not in the content store/);
    await expect(analyzeManifest(own, img.manifestDigest, { cacheDir, rules: [] })).rejects.toThrow(/not in the content store/);
  });
});

describe('analyzeImage', () => {
  it('finds the image by tag or ID prefix in the image store; unknown names and non-manifests are clear errors', async () => {
    const img = await image({ layers: [await dirLayer(BASE, 'base')], format: 'docker' });
    const root = path.join(work, 'root');
    await mkdir(root, { recursive: true });
    const images = new ImageStore(root);
    const name = formatReference(parseReference('localhost/report/app:v1'));
    await images.put({ name, manifestDigest: img.manifestDigest, manifestMediaType: img.mediaType, id: img.configDigest, stored: new Date().toISOString() });
    const source = { content: store, images };
    const byTag = await analyzeImage(source, 'localhost/report/app:v1');
    expect(byTag).toMatchObject({ ref: 'localhost/report/app:v1', id: img.configDigest, manifestDigest: img.manifestDigest });
    expect(byTag.layers[0].mediaType).toBe(MEDIA.dockerLayerGzip);
    expect((await analyzeImage(source, img.configDigest.slice(7, 19))).id).toBe(img.configDigest);
    await expect(analyzeImage(source, 'localhost/report/nope:v1')).rejects.toThrow(/no such image/);
    await expect(analyzeManifest(store, img.configDigest)).rejects.toThrow(/not an image manifest/);
    // A layer blob that is not gzip: a clear error naming the layer, not a hang.
    const junk = await store.writeBuffer(Buffer.from('not a gzip stream at all'));
    const bad: Manifest = { ...img.manifest, layers: [{ mediaType: MEDIA.ociLayerGzip, digest: junk, size: 24 }] };
    const badDigest = await store.writeBuffer(Buffer.from(JSON.stringify(bad)));
    await expect(analyzeManifest(store, badDigest)).rejects.toThrow(`reading layer ${junk}`);
  });
});
