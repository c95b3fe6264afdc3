// The text forms: docker history's rows (newest first, <missing> below the top, 45-character
// CREATED BY, bytes with -H false) and the waste report's step names, which mask secrets.
import { describe, expect, it } from 'vitest';
import type { ImageReport } from './analyze.js';
import { historyTableRows, wasteReport } from './format.js';
import { historyRows, instructionOf } from './history.js';

const layers = [0, 1].map((index) => ({ index, digest: `sha256:${String(index).repeat(64)}`, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', compressedSize: 100, tarSize: 2048, size: 1500 + index, entries: 3 }));

function report(): ImageReport {
  const history = historyRows(
    {
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
      history: [
        { created: '2026-01-01T00:00:00Z', created_by: 'base' },
        { created: '2026-01-02T00:00:00Z', created_by: '/bin/sh -c #(nop) ENV API_TOKEN=tok_0123456789', empty_layer: true },
        { created: '2026-01-03T00:00:00Z', created_by: '/bin/sh -c apk add --no-cache a-rather-long-package-name another-one && rm -rf /var/cache', comment: 'buildkit' },
      ],
    },
    layers,
  );
  return { id: `sha256:${'ab'.repeat(32)}`, manifestDigest: 'sha256:x', history, layers, size: { compressed: 300, uncompressed: 4096, content: 3001 }, waste: { totalBytes: 1500, estimatedCompressedBytes: 100, entries: [{ path: '/x', size: 1500, layer: 0, hiddenBy: 1, how: 'overwritten' }] }, secrets: [] };
}

describe('history rows', () => {
  it('pairs non-empty history entries with layers, empty ones at 0 B', () => {
    expect(report().history.map((h) => [h.layer, h.size, h.emptyLayer])).toEqual([
      [0, 1500, false],
      [undefined, 0, true],
      [1, 1501, false],
    ]);
  });

  it('falls back to one row per layer when the history does not match', () => {
    const rows = historyRows({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, history: [{ created_by: 'only one' }] }, layers);
    expect(rows.map((r) => [r.layer, r.comment])).toEqual([
      [0, 'history does not match the layers'],
      [1, 'history does not match the layers'],
    ]);
  });

  it('prints newest first, the image ID on top, truncated CREATED BY, human or raw sizes', () => {
    const ago = (iso: string | undefined) => `ago(${iso})`;
    const rows = historyTableRows(report(), { ago });
    expect(rows.map((r) => r[0])).toEqual(['abababababab', '<missing>', '<missing>']);
    expect(rows[0]).toEqual(['abababababab', 'ago(2026-01-03T00:00:00Z)', '/bin/sh -c apk add --no-cache a-rather-long-…', '1.5kB', 'buildkit']);
    expect(rows[0][2]).toHaveLength(45);
    expect(rows[1][3]).toBe('0B');
    const raw = historyTableRows(report(), { ago, human: false, noTrunc: true });
    expect(raw[0]).toEqual([`sha256:${'ab'.repeat(32)}`, '2026-01-03T00:00:00Z', '/bin/sh -c apk add --no-cache a-rather-long-package-name another-one && rm -rf /var/cache', '1501', 'buildkit']);
  });
});

describe('waste report', () => {
  it('names steps as Dockerfile instructions, secrets masked', () => {
    expect(instructionOf('/bin/sh -c #(nop) COPY file:abc in /x')).toBe('COPY file:abc in /x');
    expect(instructionOf('/bin/sh -c make')).toBe('RUN make');
    expect(instructionOf('|1 TOKEN=x /bin/sh -c make')).toBe('RUN |1 TOKEN=x /bin/sh -c make');
    expect(instructionOf('RUN ["make"]')).toBe('RUN ["make"]');
    const r = report();
    r.history[0].createdBy = '/bin/sh -c #(nop) ENV API_TOKEN=tok_0123456789';
    const { summary, wasteRows } = wasteReport(r);
    expect(summary[2]).toBe('Wasted: 1.5kB (1500 bytes) in 1 file(s), about 100B of the compressed layers');
    expect(wasteRows[0]).toEqual(['/x', '1.5kB', '1: ENV API_TOKEN=tok_… (14 chars)', '2: RUN apk add --no-cache a-rather-long-pa… (overwritten)']);
  });
});
