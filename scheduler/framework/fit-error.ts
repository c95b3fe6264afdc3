// Why a pod fits nowhere, worded as Kubernetes words it so users and tools recognise it:
// "0/3 nodes are available: 1 Insufficient cpu, 2 Insufficient memory." The per-reason
// counts are sorted as strings (Go's sort.Strings in FitError.Error), which is why
// "1 Insufficient cpu" comes before "2 Insufficient memory".
import type { Status } from './status.js';

export interface Diagnosis {
  /** node name -> the status of the filter that rejected it */
  nodeToStatus: Map<string, Status>;
  /** Set when a PreFilter rejected the pod outright (every node gets that status). */
  preFilterMsg?: string;
  postFilterMsg?: string;
  /** Plugins that rejected at least one node (the queue uses them to decide on moves). */
  unschedulablePlugins: Set<string>;
}

export function newDiagnosis(): Diagnosis {
  return { nodeToStatus: new Map(), unschedulablePlugins: new Set() };
}

export const NO_NODE_AVAILABLE = (n: number): string => `0/${n} nodes are available`;

export class FitError extends Error {
  override name = 'FitError';
  constructor(
    readonly numAllNodes: number,
    readonly diagnosis: Diagnosis,
  ) {
    super(fitErrorMessage(numAllNodes, diagnosis));
  }
}

export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  if (numAllNodes === 0) return NO_NODES_AVAILABLE;
  let msg = `${NO_NODE_AVAILABLE(numAllNodes)}:`;
  if (d.preFilterMsg) {
    msg += ` ${d.preFilterMsg}.`;
  } else {
    const counts = new Map<string, number>();
    for (const status of d.nodeToStatus.values()) {
      for (const reason of status.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    const parts = [...counts].map(([reason, n]) => `${n} ${reason}`);
    // Byte-wise, like Go's sort.Strings (localeCompare would order differently).
    parts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
  }
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}.`;
  return msg;
}
