// The explain record: what the last scheduling cycle of a pod saw, per node. The scheduler
// writes it as compact JSON into the pod annotation `scheduler.skiff.dev/last-cycle` (through
// the Binding's annotations when the pod is placed, by a PATCH when it is not);
// `skiff describe pod` and `skiff run --wait` read it back.
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

export const EXPLAIN_ANNOTATION = 'scheduler.skiff.dev/last-cycle';

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

/** Parses the annotation back; undefined when absent or not ours. */
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
