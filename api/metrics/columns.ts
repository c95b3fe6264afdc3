// The Table `kubectl get nodes.metrics.k8s.io` / `podmetrics` prints, with metrics-server's
// columns: Name, cpu, memory (a pod's summed over its containers), Window.
import type { PrinterColumn } from '../kinds/kind.js';
import { Quantity } from '../quantity.js';
import type { KubeObject } from '../types/meta.js';
import type { NodeMetrics, PodMetrics, ResourceUsage } from './types.js';

type Measured = KubeObject & Partial<Pick<NodeMetrics, 'usage' | 'window'> & Pick<PodMetrics, 'containers'>>;

/** A node's usage, or the sum of a pod's containers' (Quantity.Add keeps the first's format). */
function usage(o: Measured, r: keyof ResourceUsage): string {
  if (o.usage) return o.usage[r];
  const qs = (o.containers ?? []).map((c) => Quantity.parse(c.usage[r]));
  return qs.length ? qs.reduce((a, b) => a.add(b)).toString() : '0';
}

const column = (name: string, description: string, cell: (o: Measured) => string): PrinterColumn<KubeObject> => ({ name, type: 'string', priority: 0, description, cell });

export const METRICS_COLUMNS: readonly PrinterColumn<KubeObject>[] = [
  column('Name', 'Name of the resource', (o) => o.metadata.name ?? ''),
  column('cpu', '', (o) => usage(o, 'cpu')),
  column('memory', '', (o) => usage(o, 'memory')),
  column('Window', '', (o) => o.window ?? ''),
];
