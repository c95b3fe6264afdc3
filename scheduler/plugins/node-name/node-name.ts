// Filter: a pod that names its node (spec.nodeName) fits only that node.
import type { CycleState } from '../../framework/cycle-state.js';
import type { FilterPlugin } from '../../framework/interfaces.js';
import type { NodeInfo, PodInfo } from '../../framework/node-info.js';
import { success, unresolvable, type Status } from '../../framework/status.js';

export const NAME = 'NodeName';
export const ERR_REASON = "node(s) didn't match the requested node name";

export class NodeName implements FilterPlugin {
  readonly name = NAME;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const want = pod.pod.spec.nodeName;
    return !want || want === node.name ? success() : unresolvable(ERR_REASON);
  }
}
