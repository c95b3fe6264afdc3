// The kind-specific rules of Node, Namespace, Event, Lease and Binding (Pods have pod.ts).
import { isIP } from 'node:net';
import { Quantity } from '../quantity.js';
import { dns1123SubdomainErrors, labelValueErrors, qualifiedNameErrors } from '../names.js';
import type { Lease } from '../types/coordination.js';
import type { Binding, Event, Namespace, Node, Pod, ResourceList } from '../types/core.js';
import type { StatusCause } from '../types/meta.js';
import { FieldPath, duplicate, forbidden, invalid, notSupported, required } from './field.js';

function validateResourceList(list: ResourceList | undefined, path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [name, raw] of Object.entries(list ?? {})) {
    const p = path.key(name);
    for (const msg of qualifiedNameErrors(name)) causes.push(invalid(p, name, msg));
    try {
      if (Quantity.parse(raw).sign() < 0) causes.push(invalid(p, raw, 'must be greater than or equal to 0'));
    } catch (e) {
      causes.push(invalid(p, raw, (e as Error).message));
    }
  }
  return causes;
}

function validCIDR(cidr: string): boolean {
  const m = /^(.+)\/(\d{1,3})$/.exec(cidr);
  if (!m) return false;
  const family = isIP(m[1]);
  const bits = Number(m[2]);
  return (family === 4 && bits <= 32) || (family === 6 && bits <= 128);
}

export function validateNode(node: Node): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = FieldPath.root('spec');
  const seen = new Set<string>();
  (node.spec?.taints ?? []).forEach((t, i) => {
    const p = spec.child('taints').index(i);
    if (!t.key) causes.push(required(p.child('key')));
    else for (const msg of qualifiedNameErrors(t.key)) causes.push(invalid(p.child('key'), t.key, msg));
    if (t.value) for (const msg of labelValueErrors(t.value)) causes.push(invalid(p.child('value'), t.value, msg));
    const pair = `${t.key}:${t.effect}`;
    if (seen.has(pair)) causes.push(duplicate(p, pair));
    seen.add(pair);
  });
  if (node.spec?.podCIDR && !validCIDR(node.spec.podCIDR)) causes.push(invalid(spec.child('podCIDR'), node.spec.podCIDR, 'must be a valid CIDR'));
  (node.spec?.podCIDRs ?? []).forEach((c, i) => {
    if (!validCIDR(c)) causes.push(invalid(spec.child('podCIDRs').index(i), c, 'must be a valid CIDR'));
  });
  const status = FieldPath.root('status');
  causes.push(...validateResourceList(node.status?.capacity, status.child('capacity')));
  causes.push(...validateResourceList(node.status?.allocatable, status.child('allocatable')));
  (node.status?.addresses ?? []).forEach((a, i) => {
    if ((a.type === 'InternalIP' || a.type === 'ExternalIP') && !isIP(a.address)) {
      causes.push(invalid(status.child('addresses').index(i).child('address'), a.address, 'must be a valid IP address'));
    }
  });
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (port !== undefined && (port < 0 || port > 65535)) {
    causes.push(invalid(status.child('daemonEndpoints', 'kubeletEndpoint', 'Port'), port, 'must be between 0 and 65535, inclusive'));
  }
  return causes;
}

export function validateNodeUpdate(node: Node, old: Node): StatusCause[] {
  // A node's pod CIDR is handed out once; changing it would strand the pods already using it.
  const prev = old.spec?.podCIDR;
  if (prev && node.spec?.podCIDR !== prev) {
    return [forbidden(FieldPath.root('spec').child('podCIDR'), 'node updates may not change podCIDR except from "" to valid')];
  }
  return [];
}

export function validateNamespace(ns: Namespace): StatusCause[] {
  const causes: StatusCause[] = [];
  (ns.spec?.finalizers ?? []).forEach((f, i) => {
    for (const msg of qualifiedNameErrors(f)) causes.push(invalid(FieldPath.root('spec').child('finalizers').index(i), f, msg));
  });
  return causes;
}

export function validateEvent(ev: Event): StatusCause[] {
  const causes: StatusCause[] = [];
  const io = FieldPath.root('involvedObject');
  const obj = ev.involvedObject;
  if (!obj.kind) causes.push(required(io.child('kind')));
  if (!obj.name) causes.push(required(io.child('name')));
  const ns = ev.metadata?.namespace ?? '';
  // The event lives with the object it is about; events about cluster-scoped objects go in "default".
  if (obj.namespace ? obj.namespace !== ns : ns !== '' && ns !== 'default') {
    causes.push(invalid(io.child('namespace'), obj.namespace ?? '', 'does not match event.namespace'));
  }
  if (typeof ev.count === 'number' && ev.count < 0) causes.push(invalid(FieldPath.root('count'), ev.count, 'must be greater than or equal to 0'));
  if (ev.reportingComponent) {
    for (const msg of qualifiedNameErrors(ev.reportingComponent)) causes.push(invalid(FieldPath.root('reportingComponent'), ev.reportingComponent, msg));
  }
  for (const f of ['reason', 'action'] as const) {
    const v = ev[f];
    if (v && v.length > 128) causes.push(invalid(FieldPath.root(f), v, 'can have at most 128 characters'));
  }
  return causes;
}

export function validateLease(lease: Lease): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = FieldPath.root('spec');
  const d = lease.spec?.leaseDurationSeconds;
  if (typeof d === 'number' && d <= 0) causes.push(invalid(spec.child('leaseDurationSeconds'), d, 'must be greater than 0'));
  const t = lease.spec?.leaseTransitions;
  if (typeof t === 'number' && t < 0) causes.push(invalid(spec.child('leaseTransitions'), t, 'must be greater than or equal to 0'));
  return causes;
}

/** A Binding posted to pods/<name>/binding; `pod` is the stored pod when the caller has it. */
export function validateBinding(binding: Binding, pod?: Pod): StatusCause[] {
  const causes: StatusCause[] = [];
  const target = FieldPath.root('target');
  if (binding.target.kind && binding.target.kind !== 'Node') causes.push(notSupported(target.child('kind'), binding.target.kind, ['Node']));
  if (!binding.target.name) causes.push(required(target.child('name')));
  else for (const msg of dns1123SubdomainErrors(binding.target.name)) causes.push(invalid(target.child('name'), binding.target.name, msg));
  // The API server answers an already-bound pod with 409 Conflict; this cause covers callers without that check.
  if (pod?.spec?.nodeName) causes.push(forbidden(FieldPath.root('spec').child('nodeName'), `pod is already assigned to node "${pod.spec.nodeName}"`));
  return causes;
}
