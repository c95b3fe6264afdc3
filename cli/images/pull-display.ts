// The progress of a pull as docker shows it: on a terminal one bar per layer (cli-progress),
// redrawn in place; otherwise one plain line per layer and step ("a3ed95caeb02: Pull
// complete"), so a log or a pipe gets a readable record instead of escape codes.
import cliProgress from 'cli-progress';
import { humanSize, shortId } from './image-format.js';

/** One progress event of the kubelet's POST /images/pull stream (runtime's PullProgress). */
export interface PullProgress {
  digest: string;
  kind: 'manifest' | 'config' | 'layer';
  status: 'waiting' | 'downloading' | 'verifying' | 'exists' | 'done' | 'extracting' | 'extracted';
  bytesDone: number;
  bytesTotal: number;
}

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

/** The steps worth a line when there is no terminal to redraw. */
const PLAIN_STEPS = new Set<PullProgress['status']>(['waiting', 'exists', 'done', 'extracted']);

export function pullDisplay(stream: NodeJS.WritableStream & { isTTY?: boolean }, opts: { indent?: string } = {}): PullDisplay {
  const indent = opts.indent ?? '';
  let fetched = false;
  const note = (p: PullProgress) => {
    if (p.kind === 'layer' && (p.status === 'downloading' || p.status === 'done')) fetched = true;
  };
  if (!stream.isTTY) {
    const said = new Set<string>();
    return {
      onProgress(p) {
        note(p);
        if (p.kind !== 'layer' || !PLAIN_STEPS.has(p.status)) return;
        const key = `${p.digest} ${p.status}`;
        if (said.has(key)) return;
        said.add(key);
        const what = p.status === 'waiting' ? 'Pulling fs layer' : p.status === 'done' ? `Download complete (${humanSize(p.bytesTotal)})` : STATE[p.status];
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
