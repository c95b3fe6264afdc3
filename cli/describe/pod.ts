// `describe pod` in kubectl's layout (describe.go's describePod): the header fields, init
// and app containers with state, last state, resources, probes, env and mounts, then
// conditions, volumes, QoS, node selectors, tolerations, skiff's scheduling verdict and
// the Events table. A pure function of the pod and its events.
import { qosClass } from '../../api/pod-resources.js';
import type { Container, ContainerState, ContainerStatus, Event, Pod, Probe, Toleration, Volume } from '../../api/types/core.js';
import { age, type Clock } from '../printers/age.js';
import { annotationLines, describeEvents, labelLines, multiline, rfc1123 } from './common.js';
import { describeScheduling, LAST_CYCLE_ANNOTATION } from './scheduling.js';
import { DescribeWriter } from './tabwriter.js';

function describeState(w: DescribeWriter, title: string, state: ContainerState | undefined): void {
  if (state?.running) {
    w.line(2, `${title}:\tRunning`);
    w.line(3, `Started:\t${rfc1123(state.running.startedAt)}`);
  } else if (state?.terminated) {
    const t = state.terminated;
    w.line(2, `${title}:\tTerminated`);
    if (t.reason) w.line(3, `Reason:\t${t.reason}`);
    if (t.message) w.line(3, `Message:\t${t.message.trim()}`);
    w.line(3, `Exit Code:\t${t.exitCode}`);
    if (t.signal) w.line(3, `Signal:\t${t.signal}`);
    w.line(3, `Started:\t${rfc1123(t.startedAt)}`);
    w.line(3, `Finished:\t${rfc1123(t.finishedAt)}`);
  } else {
    w.line(2, `${title}:\tWaiting`);
    if (state?.waiting?.reason) w.line(3, `Reason:\t${state.waiting.reason}`);
    if (state?.waiting?.message) w.line(3, `Message:\t${state.waiting.message}`);
  }
}

