// The scheduler's last verdict on a pod (annotation scheduler.skiff.dev/last-cycle, written
// by scheduler/explain.ts): for a pending pod, why each node was rejected; for a placed one,
// how the best nodes scored. The record's shape is declared once in api/wire/scheduler-explain.ts.
import { EXPLAIN_ANNOTATION, parseExplainAnnotation } from '../../api/wire/scheduler-explain.js';
import { age, type Clock } from '../printers/age.js';
import type { DescribeWriter } from './tabwriter.js';

/** The annotation's name, under the name describe has always given it. */
export const LAST_CYCLE_ANNOTATION = EXPLAIN_ANNOTATION;

export function describeScheduling(w: DescribeWriter, annotations: Record<string, string> | undefined, clock?: Clock): void {
  const rec = parseExplainAnnotation(annotations);
  if (!rec) return;
  w.line(0, 'Scheduling:');
  const result = rec.result === 'Scheduled' && rec.node ? `Scheduled to ${rec.node}` : (rec.result ?? 'Unknown');
  w.line(1, `Result:\t${result}`);
  if (rec.at) w.line(1, `Last Attempt:\t${age(rec.at, clock)} ago`);
  w.line(1, `Nodes:\t${rec.feasible ?? 0} feasible of ${rec.nodes ?? 0} (${rec.evaluated ?? 0} evaluated)`);
  if (rec.message) w.line(1, `Message:\t${rec.message}`);
  const rejected = Object.entries(rec.rejected ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  if (rejected.length > 0) {
    w.line(1, 'Rejected Nodes:');
    w.line(2, 'Node\tPlugin\tReasons');
    w.line(2, '----\t------\t-------');
    for (const [node, r] of rejected) w.line(2, `${node}\t${r.plugin ?? ''}\t${(r.reasons ?? []).join('; ')}`);
    if (rec.truncated?.rejected) w.line(2, `(${rec.truncated.rejected} more not recorded)`);
  }
  const scores = Object.entries(rec.scores ?? {}).sort(([, a], [, b]) => (b.total ?? 0) - (a.total ?? 0));
  if (scores.length > 0) {
    w.line(1, 'Scores:');
    w.line(2, 'Node\tTotal\tBy Plugin');
    w.line(2, '----\t-----\t---------');
    for (const [node, s] of scores) {
      const parts = Object.entries(s)
        .filter(([k]) => k !== 'total')
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      w.line(2, `${node}\t${s.total ?? 0}\t${parts}`);
    }
  }
}
