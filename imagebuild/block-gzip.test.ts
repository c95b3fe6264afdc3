// The layer gzip: a stream of members that any gzip reader reads back as the input, the same
// bytes every time for the same input, text deflated and random data stored.
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { blockGzip } from './block-gzip.js';

async function gz(data: Buffer, chunk: number): Promise<Buffer> {
  async function* source() {
    for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk);
  }
  const parts: Buffer[] = [];
  for await (const p of blockGzip(source())) parts.push(p);
  return Buffer.concat(parts);
}

describe('blockGzip', () => {
  const text = Buffer.from('export const answer = 42;\n'.repeat(150_000)); // ~3.9 MB
  const random = randomBytes(3 << 20);
  const mixed = Buffer.concat([text, random, text.subarray(0, 12345)]);

  it('reads back as the input, whatever the chunking, with identical bytes each time', async () => {
    for (const input of [Buffer.alloc(0), Buffer.from('x'), text, random, mixed]) {
      const a = await gz(input, 65_536);
      expect(gunzipSync(a).equals(input)).toBe(true);
      expect((await gz(input, 1_000_003)).equals(a)).toBe(true);
    }
  });

  it('deflates what compresses and stores what does not', async () => {
    expect((await gz(text, 65_536)).length).toBeLessThan(text.length / 50);
    const r = await gz(random, 65_536);
    // Stored blocks: 5 bytes per 64 KiB plus 18 per member, never a deflate attempt's growth beyond that.
    expect(r.length).toBeLessThan(random.length * 1.001);
    expect(r.length).toBeGreaterThanOrEqual(random.length);
  });
});
