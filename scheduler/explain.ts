// Builds the explain record (api/wire/scheduler-explain.ts has its shape and the annotation it
// goes into) from one scheduling cycle's result.
import { EXPLAIN_ANNOTATION, parseExplainAnnotation, type ExplainRecord } from '../api/wire/scheduler-explain.js';
import type { ScheduleResult } from './schedule-pod.js';

export { EXPLAIN_ANNOTATION, parseExplainAnnotation, type ExplainRecord };

/** Caps keep the annotation small on big clusters: the top scores and the first rejections. */
export const MAX_REJECTED = 50;
export const MAX_SCORED = 20;

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
