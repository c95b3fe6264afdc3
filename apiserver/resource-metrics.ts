// Where metrics.k8s.io's numbers come from: each node's Summary API (GET /stats/summary),
// asked by the API server itself with its kubelet client certificate (kubelet-client.ts), as
// metrics-server scrapes it, and reduced by api/metrics/usage.ts, the rule `skiff top` uses.
// A node's reading is kept for CACHE_MS, so a burst of `kubectl top` calls asks each kubelet
// once (metrics-server scrapes every 15 s; a few seconds keep the numbers fresher). The last
// reading, up to PREVIOUS_MAX_AGE_MS old, is the earlier sample of the next one, so a rate
// the kubelet does not give is a slope between two readings with no wait; without one, a
// second sample is taken a moment after the first. A kubelet that does not answer (within
// TIMEOUT_MS) leaves its node out, as metrics-server does, and is asked again after CACHE_MS.
import type { Logger } from 'pino';
import { sampleSummaries, type NodeSample } from '../api/metrics/usage.js';
import type { Node } from '../api/types/core.js';
import type { Summary } from '../api/wire/stats-summary.js';
import { kubeletError, readText, type KubeletClient } from './kubelet-client.js';

export const CACHE_MS = 5_000;
const PREVIOUS_MAX_AGE_MS = 60_000;
const TIMEOUT_MS = 5_000;
/** A summary larger than this is refused (some 100 bytes a container: room for thousands of pods). */
const MAX_SUMMARY_BYTES = 16 * 1024 * 1024;

interface Reading {
  /** undefined: the kubelet did not answer. */
  sample?: NodeSample;
  at: number;
}

export class ResourceMetrics {
  readonly #kubelets: KubeletClient;
  readonly #log: Logger | undefined;
  readonly #now: () => number;
  /** node name -> its last reading */
  readonly #readings = new Map<string, Reading>();
  /** node name -> the reading under way, which every caller meanwhile waits for */
  readonly #pending = new Map<string, Promise<NodeSample | undefined>>();

  constructor(kubelets: KubeletClient, opts: { log?: Logger; now?: () => number } = {}) {
    this.#kubelets = kubelets;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
  }

  /** The node's sample: the cached one when fresh, else a new reading (undefined when its kubelet does not answer). */
  sample(node: Node): Promise<NodeSample | undefined> {
    const name = node.metadata.name ?? '';
    const kept = this.#readings.get(name);
    if (kept && this.#now() - kept.at < CACHE_MS) return Promise.resolve(kept.sample);
    let p = this.#pending.get(name);
    if (!p) {
      p = this.#read(node, kept).finally(() => this.#pending.delete(name));
      this.#pending.set(name, p);
    }
    return p;
  }

  async #read(node: Node, kept: Reading | undefined): Promise<NodeSample | undefined> {
    const name = node.metadata.name ?? '';
    const now = this.#now();
    // A reading too old to be an earlier sample serves nothing more: forgotten (a deleted node's too).
    for (const [n, r] of this.#readings) if (now - r.at >= PREVIOUS_MAX_AGE_MS) this.#readings.delete(n);
    const fresh = kept?.sample && now - kept.at < PREVIOUS_MAX_AGE_MS ? kept.sample.now : undefined;
    const { samples, failed } = await sampleSummaries([name], () => this.#fetch(node), { previous: () => fresh });
    for (const [n, err] of failed) this.#log?.warn({ node: n, err: (err as Error).message }, 'no metrics from the kubelet');
    const sample = samples[0];
    this.#readings.set(name, { sample, at: this.#now() });
    return sample;
  }

  async #fetch(node: Node): Promise<Summary> {
    const res = await this.#kubelets.request(node, 'GET', '/stats/summary', { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await readText(res, MAX_SUMMARY_BYTES + 1);
    if (res.statusCode !== 200) throw kubeletError(node.metadata.name ?? '', res.statusCode ?? 0, text);
    if (text.length > MAX_SUMMARY_BYTES) throw new Error(`the summary is larger than ${MAX_SUMMARY_BYTES} bytes`);
    return JSON.parse(text) as Summary;
  }
}
