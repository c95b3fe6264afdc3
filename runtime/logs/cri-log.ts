// Reading CRI-format container logs, the format conmon writes and the kubelet reads:
//   <RFC3339Nano time> <stdout|stderr> <P|F> <content>
// (P: a partial chunk of a longer line, F: the end of a line). Rotated files keep the name
// with a numeric suffix, oldest highest ("x.log.2", "x.log.1", then "x.log"), as the kubelet's
// container log manager keeps them.
import fs from 'node:fs/promises';
import type { LogLine, ReadLogsOptions } from '../cri.js';

export function parseLogLine(raw: string): LogLine | undefined {
  const a = raw.indexOf(' ');
  const b = a < 0 ? -1 : raw.indexOf(' ', a + 1);
  const c = b < 0 ? -1 : raw.indexOf(' ', b + 1);
  if (c < 0) {
    // "<time> <stream> <tag>" with empty content has no third space.
    if (b < 0) return undefined;
    const stream = raw.slice(a + 1, b);
    if (stream !== 'stdout' && stream !== 'stderr') return undefined;
    return { time: raw.slice(0, a), stream, partial: raw.slice(b + 1).startsWith('P'), line: '' };
  }
  const stream = raw.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = raw.slice(b + 1, c);
  return { time: raw.slice(0, a), stream, partial: tag.split(':')[0] === 'P', line: raw.slice(c + 1) };
}

/** Epoch ms of a log timestamp (sub-millisecond digits dropped). */
export function logTimeMs(time: string): number {
  return Date.parse(time.replace(/(\.\d{3})\d+/, '$1'));
}

/** The rotated files before `logPath`, oldest first, then `logPath`. */
export async function logFiles(logPath: string): Promise<string[]> {
  const dir = logPath.slice(0, logPath.lastIndexOf('/')) || '/';
  const base = logPath.slice(logPath.lastIndexOf('/') + 1);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const rotated = names
    .map((n) => (n.startsWith(`${base}.`) ? Number(n.slice(base.length + 1)) : NaN))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((x, y) => y - x)
    .map((n) => `${logPath}.${n}`);
  return [...rotated, logPath];
}

function parseAll(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    const l = parseLogLine(raw);
    if (l) out.push(l);
  }
  return out;
}

export interface FollowOptions {
  /** Whether the writer may still append (follow stops once it is done and the file is drained). */
  stillWriting: () => Promise<boolean>;
  pollMs?: number;
}

/** Reads (and with `follow`, keeps reading) a container's CRI log. */
export async function* readCriLog(logPath: string, options: ReadLogsOptions = {}, follow?: FollowOptions): AsyncGenerator<LogLine> {
  const since = options.sinceTime;
  const accept = (l: LogLine) => since === undefined || logTimeMs(l.time) >= since;
  let budget = options.limitBytes ?? Infinity;
  const emit = function* (lines: LogLine[]): Generator<LogLine, boolean> {
    for (const l of lines) {
      if (!accept(l)) continue;
      budget -= Buffer.byteLength(l.line) + 1;
      if (budget < 0) return false;
      yield l;
    }
    return true;
  };

  let lines: LogLine[] = [];
  // Following goes on from the end of what was read of the live file, not from its size when
  // asked afterwards: a line appended in between (a container that exits at once) would be lost.
  let offset = 0;
  for (const f of await logFiles(logPath)) {
    const buf = await fs.readFile(f).catch(() => Buffer.alloc(0));
    if (f === logPath) offset = buf.length;
    lines.push(...parseAll(buf.toString()));
  }
  if (options.tailLines !== undefined && options.tailLines >= 0) lines = options.tailLines === 0 ? [] : lines.slice(-options.tailLines);
  if (!(yield* emit(lines))) return;
  if (!options.follow || !follow) return;

  // Follow the live file; a rotation or truncation restarts at offset 0.
  let carry = '';
  const pollMs = follow.pollMs ?? 100;
  for (;;) {
    if (options.signal?.aborted) return;
    const writing = await follow.stillWriting();
    const st = await fs.stat(logPath).catch(() => undefined);
    const size = st?.size ?? 0;
    if (size < offset) {
      offset = 0;
      carry = '';
    }
    if (size > offset) {
      const fh = await fs.open(logPath, 'r');
      try {
        const buf = Buffer.alloc(size - offset);
        await fh.read(buf, 0, buf.length, offset);
        offset = size;
        const text = carry + buf.toString();
        const cut = text.lastIndexOf('\n');
        carry = cut < 0 ? text : text.slice(cut + 1);
        if (cut >= 0 && !(yield* emit(parseAll(text.slice(0, cut))))) return;
      } finally {
        await fh.close();
      }
      continue;
    }
    if (!writing) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, pollMs);
      options.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }
}

/**
 * Rotates a log by size: renames `path` to `path.1` (shifting older ones up and dropping
 * those past `maxFiles`). The writer must then reopen its file (conmon: "reopen" on its ctl
 * FIFO), which the caller does.
 */
export async function rotateLogFiles(logPath: string, maxFiles: number): Promise<void> {
  const files = (await logFiles(logPath)).filter((f) => f !== logPath);
  for (const f of files) {
    const n = Number(f.slice(logPath.length + 1));
    if (n + 1 >= maxFiles) await fs.rm(f, { force: true });
    else await fs.rename(f, `${logPath}.${n + 1}`);
  }
  await fs.rename(logPath, `${logPath}.1`).catch(() => undefined);
}
