// The progress of a pull as docker shows it: on a terminal one bar per layer (cli-progress),
// redrawn in place; otherwise one plain line per layer and step ("a3ed95caeb02: Pull
// complete"), so a log or a pipe gets a readable record instead of escape codes.
import cliProgress from 'cli-progress';
import type { PullProgress } from '../../api/wire/image-pull.js';
import { humanSize, shortId } from './image-format.js';

export type { PullProgress };

export interface PullDisplay {
  onProgress(p: PullProgress): void;
  /** Whether any layer was fetched (docker's "Downloaded newer image" vs "Image is up to date"). */
  fetched(): boolean;
  stop(): void;
}

const STATE: Record<PullProgress['status'], string> = {
  waiting: 'Waiting',
  downloading: 'Downloading',
  verifying: 'Verifying Checksum',
  exists: 'Already exists',
  done: 'Download complete',
  extracting: 'Extracting',
  extracted: 'Pull complete',
};

/** A layer's step as a plain line (docker's words), or undefined when the step gets none. */
export function dockerPlainLine(p: PullProgress): string | undefined {
  switch (p.status) {
    case 'waiting':
      return 'Pulling fs layer';
    case 'done':
      return `Download complete (${humanSize(p.bytesTotal)})`;
    case 'exists':
    case 'extracted':
      return STATE[p.status];
    default:
      return undefined;
  }
}

export interface PullDisplayOptions {
  /** Put before every line and bar. */
  indent?: string;
  /** Without a terminal: which steps of a layer get a line, and their words (docker's by default). */
  plainLine?: (p: PullProgress) => string | undefined;
}

export function pullDisplay(stream: NodeJS.WritableStream & { isTTY?: boolean }, opts: PullDisplayOptions = {}): PullDisplay {
  const indent = opts.indent ?? '';
  const plainLine = opts.plainLine ?? dockerPlainLine;
  let fetched = false;
  const note = (p: PullProgress) => {
    if (p.kind === 'layer' && (p.status === 'downloading' || p.status === 'done')) fetched = true;
  };
  if (!stream.isTTY) {
    const said = new Set<string>();
    return {
      onProgress(p) {
        note(p);
        if (p.kind !== 'layer') return;
        const what = plainLine(p);
        const key = `${p.digest} ${p.status}`;
        if (what === undefined || said.has(key)) return;
        said.add(key);
        stream.write(`${indent}${shortId(p.digest)}: ${what}\n`);
      },
      fetched: () => fetched,
      stop: () => undefined,
    };
  }
  const multi = new cliProgress.MultiBar(
    { format: `${indent}{layer}: [{bar}] {state} {done}/{size}`, hideCursor: true, clearOnComplete: false, stream: stream as NodeJS.WriteStream, barsize: 30, autopadding: true },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    onProgress(p) {
      note(p);
      if (p.kind !== 'layer') return;
      let bar = bars.get(p.digest);
      if (!bar) {
        bar = multi.create(Math.max(1, p.bytesTotal), 0, { layer: shortId(p.digest), state: STATE.waiting, done: '0B', size: humanSize(p.bytesTotal) });
        bars.set(p.digest, bar);
      }
      // Extraction has no byte count of its own: the bar stays full once the blob is in.
      const value = p.status === 'exists' || p.status === 'extracting' || p.status === 'extracted' ? p.bytesTotal : p.bytesDone;
      bar.update(value, { state: STATE[p.status], done: humanSize(value) });
    },
    fetched: () => fetched,
    stop: () => multi.stop(),
  };
}
