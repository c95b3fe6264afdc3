// Pod spec and status rules (ValidatePodSpec, ValidatePodStatusUpdate): containers, volumes,
// scheduling fields (nodeName, nodeSelector, affinity, tolerations), grace periods.
import { isIP } from 'node:net';
import { dns1123LabelErrors, dns1123SubdomainErrors, qualifiedNameErrors, labelValueErrors } from '../names.js';
import { Quantity } from '../quantity.js';
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod, PodSpec, PodStatus, Toleration, Volume } from '../types/core.js';
import type { StatusCause } from '../types/meta.js';
import { validateContainer, validateIds } from './container.js';
import { FieldPath, duplicate, forbidden, invalid, notSupported, required } from './field.js';
import { setOperatorValueCauses, validateLabels } from './meta.js';
import { validatePodDns } from './pod-dns.js';
import { validateDataVolume } from './volume-sources.js';

const MAX_INT32 = 2147483647;
const NODE_SELECTOR_OPERATORS = ['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'];

function validateVolumes(volumes: Volume[], path: FieldPath): { causes: StatusCause[]; names: Set<string> } {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    const p = path.index(i);
    if (!v.name) causes.push(required(p.child('name')));
    else {
      for (const msg of dns1123LabelErrors(v.name)) causes.push(invalid(p.child('name'), v.name, msg));
      if (names.has(v.name)) causes.push(duplicate(p.child('name'), v.name));
      names.add(v.name);
    }
    const sources = (['emptyDir', 'hostPath', 'configMap', 'secret', 'downwardAPI', 'projected'] as const).filter((s) => v[s]);
    if (sources.length === 0) causes.push(required(p, 'must specify a volume type'));
    for (const extra of sources.slice(1)) causes.push(forbidden(p.child(extra), 'may not specify more than 1 volume type'));
    if (v.hostPath && !v.hostPath.path) causes.push(required(p.child('hostPath', 'path')));
    causes.push(...validateDataVolume(v, p));
    const size = v.emptyDir?.sizeLimit;
    if (size !== undefined) {
      try {
        if (Quantity.parse(size).sign() < 0) causes.push(invalid(p.child('emptyDir', 'sizeLimit'), size, 'must be greater than or equal to 0'));
      } catch (e) {
        causes.push(invalid(p.child('emptyDir', 'sizeLimit'), size, (e as Error).message));
      }
    }
  });
  return { causes, names };
}

