// Unpacks the tar a pod sends for `skiff cp POD:PATH LOCAL` (the output of `tar cf - PATH` in
// the container) under a local destination, trusting nothing in it: kubectl cp had several CVEs
// (CVE-2018-1002100, CVE-2019-1002101, CVE-2019-11246, CVE-2019-11249) where a hostile pod's
// tar wrote outside the destination through `../`, absolute names or symlinks. So, as kubectl
// does since: an entry outside the copied path or resolving outside the destination is skipped
// with a warning, links are never made, and only plain files and directories are written.
import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

/** The remote path as its tar names it: no leading '/', no trailing '/', cleaned (`tar cf - /a/b/` -> `a/b`). */
export function tarPrefix(remotePath: string): string {
  const cleaned = path.posix.normalize(remotePath.replace(/^\/+/, '')).replace(/\/+$/, '');
  return cleaned === '.' ? '' : cleaned;
}

/**
 * Where an entry goes under `destination`, or why it is refused. `prefix` is the copied path
 * (tarPrefix): the entry named exactly so lands on `destination` itself, one below it inside.
 */
export function entryDestination(name: string, prefix: string, destination: string): { path: string } | { refused: string } {
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return { refused: 'absolute path' };
  const cleaned = name.replace(/\/+$/, '');
  if (cleaned.split('/').includes('..')) return { refused: 'path contains ".."' };
  let rest: string;
  if (prefix === '') rest = cleaned;
  else if (cleaned === prefix) rest = '';
  else if (cleaned.startsWith(`${prefix}/`)) rest = cleaned.slice(prefix.length + 1);
  else return { refused: `not under the copied path "${prefix}"` };
  const target = path.resolve(destination, rest);
  const relative = path.relative(path.resolve(destination), target);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return { refused: 'file is outside target destination' };
  return { path: target };
}

export interface ExtractResult {
  files: number;
  directories: number;
  skipped: number;
}

/**
 * Reads the tar from `input` and writes its files and directories under `destination`. With a
 * single file copied onto an existing directory, the file goes inside it, named as in the pod.
 */
export async function extractTar(input: Readable, options: { prefix: string; destination: string; warn: (line: string) => void }): Promise<ExtractResult> {
  const result: ExtractResult = { files: 0, directories: 0, skipped: 0 };
  const destinationIsDir = await stat(options.destination).then((s) => s.isDirectory(), () => false);
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const skip = (why: string) => {
        result.skipped++;
        options.warn(`warning: skipping ${JSON.stringify(header.name)}: ${why}`);
        stream.resume();
        stream.once('end', () => next());
      };
      const where = entryDestination(header.name, options.prefix, options.destination);
      if ('refused' in where) return skip(where.refused);
      let target = where.path;
      if (header.type === 'directory') {
        mkdir(target, { recursive: true, mode: 0o755 }).then(
          () => {
            result.directories++;
            stream.resume();
            stream.once('end', () => next());
          },
          (err: Error) => next(err),
        );
        return;
      }
      if (header.type === 'symlink' || header.type === 'link') return skip(`${header.type === 'link' ? 'hard link' : 'symlink'} to ${JSON.stringify(header.linkname)}`);
      if (header.type !== 'file' && header.type !== 'contiguous-file') return skip(`not a regular file (${header.type})`);
      if (target === path.resolve(options.destination) && destinationIsDir) target = path.join(target, path.posix.basename(options.prefix || header.name));
      const mode = (header.mode ?? 0o644) & 0o777;
      mkdir(path.dirname(target), { recursive: true })
        .then(() => pipeline(stream, createWriteStream(target, { mode })))
        .then(
          () => {
            result.files++;
            next();
          },
          (err: Error) => next(err),
        );
    });
    extract.once('finish', resolve);
    extract.once('error', reject);
  });
  input.pipe(extract);
  input.once('error', (err) => extract.destroy(err));
  await done;
  return result;
}
