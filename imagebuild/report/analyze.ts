// The layer report of one image in a node-local store: its history (docker history), per-layer
// sizes, the bytes shipped for files that later layers delete or overwrite, and likely secrets
// in any layer (even deleted ones) or in the config and history. `skiff image history|inspect
// --waste` prints it; `skiff build` prints formatWarnings of it after writing an image.
//
//   const report = await analyzeImage(imageService, 'localhost/app:v1', { cacheDir: reportCacheDir(root) });
//   const report = await analyzeManifest(imageService.content, manifestDigest);   // by manifest digest
//   for (const w of formatWarnings(report)) process.stderr.write(`${w}\n`);
import { humanSize } from '../../api/human-size.js';
import path from 'node:path';
import { RuntimeError } from '../../runtime/cri.js';
import type { ContentStore } from '../../runtime/images/content-store.js';
import { findImage } from '../../runtime/images/find-image.js';
import type { ImageStore } from '../../runtime/images/image-store.js';
import { isManifestType, type Descriptor, type Manifest, type OciImageConfig } from '../../runtime/images/media-types.js';
import { historyRows, instructionOf, layerCreatedBy, type HistoryRow, type LayerInfo } from './history.js';
import { scanLayer } from './layer-scan.js';
import { SECRET_RULES, type SecretRule } from './secret-rules.js';
import { envPairs, redactLine, scanHistoryLine, scanPairs, type SecretFinding } from './secrets.js';
import { RootfsModel, type WasteEntry } from './waste.js';

export type { HistoryRow, LayerInfo, SecretFinding, WasteEntry };

export interface ImageReport {
  /** The reference or ID the caller asked for (when found through the image store). */
  ref?: string;
  /** The image ID ("sha256:<config digest>"). */
  id: string;
  manifestDigest: string;
  created?: string;
  /** Oldest first, one row per config history entry. */
  history: HistoryRow[];
  layers: LayerInfo[];
  size: {
    /** Config + layer blobs as a registry ships them. */
    compressed: number;
    /** Uncompressed tar bytes of all layers. */
    uncompressed: number;
    /** Regular file content bytes of all layers. */
    content: number;
  };
  waste: {
    /** Content bytes of files no path of the final rootfs shows. */
    totalBytes: number;
    /**
     * Share of the compressed blobs those files take, estimated per layer as
     * compressed size x wasted bytes / content bytes (gzip does not say per file).
     */
    estimatedCompressedBytes: number;
    entries: WasteEntry[];
  };
  secrets: SecretFinding[];
}

/** What the report needs from an image root; an ImageService has both. */
export interface ImageSource {
  content: ContentStore;
  images: ImageStore;
}

export interface AnalyzeOptions {
  /** The rule table (tests pass a subset); SECRET_RULES by default. */
  rules?: readonly SecretRule[];
  /**
   * Where per-layer results are kept for reuse (by layer digest); `skiff build` and `skiff image`
   * use <root>/build/reports. Nothing is cached without it.
   */
  cacheDir?: string;
}

const LAYERS_AT_ONCE = 3;

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The report cache of a runtime root (see AnalyzeOptions.cacheDir). */
export function reportCacheDir(runtimeRoot: string): string {
  return path.join(runtimeRoot, 'build', 'reports');
}

/**
 * Scans one layer into the report cache ahead of analyzeManifest (which then only reads the
 * result): `skiff build` starts this as each new layer is stored, so the scan overlaps the
 * steps after it instead of following the build.
 */
export async function prescanLayer(content: ContentStore, desc: Descriptor, cacheDir: string, options: { rules?: readonly SecretRule[] } = {}): Promise<void> {
  await scanLayer(content, desc, 0, options.rules ?? SECRET_RULES, cacheDir);
}

/** Finds `ref` (name:tag, name@digest, ID or unique ID prefix) in the store and analyses it. */
export async function analyzeImage(source: ImageSource, ref: string, options: AnalyzeOptions = {}): Promise<ImageReport> {
  const found = findImage(await source.images.list(), ref);
  const report = await analyzeManifest(source.content, found.records[0].manifestDigest, options);
  return { ref, ...report };
}

