// The explain record: what the last scheduling cycle of a pod saw, per node. It is written
// as compact JSON into the pod annotation `scheduler.skiff.dev/last-cycle` (through the
// Binding's annotations when the pod is placed, by a PATCH when it is not), so that
// `skiff describe pod` can show why each node was rejected and how the others scored.
//
// {
//   "v": 1, "at": "2026-…Z", "profile": "default-scheduler", "result": "Scheduled" | "Unschedulable" | "Error",
//   "node": "n2",                       // chosen node (Scheduled only)
//   "nodes": 3, "evaluated": 3, "feasible": 1,
//   "message": "0/3 nodes are available: …",   // failures only
//   "rejected": {"n1": {"plugin": "NodeResourcesFit", "reasons": ["Insufficient cpu"]}},
//   "scores": {"n2": {"total": 310, "NodeResourcesFit": 80, "TaintToleration": 300}},
//   "truncated": {"rejected": 0, "scores": 0}  // entries left out beyond the caps
// }
import type { ScheduleResult } from './schedule-pod.js';

export const EXPLAIN_ANNOTATION = 'scheduler.skiff.dev/last-cycle';

/** Caps keep the annotation small on big clusters: the top scores and the first rejections. */
export const MAX_REJECTED = 50;
export const MAX_SCORED = 20;

export interface ExplainRecord {
  v: 1;
  at: string;
  profile: string;
  result: 'Scheduled' | 'Unschedulable' | 'Error';
  node?: string;
  nodes: number;
  evaluated: number;
  feasible: number;
  message?: string;
  rejected: Record<string, { plugin: string; reasons: string[] }>;
  scores: Record<string, Record<string, number>>;
  truncated?: { rejected: number; scores: number };
}

export function explainRecord(profile: string, r: ScheduleResult, now = new Date()): ExplainRecord {
  const rejected: ExplainRecord['rejected'] = {};
  let droppedRejected = 0;
  for (const [node, status] of r.diagnosis.nodeToStatus) {
    if (Object.keys(rejected).length >= MAX_REJECTED) {
      droppedRejected++;
      continue;
    }
    rejected[node] = { plugin: status.plugin, reasons: [...status.reasons] };
  }
  const scores: ExplainRecord['scores'] = {};
  let droppedScores = 0;
  if (r.ok && r.scores) {
    for (const i of r.scores.top(MAX_SCORED)) {
      const d = r.scores.detail(i);
      scores[d.name] = { total: d.total, ...d.byPlugin };
    }
    droppedScores = Math.max(0, r.scores.length - MAX_SCORED);
  }
  const rec: ExplainRecord = {
    v: 1,
    at: now.toISOString(),
    profile,
    result: r.ok ? 'Scheduled' : r.fitError ? 'Unschedulable' : 'Error',
    nodes: r.numAllNodes,
    evaluated: r.evaluatedNodes,
    feasible: r.ok ? r.feasibleNodes : 0,
    rejected,
    scores,
  };
  if (r.ok) rec.node = r.nodeName;
  else rec.message = r.fitError?.message ?? r.error?.message();
  if (droppedRejected || droppedScores) rec.truncated = { rejected: droppedRejected, scores: droppedScores };
  return rec;
}

/** Parses the annotation back (for describe); undefined when absent or not ours. */
export function parseExplainAnnotation(annotations: Record<string, string> | undefined): ExplainRecord | undefined {
  const raw = annotations?.[EXPLAIN_ANNOTATION];
  if (!raw) return undefined;
  try {
    const rec = JSON.parse(raw) as ExplainRecord;
    return rec && rec.v === 1 ? rec : undefined;
  } catch {
    return undefined;
  }
}