/** kubectl's probe summary: "http-get http://:8080/healthy delay=0s timeout=1s period=10s #success=1 #failure=3". */
export function probeText(p: Probe): string {
  let action = 'unknown';
  if (p.httpGet) {
    const scheme = (p.httpGet.scheme ?? 'HTTP').toLowerCase();
    action = `http-get ${scheme}://${p.httpGet.host ?? ''}:${p.httpGet.port}${p.httpGet.path ?? ''}`;
  } else if (p.tcpSocket) {
    action = `tcp-socket ${p.tcpSocket.host ?? ''}:${p.tcpSocket.port}`;
  } else if (p.exec) {
    action = `exec [${(p.exec.command ?? []).join(' ')}]`;
  }
  return `${action} delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
}

function describeContainer(w: DescribeWriter, c: Container, status: ContainerStatus | undefined): void {
  w.line(1, `${c.name}:`);
  if (status) w.line(2, `Container ID:\t${status.containerID ?? ''}`);
  w.line(2, `Image:\t${c.image ?? ''}`);
  if (status) w.line(2, `Image ID:\t${status.imageID ?? ''}`);
  const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`);
  const hostPorts = (c.ports ?? []).map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`);
  w.line(2, `${ports.length > 1 ? 'Ports' : 'Port'}:\t${ports.join(', ') || '<none>'}`);
  w.line(2, `${hostPorts.length > 1 ? 'Host Ports' : 'Host Port'}:\t${hostPorts.join(', ') || '<none>'}`);
  for (const [title, list] of [['Command', c.command], ['Args', c.args]] as const) {
    if (!list?.length) continue;
    w.line(2, `${title}:`);
    for (const part of list) for (const l of part.split('\n')) w.line(3, l);
  }
  if (status) {
    describeState(w, 'State', status.state);
    if (status.lastState?.terminated) describeState(w, 'Last State', status.lastState);
    w.line(2, `Ready:\t${status.ready ? 'True' : 'False'}`);
    w.line(2, `Restart Count:\t${status.restartCount ?? 0}`);
  }
  for (const [title, list] of [['Limits', c.resources?.limits], ['Requests', c.resources?.requests]] as const) {
    const names = Object.keys(list ?? {}).sort();
    if (names.length === 0) continue;
    w.line(2, `${title}:`);
    for (const n of names) w.line(3, `${n}:\t${String(list?.[n])}`);
  }
  if (c.livenessProbe) w.line(2, `Liveness:\t${probeText(c.livenessProbe)}`);
  if (c.readinessProbe) w.line(2, `Readiness:\t${probeText(c.readinessProbe)}`);
  if (c.startupProbe) w.line(2, `Startup:\t${probeText(c.startupProbe)}`);
  if (!c.env?.length) w.line(2, 'Environment:\t<none>');
  else {
    w.line(2, 'Environment:');
    for (const e of c.env) {
      if (e.valueFrom?.fieldRef) w.line(3, `${e.name}:\t (${e.valueFrom.fieldRef.apiVersion ?? 'v1'}:${e.valueFrom.fieldRef.fieldPath})`);
      else if (e.valueFrom?.resourceFieldRef) {
        const r = e.valueFrom.resourceFieldRef;
        w.line(3, `${e.name}:\t${r.containerName ?? ''} (${r.resource})`);
      } else w.line(3, `${e.name}:\t${e.value ?? ''}`);
    }
  }
  if (!c.volumeMounts?.length) w.line(2, 'Mounts:\t<none>');
  else {
    w.line(2, 'Mounts:');
    for (const m of [...c.volumeMounts].sort((a, b) => (a.mountPath < b.mountPath ? -1 : 1))) {
      const flags = [m.readOnly ? 'ro' : 'rw', ...(m.subPath ? [`path="${m.subPath}"`] : [])].join(',');
      w.line(3, `${m.mountPath} from ${m.name} (${flags})`);
    }
  }
}

function describeVolume(w: DescribeWriter, v: Volume): void {
  w.line(1, `${v.name}:`);
  if (v.emptyDir) {
    w.line(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)");
    w.line(2, `Medium:\t${v.emptyDir.medium ?? ''}`);
    w.line(2, `SizeLimit:\t${v.emptyDir.sizeLimit !== undefined ? String(v.emptyDir.sizeLimit) : '<unset>'}`);
  } else if (v.hostPath) {
    w.line(2, 'Type:\tHostPath (bare host directory volume)');
    w.line(2, `Path:\t${v.hostPath.path}`);
    w.line(2, `HostPathType:\t${v.hostPath.type ?? ''}`);
  } else {
    w.line(2, '<unknown>');
  }
}

/** kubectl's toleration text: "key=value:Effect op=Exists for 300s". */
export function tolerationText(t: Toleration): string {
  let s = t.key ?? '';
  if (t.value) s += `=${t.value}`;
  if (t.effect) s += `:${t.effect}`;
  if (t.operator === 'Exists' && !t.value) s += s ? ' op=Exists' : 'op=Exists';
  if (t.tolerationSeconds !== undefined) s += ` for ${t.tolerationSeconds}s`;
  return s;
}

export function describePod(pod: Pod, events: Event[] | undefined, clock?: Clock): string {
  const w = new DescribeWriter();
  const m = pod.metadata;
  const spec = pod.spec ?? { containers: [] };
  const st = pod.status ?? {};
  w.line(0, `Name:\t${m.name ?? ''}`);
  w.line(0, `Namespace:\t${m.namespace ?? ''}`);
  if (spec.priority !== undefined) w.line(0, `Priority:\t${spec.priority}`);
  if (spec.priorityClassName) w.line(0, `Priority Class Name:\t${spec.priorityClassName}`);
  if (spec.serviceAccountName) w.line(0, `Service Account:\t${spec.serviceAccountName}`);
  w.line(0, `Node:\t${spec.nodeName ? `${spec.nodeName}/${st.hostIP ?? ''}` : '<none>'}`);
  if (st.startTime) w.line(0, `Start Time:\t${rfc1123(st.startTime)}`);
  multiline(w, 0, 'Labels', labelLines(m.labels));
  multiline(w, 0, 'Annotations', annotationLines(m.annotations, [LAST_CYCLE_ANNOTATION]));
  if (m.deletionTimestamp) {
    w.line(0, `Status:\tTerminating (lasts ${age(m.deletionTimestamp, clock)})`);
    w.line(0, `Termination Grace Period:\t${m.deletionGracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30}s`);
  } else {
    w.line(0, `Status:\t${st.phase ?? ''}`);
  }
  if (st.reason) w.line(0, `Reason:\t${st.reason}`);
  if (st.message) w.line(0, `Message:\t${st.message}`);
  w.line(0, `IP:\t${st.podIP ?? ''}`);
  const ips = st.podIPs?.length ? st.podIPs.map((p) => p.ip) : st.podIP ? [st.podIP] : [];
  if (ips.length === 0) w.line(0, 'IPs:\t<none>');
  else {
    w.line(0, 'IPs:');
    for (const ip of ips) w.line(1, `IP:\t${ip}`);
  }
  if (m.ownerReferences?.length) {
    const ctl = m.ownerReferences.find((o) => o.controller) ?? m.ownerReferences[0];
    if (ctl) w.line(0, `Controlled By:\t${ctl.kind}/${ctl.name}`);
  }
  if (spec.initContainers?.length) {
    w.line(0, 'Init Containers:');
    for (const c of spec.initContainers) describeContainer(w, c, st.initContainerStatuses?.find((s) => s.name === c.name));
  }
  w.line(0, 'Containers:');
  for (const c of spec.containers ?? []) describeContainer(w, c, st.containerStatuses?.find((s) => s.name === c.name));
  if (st.conditions?.length) {
    w.line(0, 'Conditions:');
    w.line(1, 'Type\tStatus');
    for (const c of st.conditions) w.line(1, `${c.type} \t${c.status} `);
  }
  if (!spec.volumes?.length) w.line(0, 'Volumes:\t<none>');
  else {
    w.line(0, 'Volumes:');
    for (const v of spec.volumes) describeVolume(w, v);
  }
  w.line(0, `QoS Class:\t${st.qosClass ?? qosClass(pod)}`);
  multiline(w, 0, 'Node-Selectors', labelLines(spec.nodeSelector));
  multiline(w, 0, 'Tolerations', (spec.tolerations ?? []).map(tolerationText));
  describeScheduling(w, m.annotations, clock);
  describeEvents(w, events, clock);
  return w.toString();
}