function validateTolerations(tolerations: Toleration[], path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  tolerations.forEach((t, i) => {
    const p = path.index(i);
    if (t.key) for (const msg of qualifiedNameErrors(t.key)) causes.push(invalid(p.child('key'), t.key, msg));
    if (!t.key && t.operator !== 'Exists') {
      causes.push(invalid(p.child('operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      causes.push(invalid(p.child('effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator ?? '') {
      case '':
      case 'Equal':
        for (const msg of labelValueErrors(t.value ?? '')) causes.push(invalid(p.child('value'), t.value, msg));
        break;
      case 'Exists':
        if (t.value) causes.push(invalid(p.child('operator'), t.value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        causes.push(notSupported(p.child('operator'), t.operator, ['Equal', 'Exists']));
    }
  });
  return causes;
}

function validateRequirement(r: NodeSelectorRequirement, path: FieldPath, field: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const values = r.values ?? [];
  if (field) {
    // matchFields selects on node fields, and metadata.name is the only one Kubernetes supports.
    if (r.key !== 'metadata.name') causes.push(notSupported(path.child('key'), r.key, ['metadata.name']));
    if (r.operator !== 'In' && r.operator !== 'NotIn') causes.push(notSupported(path.child('operator'), r.operator, ['In', 'NotIn']));
    else if (values.length !== 1) causes.push(required(path.child('values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
    return causes;
  }
  for (const msg of qualifiedNameErrors(r.key)) causes.push(invalid(path.child('key'), r.key, msg));
  const setCauses = setOperatorValueCauses(r.operator, values, path.child('values'));
  if (setCauses) return [...causes, ...setCauses];
  switch (r.operator) {
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) causes.push(required(path.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      else if (!/^-?[0-9]+$/.test(values[0])) causes.push(invalid(path.child('values').index(0), values[0], 'must be an integer'));
      break;
    default:
      causes.push(notSupported(path.child('operator'), r.operator, NODE_SELECTOR_OPERATORS));
  }
  return causes;
}

function validateTerm(term: NodeSelectorTerm, path: FieldPath): StatusCause[] {
  return [
    ...(term.matchExpressions ?? []).flatMap((r, i) => validateRequirement(r, path.child('matchExpressions').index(i), false)),
    ...(term.matchFields ?? []).flatMap((r, i) => validateRequirement(r, path.child('matchFields').index(i), true)),
  ];
}

function validateAffinity(spec: PodSpec, path: FieldPath): StatusCause[] {
  const na = spec.affinity?.nodeAffinity;
  if (!na) return [];
  const causes: StatusCause[] = [];
  const napath = path.child('nodeAffinity');
  const req = na.requiredDuringSchedulingIgnoredDuringExecution;
  if (req) {
    const p = napath.child('requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms');
    if (req.nodeSelectorTerms.length === 0) causes.push(required(p, 'must have at least one node selector term'));
    req.nodeSelectorTerms.forEach((t, i) => causes.push(...validateTerm(t, p.index(i))));
  }
  (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((pref, i) => {
    const p = napath.child('preferredDuringSchedulingIgnoredDuringExecution').index(i);
    if (pref.weight < 1 || pref.weight > 100) causes.push(invalid(p.child('weight'), pref.weight, 'must be in the range 1-100'));
    causes.push(...validateTerm(pref.preference, p.child('preference')));
  });
  return causes;
}

function nameCauses(value: string | undefined, path: FieldPath, rule: 'label' | 'subdomain'): StatusCause[] {
  if (!value) return [];
  return (rule === 'label' ? dns1123LabelErrors(value) : dns1123SubdomainErrors(value)).map((msg) => invalid(path, value, msg));
}

export function validatePodSpec(spec: PodSpec | undefined, path = FieldPath.root('spec')): StatusCause[] {
  if (!spec) return [required(path.child('containers'))];
  const causes: StatusCause[] = [];
  const { causes: volumeCauses, names: volumes } = validateVolumes(spec.volumes ?? [], path.child('volumes'));
  causes.push(...volumeCauses);
  if (!spec.containers?.length) causes.push(required(path.child('containers')));
  const names = new Set<string>();
  const hostPorts = new Set<string>();
  // App containers first: a name an init container shares with one is reported on the init container, as in Kubernetes.
  const lists = [
    ['containers', spec.containers ?? []],
    ['initContainers', spec.initContainers ?? []],
  ] as const;
  for (const [field, containers] of lists) {
    containers.forEach((c, i) => {
      const p = path.child(field).index(i);
      causes.push(...validateContainer(c, p, { volumes, init: field === 'initContainers', gracePeriod: spec.terminationGracePeriodSeconds }));
      if (c.name) {
        if (names.has(c.name)) causes.push(duplicate(p.child('name'), c.name));
        names.add(c.name);
      }
      (c.ports ?? []).forEach((port, j) => {
        const pp = p.child('ports').index(j);
        if (spec.hostNetwork && port.hostPort !== undefined && port.hostPort !== port.containerPort) {
          causes.push(invalid(pp.child('hostPort'), port.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
        }
        // Two containers cannot both take one host port (AccumulateUniqueHostPorts).
        const hostPort = spec.hostNetwork ? port.containerPort : port.hostPort;
        if (!hostPort || field === 'initContainers') return;
        const key = `${hostPort}/${port.protocol ?? 'TCP'}`;
        if (hostPorts.has(key)) causes.push(duplicate(pp.child('hostPort'), key));
        hostPorts.add(key);
      });
    });
  }
  if (spec.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds < 0) {
    causes.push(invalid(path.child('terminationGracePeriodSeconds'), spec.terminationGracePeriodSeconds, 'must be greater than or equal to 0'));
  }
  if (spec.activeDeadlineSeconds !== undefined && (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > MAX_INT32)) {
    causes.push(invalid(path.child('activeDeadlineSeconds'), spec.activeDeadlineSeconds, `must be between 1 and ${MAX_INT32}, inclusive`));
  }
  causes.push(...nameCauses(spec.nodeName, path.child('nodeName'), 'subdomain'));
  causes.push(...nameCauses(spec.hostname, path.child('hostname'), 'label'));
  causes.push(...nameCauses(spec.subdomain, path.child('subdomain'), 'label'));
  causes.push(...nameCauses(spec.schedulerName, path.child('schedulerName'), 'subdomain'));
  causes.push(...nameCauses(spec.serviceAccountName, path.child('serviceAccountName'), 'subdomain'));
  causes.push(...nameCauses(spec.priorityClassName, path.child('priorityClassName'), 'subdomain'));
  causes.push(...validateLabels(spec.nodeSelector, path.child('nodeSelector')));
  causes.push(...validateAffinity(spec, path.child('affinity')));
  causes.push(...validateTolerations(spec.tolerations ?? [], path.child('tolerations')));
  causes.push(...validateIds(spec.securityContext, path.child('securityContext')));
  causes.push(...validatePodDns(spec, path));
  if (spec.securityContext?.fsGroup !== undefined && (spec.securityContext.fsGroup < 0 || spec.securityContext.fsGroup > MAX_INT32)) {
    causes.push(invalid(path.child('securityContext', 'fsGroup'), spec.securityContext.fsGroup, `must be between 0 and ${MAX_INT32}, inclusive`));
  }
  return causes;
}

export function validatePodStatus(status: PodStatus | undefined, path = FieldPath.root('status')): StatusCause[] {
  if (!status) return [];
  const causes: StatusCause[] = [];
  for (const f of ['podIP', 'hostIP'] as const) {
    const ip = status[f];
    if (ip && !isIP(ip)) causes.push(invalid(path.child(f), ip, 'must be a valid IP address'));
  }
  for (const f of ['podIPs', 'hostIPs'] as const) {
    (status[f] ?? []).forEach((p, i) => {
      if (!isIP(p.ip)) causes.push(invalid(path.child(f).index(i).child('ip'), p.ip, 'must be a valid IP address'));
    });
  }
  if (status.podIP && status.podIPs?.length && status.podIPs[0].ip !== status.podIP) {
    causes.push(invalid(path.child('podIPs').index(0).child('ip'), status.podIPs[0].ip, 'must be equal to `podIP`'));
  }
  causes.push(...nameCauses(status.nominatedNodeName, path.child('nominatedNodeName'), 'subdomain'));
  for (const f of ['containerStatuses', 'initContainerStatuses'] as const) {
    (status[f] ?? []).forEach((cs, i) => {
      if (cs.restartCount < 0) causes.push(invalid(path.child(f).index(i).child('restartCount'), cs.restartCount, 'must be greater than or equal to 0'));
    });
  }
  return causes;
}

export function validatePod(pod: Pod): StatusCause[] {
  return [...validatePodSpec(pod.spec), ...validatePodStatus(pod.status)];
}
