// One layer's part of the report — its entry list, sizes and file secret findings — which
// depends only on the layer blob and the rule table. A layer's digest names its content, so
// the result may be kept on disk (`cacheDir`) and reused by every image sharing the layer: a
// rebuild answered from the layer cache, or any image on the same base, then costs a JSON
// read per layer instead of a gunzip of the blob. Entries are keyed by a hash of the rules,
// so a changed rule table reads nothing stale; the directory is trimmed to the newest files.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContentStore } from '../../runtime/images/content-store.js';
import { digestHex } from '../../runtime/images/digest.js';
import type { Descriptor } from '../../runtime/images/media-types.js';
import { readLayer, SMALL_FILE_LIMIT, type LayerListing } from './layer-reader.js';
import type { SecretRule } from './secret-rules.js';
import { scanFile, type SecretFinding } from './secrets.js';

export interface LayerScan extends LayerListing {
  /** File findings, `layer` set to the index asked for. */
  findings: SecretFinding[];
}

/** Cached layer reports kept (each a few kB to a few MB for large layers). */
const KEEP = 256;
const FORMAT = 1;

function rulesKey(rules: readonly SecretRule[]): string {
  const text = JSON.stringify([FORMAT, SMALL_FILE_LIMIT, rules.map((r) => [r.id, r.description, r.path?.source, r.path?.flags, r.content?.source, r.content?.flags])]);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export async function scanLayer(content: ContentStore, desc: Descriptor, index: number, rules: readonly SecretRule[], cacheDir?: string): Promise<LayerScan> {
  const file = cacheDir ? path.join(cacheDir, `${digestHex(desc.digest)}.${rulesKey(rules)}.json`) : undefined;
  if (file) {
    const hit = await readFile(file, 'utf8').then((t) => JSON.parse(t) as LayerScan, () => undefined);
    if (hit) {
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined); // recently used: kept by the trim
      return { ...hit, findings: hit.findings.map((f) => ({ ...f, layer: index })) };
    }
  }
  const findings: SecretFinding[] = [];
  const listing = await readLayer(content, desc, (p, data) => findings.push(...scanFile(rules, index, p, data)));
  // Path-only rules also catch files too big to read (the small-file hook saw those with content).
  const seen = new Set(findings.map((f) => `${f.rule}\0${f.path}`));
  for (const e of listing.entries) {
    if (e.kind !== 'file') continue;
    for (const f of scanFile(rules, index, e.path)) if (!seen.has(`${f.rule}\0${f.path}`)) findings.push(f);
  }
  const scan: LayerScan = { ...listing, findings };
  if (file && cacheDir) await store(cacheDir, file, scan).catch(() => undefined); // a cache that cannot be written only costs time
  return scan;
}

async function store(dir: string, file: string, scan: LayerScan): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, JSON.stringify(scan));
  await rename(tmp, file);
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  if (names.length <= KEEP) return;
  const aged = await Promise.all(names.map(async (n) => ({ n, t: (await stat(path.join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
  aged.sort((a, b) => b.t - a.t);
  for (const { n } of aged.slice(KEEP)) await unlink(path.join(dir, n)).catch(() => undefined);
}
