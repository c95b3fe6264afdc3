// Filter: a pod asking for hostPorts fits only nodes where no pod holds the same
// protocol/port on an overlapping address (0.0.0.0 overlaps every address).
import { StateKey, type CycleState } from '../../framework/cycle-state.js';
import type { FilterPlugin, PreFilterPlugin } from '../../framework/interfaces.js';
import type { HostPort, NodeInfo, PodInfo } from '../../framework/node-info.js';
import { skip, success, unschedulable, type Status } from '../../framework/status.js';

export const NAME = 'NodePorts';
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";

const WANTED = new StateKey<HostPort[]>('PreFilterNodePorts');

export class NodePorts implements PreFilterPlugin, FilterPlugin {
  readonly name = NAME;

  preFilter(state: CycleState, pod: PodInfo): Status {
    if (pod.hostPorts.length === 0) return skip();
    state.write(WANTED, pod.hostPorts);
    return success();
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const wanted = state.read(WANTED) ?? pod.hostPorts;
    for (const p of wanted) if (node.usedPorts.conflicts(p)) return unschedulable(ERR_REASON);
    return success();
  }
}
