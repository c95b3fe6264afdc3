// `skiff run --wait` showing the kubelet's pull of the pod's image layer by layer: on the
// Pulling event it follows the pull on the pod's node (GET /images/pulls through the node
// proxy) and draws it with `skiff pull`'s display. Bars on a terminal redraw in place, so
// event lines that arrive meanwhile wait until the bars stop; plain lines interleave.
import type { Event, Pod } from '../../api/types/core.js';
import type { RestClient } from '../../client/rest.js';
import { followNodePull } from '../images/pull-follow.js';
import { pullDisplay, type PullDisplay } from '../images/pull-display.js';

export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

/** "spec.containers{app}" -> the image of container app in the pod. */
function imageOf(e: Event, pod: Pod | undefined): string | undefined {
  const m = /^spec\.(containers|initContainers)\{(.+)\}$/.exec(e.involvedObject.fieldPath ?? '');
  const list = m?.[1] === 'initContainers' ? pod?.spec?.initContainers : pod?.spec?.containers;
  const fromSpec = m ? list?.find((c) => c.name === m[2])?.image : undefined;
  // The kubelet names the image in the message too: `Pulling image "REF"`.
  return fromSpec ?? /^Pulling image "(.+)"$/.exec(e.message ?? '')?.[1];
}

/** A writable stream over `print`, one call per whole line. */
function linesTo(print: (line: string) => void): ProgressStream {
  let buf = '';
  return {
    write(chunk: string | Uint8Array) {
      buf += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        print(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      return true;
    },
    isTTY: false,
  } as unknown as ProgressStream; // only write() is used by the plain display
}

export class PullProgressFollower {
  readonly #rest: RestClient;
  readonly #print: (line: string) => void;
  readonly #signal: AbortSignal;
  readonly #stream: ProgressStream;
  readonly #followed = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  /** Bars on a terminal being drawn: lines wait here. */
  #drawing = 0;
  #held: string[] = [];

  constructor(rest: RestClient, print: (line: string) => void, signal: AbortSignal, stream?: ProgressStream) {
    this.#rest = rest;
    this.#print = print;
    this.#signal = signal;
    this.#stream = stream?.isTTY ? stream : linesTo(print);
  }

  print(line: string): void {
    if (this.#drawing > 0) this.#held.push(line);
    else this.#print(line);
  }

  /** On a Pulling event: follow that pull once per node and image. */
  follow(e: Event, pod: Pod | undefined): void {
    const image = imageOf(e, pod);
    const node = pod?.spec?.nodeName ?? e.source?.host;
    if (!image || !node || this.#signal.aborted) return;
    const key = `${node} ${image}`;
    if (this.#followed.has(key)) return;
    this.#followed.add(key);
    const tty = !!this.#stream.isTTY;
    const display: PullDisplay = pullDisplay(this.#stream, { indent: tty ? '  ' : '' });
    if (tty) this.#drawing++;
    const run = followNodePull(this.#rest, node, image, (p) => display.onProgress(p), this.#signal)
      // Progress is a nicety: a kubelet without the endpoint or a cut stream leaves the events alone.
      .catch(() => undefined)
      .then(() => {
        display.stop();
        if (tty && --this.#drawing === 0) this.#flush();
      });
    const tracked = run.finally(() => this.#running.delete(tracked));
    this.#running.add(tracked);
  }

  /** Waits for the follows to end (the caller aborts them first) and prints what was held. */
  async settle(): Promise<void> {
    await Promise.all([...this.#running]);
    this.#flush();
  }

  #flush(): void {
    const held = this.#held;
    this.#held = [];
    for (const line of held) this.#print(line);
  }
}
