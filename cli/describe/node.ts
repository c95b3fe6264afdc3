// `describe node` in kubectl's layout (describe.go's describeNode): roles, labels, taints,
// lease, conditions, addresses, capacity, allocatable, system info, pod CIDRs, the
// non-terminated pods with their requests and limits as shares of allocatable, the
// allocated totals and the Events table. A pure function of the node, its pods, its lease
// and its events.
import { podLimits, podRequests } from '../../api/pod-resources.js';
import { formatBytes, formatMilliCPU, Quantity } from '../../api/quantity.js';
import type { Event, Node, Pod } from '../../api/types/core.js';
import type { Lease } from '../../api/types/coordination.js';
import { age, type Clock } from '../printers/age.js';
import { nodeRoles } from '../../api/kinds/node.js';
import { annotationLines, describeEvents, labelLines, multiline, rfc1123 } from './common.js';
import { DescribeWriter } from './tabwriter.js';

function quantityValue(v: string | number | undefined, milli: boolean): number {
  if (v === undefined) return 0;
  try {
    const q = Quantity.parse(v);
    return milli ? q.milliValue() : q.value();
  } catch {
    return 0;
  }
}

/** "100m (2%)": kubectl truncates the percentage of allocatable to a whole number. */
function share(amount: number, allocatable: number, text: string): string {
  const pct = allocatable > 0 ? Math.trunc((amount / allocatable) * 100) : 0;
  return `${text} (${pct}%)`;
}

export interface NodeDescribeInput {
  node: Node;
  /** Pods bound to the node; terminated ones are left out here. */
  pods?: Pod[];
  lease?: Lease;
  events?: Event[];
}

export function describeNode({ node, pods, lease, events }: NodeDescribeInput, clock?: Clock): string {
  const w = new DescribeWriter();
  const m = node.metadata;
  const st = node.status ?? {};
  w.line(0, `Name:\t${m.name ?? ''}`);
  w.line(0, `Roles:\t${nodeRoles(node).join(',') || '<none>'}`);
  multiline(w, 0, 'Labels', labelLines(m.labels));
  multiline(w, 0, 'Annotations', annotationLines(m.annotations));
  w.line(0, `CreationTimestamp:\t${rfc1123(m.creationTimestamp)}`);
  multiline(
    w,
    0,
    'Taints',
    (node.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`),
  );
  w.line(0, `Unschedulable:\t${node.spec?.unschedulable ? 'true' : 'false'}`);
  if (lease) {
    w.line(0, 'Lease:');
    w.line(1, `HolderIdentity:\t${lease.spec?.holderIdentity ?? '<unset>'}`);
    w.line(1, `AcquireTime:\t${rfc1123(lease.spec?.acquireTime)}`);
    w.line(1, `RenewTime:\t${rfc1123(lease.spec?.renewTime)}`);
  }
  if (st.conditions?.length) {
    w.line(0, 'Conditions:');
    w.line(1, 'Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage');
    w.line(1, '----\t------\t-----------------\t------------------\t------\t-------');
    for (const c of st.conditions) {
      w.line(1, `${c.type} \t${c.status} \t${rfc1123(c.lastHeartbeatTime)} \t${rfc1123(c.lastTransitionTime)} \t${c.reason ?? ''} \t${c.message ?? ''}`);
    }
  }
  w.line(0, 'Addresses:');
  for (const a of st.addresses ?? []) w.line(1, `${a.type}:\t${a.address}`);
  for (const [title, list] of [['Capacity', st.capacity], ['Allocatable', st.allocatable]] as const) {
    if (!list) continue;
    w.line(0, `${title}:`);
    for (const k of Object.keys(list).sort()) w.line(1, `${k}:\t${String(list[k])}`);
  }
  const info = st.nodeInfo;
  if (info) {
    w.line(0, 'System Info:');
    w.line(1, `Machine ID:\t${info.machineID ?? ''}`);
    w.line(1, `System UUID:\t${info.systemUUID ?? ''}`);
    w.line(1, `Boot ID:\t${info.bootID ?? ''}`);
    w.line(1, `Kernel Version:\t${info.kernelVersion ?? ''}`);
    w.line(1, `OS Image:\t${info.osImage ?? ''}`);
    w.line(1, `Operating System:\t${info.operatingSystem ?? ''}`);
    w.line(1, `Architecture:\t${info.architecture ?? ''}`);
    w.line(1, `Container Runtime Version:\t${info.containerRuntimeVersion ?? ''}`);
    w.line(1, `Kubelet Version:\t${info.kubeletVersion ?? ''}`);
    w.line(1, `Kube-Proxy Version:\t${info.kubeProxyVersion ?? ''}`);
  }
  if (node.spec?.podCIDR) w.line(0, `PodCIDR:\t${node.spec.podCIDR}`);
  if (node.spec?.podCIDRs?.length) w.line(0, `PodCIDRs:\t${node.spec.podCIDRs.join(',')}`);
  if (node.spec?.providerID) w.line(0, `ProviderID:\t${node.spec.providerID}`);

  if (pods) {
    const allocCpu = quantityValue(st.allocatable?.cpu, true);
    const allocMem = quantityValue(st.allocatable?.memory, false);
    const running = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    w.line(0, `Non-terminated Pods:\t(${running.length} in total)`);
    w.line(1, 'Namespace\tName\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge');
    w.line(1, '---------\t----\t------------\t----------\t---------------\t-------------\t---');
    const total = { reqCpu: 0, limCpu: 0, reqMem: 0, limMem: 0 };
    for (const p of running) {
      const req = podRequests(p);
      const lim = podLimits(p);
      total.reqCpu += req.milliCPU;
      total.limCpu += lim.milliCPU;
      total.reqMem += req.memory;
      total.limMem += lim.memory;
      w.line(
        1,
        [
          p.metadata.namespace ?? '',
          p.metadata.name ?? '',
          share(req.milliCPU, allocCpu, formatMilliCPU(req.milliCPU)),
          share(lim.milliCPU, allocCpu, formatMilliCPU(lim.milliCPU)),
          share(req.memory, allocMem, formatBytes(req.memory)),
          share(lim.memory, allocMem, formatBytes(lim.memory)),
          age(p.metadata.creationTimestamp, clock),
        ].join('\t'),
      );
    }
    w.line(0, 'Allocated resources:');
    w.line(1, '(Total limits may be over 100 percent, i.e., overcommitted.)');
    w.line(1, 'Resource\tRequests\tLimits');
    w.line(1, '--------\t--------\t------');
    w.line(1, `cpu\t${share(total.reqCpu, allocCpu, formatMilliCPU(total.reqCpu))}\t${share(total.limCpu, allocCpu, formatMilliCPU(total.limCpu))}`);
    w.line(1, `memory\t${share(total.reqMem, allocMem, formatBytes(total.reqMem))}\t${share(total.limMem, allocMem, formatBytes(total.limMem))}`);
  }
  describeEvents(w, events, clock);
  return w.toString();
}
