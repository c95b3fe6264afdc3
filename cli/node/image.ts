// `skiff image history|inspect [--root DIR] REF`: what is inside a node-local image, like
// `docker history` and `docker image inspect`; `inspect --waste` adds the layer report (bytes
// shipped for files later layers delete or overwrite, likely secrets in any layer).
import { Command } from 'commander';
import { analyzeImage, reportCacheDir, type ImageReport } from '../../imagebuild/report/analyze.js';
import { HISTORY_HEADER, historyTableRows, SECRET_HEADER, WASTE_HEADER, wasteReport } from '../../imagebuild/report/format.js';
import { ImageService } from '../../runtime/image-service.js';
import type { OciImageConfig } from '../../runtime/images/media-types.js';
import { humanAgo } from '../images/image-format.js';
import { renderTable } from '../printers/table.js';

const DEFAULT_ROOT = '/var/lib/skiff/runtime';

interface RootOptions {
  root: string;
}

function parseBool(v: string): boolean {
  if (/^(?:true|1|yes)$/i.test(v)) return true;
  if (/^(?:false|0|no)$/i.test(v)) return false;
  throw new Error(`expected true or false, got ${JSON.stringify(v)}`);
}

function parseFormat(v: string): 'table' | 'json' {
  if (v !== 'table' && v !== 'json') throw new Error(`--format is "table" or "json", not ${JSON.stringify(v)}`);
  return v;
}

/** docker image inspect's shape, plus the manifest skiff keeps beside the config. */
async function inspectJson(images: ImageService, ref: string): Promise<Record<string, unknown> | undefined> {
  const st = await images.imageStatus({ image: ref }, true);
  if (!st.image || !st.info) return undefined;
  const info = st.info as { imageConfig: OciImageConfig; manifest: unknown; manifestDigest: string };
  const c = info.imageConfig;
  const out: Record<string, unknown> = {
    Id: st.image.id,
    RepoTags: st.image.repoTags,
    RepoDigests: st.image.repoDigests,
    Created: c.created ?? '',
    Author: c.author ?? '',
    Config: c.config ?? {},
    Architecture: c.architecture,
    Os: c.os,
    Size: st.image.size,
    RootFS: { Type: c.rootfs.type, Layers: c.rootfs.diff_ids },
    History: c.history ?? [],
    ManifestDigest: info.manifestDigest,
    Manifest: info.manifest,
  };
  if (c.variant) out.Variant = c.variant;
  return out;
}

function printWaste(report: ImageReport): void {
  const { summary, wasteRows, secretRows } = wasteReport(report);
  let text = `${summary.join('\n')}\n`;
  if (wasteRows.length > 0) text += `\n${renderTable({ headers: WASTE_HEADER, rows: wasteRows })}`;
  if (secretRows.length > 0) text += `\n${renderTable({ headers: SECRET_HEADER, rows: secretRows })}`;
  process.stdout.write(text);
}

export function imageCommand(): Command {
  const image = new Command('image').description('inspect node-local images: history, config, wasted bytes and secrets in layers');
  const open = (o: RootOptions) => new ImageService({ root: o.root });

  image
    .command('history')
    .description('show the history of an image: IMAGE CREATED CREATED-BY SIZE COMMENT, newest first')
    .argument('<ref>', 'image reference, ID or unique ID prefix')
    .option('--root <dir>', 'runtime root directory', DEFAULT_ROOT)
    .option('--no-trunc', "don't truncate output")
    .option('-q, --quiet', 'only show image IDs')
    .option('-H, --human <bool>', 'print sizes and dates in human readable format', parseBool, true)
    .option('--format <format>', 'table or json (the report rows, oldest first)', parseFormat, 'table')
    .action(async (ref: string, flags: RootOptions & { trunc: boolean; quiet?: boolean; human: boolean; format: 'table' | 'json' }) => {
      const report = await analyzeImage(open(flags), ref, { cacheDir: reportCacheDir(flags.root) });
      if (flags.format === 'json') {
        process.stdout.write(`${JSON.stringify(report.history, null, 2)}\n`);
        return;
      }
      const rows = historyTableRows(report, { noTrunc: !flags.trunc, human: flags.human, ago: (iso) => humanAgo(iso, Date.now()) });
      if (flags.quiet) process.stdout.write(rows.map((r) => `${r[0]}\n`).join(''));
      else process.stdout.write(renderTable({ headers: HISTORY_HEADER, rows }));
    });

  image
    .command('inspect')
    .description('show images as JSON (config + manifest); with --waste, the layer report')
    .argument('<refs...>', 'image references, IDs or unique ID prefixes')
    .option('--root <dir>', 'runtime root directory', DEFAULT_ROOT)
    .option('--waste', 'report bytes shipped for files later layers delete or overwrite, and likely secrets in any layer')
    .option('--format <format>', 'with --waste: table or json', parseFormat, 'table')
    .action(async (refs: string[], flags: RootOptions & { waste?: boolean; format: 'table' | 'json' }) => {
      const images = open(flags);
      if (flags.waste) {
        const reports: ImageReport[] = [];
        for (const r of refs) reports.push(await analyzeImage(images, r, { cacheDir: reportCacheDir(flags.root) }));
        if (flags.format === 'json') process.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
        else reports.forEach((r, i) => {
          if (i > 0) process.stdout.write('\n');
          printWaste(r);
        });
        return;
      }
      const out: unknown[] = [];
      const missing: string[] = [];
      for (const r of refs) {
        const j = await inspectJson(images, r);
        if (j) out.push(j);
        else missing.push(r);
      }
      process.stdout.write(`${JSON.stringify(out, null, 4)}\n`);
      if (missing.length > 0) throw new Error(missing.map((m) => `no such image: ${m}`).join('\n'));
    });
  return image;
}
