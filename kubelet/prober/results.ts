// Latest probe result per container ID, one manager per probe type (Kubernetes'
// prober/results): computePodActions reads liveness and startup from here, the status code
// readiness, and listeners hear about every change so the pod is synced again.
import type { ProbeResult } from './types.js';

export type ResultListener = (containerId: string, result: ProbeResult, podUid: string) => void;

export class ResultsManager {
  readonly #results = new Map<string, ProbeResult>();
  readonly #listeners: ResultListener[] = [];

  get(containerId: string): ProbeResult | undefined {
    return this.#results.get(containerId);
  }

  set(containerId: string, result: ProbeResult, podUid: string): void {
    if (this.#results.get(containerId) === result) return;
    this.#results.set(containerId, result);
    for (const l of this.#listeners) l(containerId, result, podUid);
  }

  remove(containerId: string): void {
    this.#results.delete(containerId);
  }

  onChange(l: ResultListener): void {
    this.#listeners.push(l);
  }
}
