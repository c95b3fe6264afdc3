import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pullDisplay, type PullProgress } from './pull-display.js';

const layer = (status: PullProgress['status'], bytesDone = 0): PullProgress => ({ digest: `sha256:${'a'.repeat(64)}`, kind: 'layer', status, bytesDone, bytesTotal: 2_500_000 });

describe('pull progress without a terminal', () => {
  it('prints one line per layer and step, once each, and knows whether anything was fetched', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (b: Buffer) => (text += b.toString()));
    const d = pullDisplay(out);
    for (const p of [layer('waiting'), layer('downloading', 10), layer('downloading', 20), layer('done', 2_500_000), layer('extracting'), layer('extracted'), layer('extracted')]) d.onProgress(p);
    d.onProgress({ ...layer('done'), kind: 'config' });
    d.stop();
    expect(text).toBe('aaaaaaaaaaaa: Pulling fs layer\naaaaaaaaaaaa: Download complete (2.5MB)\naaaaaaaaaaaa: Pull complete\n');
    expect(d.fetched()).toBe(true);
  });

  it('says a layer already present exists, and nothing was fetched', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (b: Buffer) => (text += b.toString()));
    const d = pullDisplay(out);
    d.onProgress(layer('exists', 2_500_000));
    expect(text).toBe('aaaaaaaaaaaa: Already exists\n');
    expect(d.fetched()).toBe(false);
  });
});
