// Filter: a cordoned node (spec.unschedulable) takes no new pods, unless the pod tolerates
// the node.kubernetes.io/unschedulable:NoSchedule taint (as DaemonSet pods do).
import type { CycleState } from '../../framework/cycle-state.js';
import type { FilterPlugin } from '../../framework/interfaces.js';
import type { NodeInfo, PodInfo } from '../../framework/node-info.js';
import { success, unresolvable, type Status } from '../../framework/status.js';
import { tolerates } from '../taint-toleration/tolerations.js';

export const NAME = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export class NodeUnschedulable implements FilterPlugin {
  readonly name = NAME;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (!node.unschedulable) return success();
    const taint = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' as const };
    if ((pod.pod.spec.tolerations ?? []).some((t) => tolerates(t, taint))) return success();
    return unresolvable(ERR_REASON_UNSCHEDULABLE);
  }
}
