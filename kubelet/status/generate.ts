// The whole API PodStatus the kubelet reports for a pod (Kubernetes' generateAPIPodStatus):
// container statuses, phase, conditions, IPs, start time and QoS class.
import type { Pod, PodStatus } from '../../api/types/core.js';
import { qosClass } from '../../api/pod-resources.js';
import type { RuntimePodStatus } from '../runtime-pod.js';
import { generateConditions, mergeConditions } from './conditions.js';
import { convertContainerStatuses, type ContainerProbeState } from './container-statuses.js';
import { getPhase } from './phase.js';
import type { ReasonCache } from './reason-cache.js';
import { metaTime } from '../../api/time.js';

export interface GenerateOptions {
  runtimeName: string;
  hostIP?: string;
  reasons?: ReasonCache;
  probes?: ContainerProbeState;
  /** ms since epoch, for lastTransitionTime and startTime */
  now: number;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

export function generatePodStatus(pod: Pod, rs: RuntimePodStatus, opts: GenerateOptions): PodStatus {
  const now = metaTime(opts.now);
  const conv = { runtimeName: opts.runtimeName, reasons: opts.reasons, probes: opts.probes };
  const initStatuses = convertContainerStatuses(pod, rs, true, conv);
  const appStatuses = convertContainerStatuses(pod, rs, false, conv);
  const old = pod.status ?? {};
  // A pod that reached a terminal phase never leaves it (its containers may since be gone).
  let phase = getPhase(pod, initStatuses, appStatuses);
  if (old.phase && TERMINAL.has(old.phase)) phase = old.phase;
  const status: PodStatus = {
    phase,
    conditions: mergeConditions(old.conditions, generateConditions(pod, initStatuses, appStatuses, phase), now),
    ...(old.reason ? { reason: old.reason } : {}),
    ...(old.message ? { message: old.message } : {}),
    ...(opts.hostIP ? { hostIP: opts.hostIP, hostIPs: [{ ip: opts.hostIP }] } : {}),
    startTime: old.startTime ?? now,
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: appStatuses,
    qosClass: qosClass(pod),
  };
  const ips = pod.spec.hostNetwork && opts.hostIP ? [opts.hostIP] : rs.ips;
  if (ips.length) {
    status.podIP = ips[0];
    status.podIPs = ips.map((ip) => ({ ip }));
  } else if (old.podIP && TERMINAL.has(phase)) {
    // The sandbox is gone after the pod finished; the IP it had is still what users look for.
    status.podIP = old.podIP;
    status.podIPs = old.podIPs;
  }
  return status;
}