/** Analyses the image whose manifest (a single-platform one) is `manifestDigest` in `content`. */
export async function analyzeManifest(content: ContentStore, manifestDigest: string, options: AnalyzeOptions = {}): Promise<ImageReport> {
  const rules = options.rules ?? SECRET_RULES;
  const manifest = await content.readJson<Manifest>(manifestDigest);
  if (!Array.isArray(manifest.layers) || !manifest.config || (manifest.mediaType !== undefined && !isManifestType(manifest.mediaType))) {
    throw new RuntimeError('InvalidArgument', `${manifestDigest} is not an image manifest (media type ${manifest.mediaType ?? 'unknown'})`);
  }
  const config = await content.readJson<OciImageConfig>(manifest.config.digest);
  // Layers are read side by side (gunzip runs on the thread pool) and applied in order.
  const scans = await mapLimit(manifest.layers, LAYERS_AT_ONCE, (desc, index) => scanLayer(content, desc, index, rules, options.cacheDir));
  const model = new RootfsModel();
  const layers: LayerInfo[] = [];
  const fileFindings: SecretFinding[] = [];
  for (const [index, desc] of manifest.layers.entries()) {
    const scan = scans[index];
    fileFindings.push(...scan.findings);
    model.apply(index, scan.entries);
    const info: LayerInfo = { index, digest: desc.digest, mediaType: desc.mediaType, compressedSize: desc.size, tarSize: scan.tarSize, size: scan.contentSize, entries: scan.entries.length };
    const diffId = config.rootfs?.diff_ids?.[index];
    if (diffId !== undefined) info.diffId = diffId;
    layers.push(info);
  }
  for (const f of fileFindings) f.deleted = !model.isVisible(f.layer!, f.path!.slice(1));

  const history = historyRows(config, layers);
  const configFindings = [...scanPairs(rules, 'env', envPairs(config.config?.Env)), ...scanPairs(rules, 'label', Object.entries(config.config?.Labels ?? {}))];
  const historyFindings = (config.history ?? []).flatMap((h, i) => scanHistoryLine(rules, i, h.created_by ?? ''));
  // The ENV line in the history says the same as the config's Env: keep the config's.
  const seen = new Set(configFindings.map((f) => `${f.rule}\0${f.excerpt}`));
  const secrets = [...fileFindings, ...configFindings, ...historyFindings.filter((f) => !seen.has(`${f.rule}\0${f.excerpt}`))];

  const waste = model.waste();
  const wastedPerLayer = new Map<number, number>();
  for (const w of waste) wastedPerLayer.set(w.layer, (wastedPerLayer.get(w.layer) ?? 0) + w.size);
  let estimatedCompressedBytes = 0;
  for (const [i, bytes] of wastedPerLayer) estimatedCompressedBytes += layers[i].size > 0 ? Math.round((layers[i].compressedSize * bytes) / layers[i].size) : 0;

  const report: ImageReport = {
    id: manifest.config.digest,
    manifestDigest,
    history,
    layers,
    size: {
      compressed: manifest.config.size + layers.reduce((n, l) => n + l.compressedSize, 0),
      uncompressed: layers.reduce((n, l) => n + l.tarSize, 0),
      content: layers.reduce((n, l) => n + l.size, 0),
    },
    waste: { totalBytes: waste.reduce((n, w) => n + w.size, 0), estimatedCompressedBytes, entries: waste },
    secrets,
  };
  if (config.created !== undefined) report.created = config.created;
  return report;
}

/** Decimal units with three significant digits, as docker prints sizes. */
export const humanBytes = humanSize;

/** A history line shortened for one message line, secrets masked (it may carry the very secret reported). */
function shorten(s: string, max = 60): string {
  const one = redactLine(SECRET_RULES, instructionOf(s)).replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Where a finding sits, in words ("layer 2 (COPY . /app): /app/.env"). */
export function describeFinding(report: ImageReport, f: SecretFinding): string {
  const by = layerCreatedBy(report.history);
  switch (f.source) {
    case 'file': {
      const step = by.get(f.layer!);
      return `layer ${f.layer! + 1}${step ? ` (${shorten(step, 60)})` : ''}: ${f.path}${f.deleted ? ' — deleted later, still shipped in that layer' : ''}`;
    }
    case 'env':
      return `config Env: ${f.excerpt}`;
    case 'label':
      return `config Labels: ${f.excerpt}`;
    case 'history':
      return `history ${f.history! + 1} (${shorten(report.history[f.history!]?.createdBy ?? '', 40)}): ${f.excerpt}`;
  }
}

const MAX_SECRET_WARNINGS = 10;

/** The warnings `skiff build` prints after writing an image: one for waste, one per secret. */
export function formatWarnings(report: ImageReport): string[] {
  const out: string[] = [];
  if (report.waste.totalBytes > 0) {
    const by = layerCreatedBy(report.history);
    const top = report.waste.entries[0];
    const more = report.waste.entries.length > 1 ? ` and ${report.waste.entries.length - 1} more` : '';
    const step = (i: number) => (by.get(i) ? ` (${shorten(by.get(i)!, 60)})` : '');
    out.push(
      `WARNING: ${humanBytes(report.waste.totalBytes)} wasted: files shipped in one layer and deleted or overwritten in a later one ` +
        `(${top.path} ${humanBytes(top.size)}, added in layer ${top.layer + 1}${step(top.layer)}, ${top.how} in layer ${top.hiddenBy + 1}${step(top.hiddenBy)}${more}); ` +
        'see `skiff image inspect --waste`; a multi-stage build or one RUN that adds and removes avoids it',
    );
  }
  // A tree full of keys (a vendored test suite) should not bury the build output.
  for (const f of report.secrets.slice(0, MAX_SECRET_WARNINGS)) out.push(`WARNING: possible secret (${f.description}) in ${describeFinding(report, f)}`);
  const rest = report.secrets.length - MAX_SECRET_WARNINGS;
  if (rest > 0) out.push(`WARNING: ${rest} more possible secret(s); see \`skiff image inspect --waste\``);
  return out;
}
