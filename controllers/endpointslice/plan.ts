// What one sync of a Service does to its EndpointSlices, as the EndpointSlice reconciler
// (k8s.io/endpointslice reconciler.go), from plain records. Per address type and port group:
// endpoints no longer wanted leave the slice they are in and changed ones are updated in place;
// new ones fill the slices already being updated (the fullest first), then the one unchanged
// slice they fit best, and only then a new slice; at most `maxEndpointsPerSlice` each. A Service
// with no endpoints keeps one empty placeholder slice. Creates that would come with deletes
// become updates of the slices that would go, so a rollout rewrites slices rather than
// replacing them.
import { addressTypesOf, isServiceIPSet, LABEL_HEADLESS, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, type AddressType } from '../../api/service-endpoints.js';
import type { Pod } from '../../api/types/core.js';
import type { Endpoint, EndpointSlice, EndpointSlicePort, Service } from '../../api/types/service.js';
import { desiredEndpoints, endpointKey, endpointsEqualBeyondKey, portsKey, type NodeZoneLookup } from './desired-endpoints.js';

/** kube-controller-manager's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
/** The managed-by label value of the slices this controller writes. */
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';

export interface SlicePlanInput {
  service: Service;
  /** The pods the Service's selector matches in its namespace. */
  pods: readonly Pod[];
  /** The slices this controller manages for the Service (by its name label), none being deleted. */
  slices: readonly EndpointSlice[];
  nodeZone: NodeZoneLookup;
  maxEndpointsPerSlice?: number;
}

export interface SlicePlan {
  /** New slices (generateName `<service>-`). */
  create: EndpointSlice[];
  /** Existing slices as they should be (their resourceVersion kept for the update). */
  update: EndpointSlice[];
  delete: EndpointSlice[];
  /** Nodes named by pods that do not exist: those pods were left out; sync again later. */
  missingNodes: string[];
}

const RESERVED_LABELS = new Set([LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS]);

function withoutReserved(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !RESERVED_LABELS.has(k)));
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/** setEndpointSliceLabels: the Service's labels and the reserved three; `changed` when the Service's part differs. */
export function sliceLabels(slice: EndpointSlice | undefined, svc: Service): { labels: Record<string, string>; changed: boolean } {
  const labels = withoutReserved(svc.metadata.labels);
  const changed = !sameLabels(withoutReserved(slice?.metadata.labels), labels);
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
  labels[LABEL_SERVICE_NAME] = svc.metadata.name ?? '';
  labels[LABEL_MANAGED_BY] = CONTROLLER_NAME;
  return { labels, changed };
}

/** ownedBy: the slice's ownerReferences name this very Service (by uid). */
export function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata.ownerReferences ?? []).some((o) => o.uid === svc.metadata.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

/** newEndpointSlice: owned by the Service (controller), named after it. */
export function newEndpointSlice(svc: Service, ports: EndpointSlicePort[], addressType: AddressType): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name ?? ''}-`,
      namespace: svc.metadata.namespace,
      labels: sliceLabels(undefined, svc).labels,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name ?? '', uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

function isPlaceholder(slice: EndpointSlice, placeholder: EndpointSlice, svc: Service): boolean {
  return (
    slice.addressType === placeholder.addressType &&
    (slice.ports ?? []).length === 0 &&
    (slice.endpoints ?? []).length === 0 &&
    slice.metadata.namespace === placeholder.metadata.namespace &&
    sameLabels(slice.metadata.labels ?? {}, placeholder.metadata.labels ?? {}) &&
    ownedBy(slice, svc) &&
    (slice.metadata.ownerReferences ?? []).length === 1
  );
}

/** getSliceToFill: the slice that `n` more endpoints fill the closest to full without passing it. */
function sliceToFill(slices: EndpointSlice[], n: number, max: number): EndpointSlice | undefined {
  let best: EndpointSlice | undefined;
  let bestDiff = max;
  for (const s of slices) {
    const diff = max - (n + (s.endpoints ?? []).length);
    if (diff >= 0 && diff < bestDiff) {
      bestDiff = diff;
      best = s;
      if (diff === 0) break;
    }
  }
  return best;
}

interface Changes {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

/** reconcileByPortMapping: one port group's slices against its desired endpoints (consumed). */
function reconcilePortGroup(svc: Service, existing: EndpointSlice[], desired: Map<string, Endpoint>, ports: EndpointSlicePort[], addressType: AddressType, max: number): Changes {
  const byName = new Map<string, EndpointSlice>();
  const unchanged = new Set<string>();
  const toUpdate = new Set<string>();
  const toDelete = new Set<string>();

  // 1. Drop endpoints no longer wanted, refresh the changed ones, follow the Service's labels.
  for (const slice of existing) {
    const name = slice.metadata.name ?? '';
    byName.set(name, slice);
    const kept: Endpoint[] = [];
    let changed = false;
    for (const ep of slice.endpoints ?? []) {
      const key = endpointKey(ep);
      const want = desired.get(key);
      if (!want) continue;
      kept.push(want);
      if (!endpointsEqualBeyondKey(want, ep)) changed = true;
      desired.delete(key);
    }
    const { labels, changed: labelsChanged } = sliceLabels(slice, svc);
    if (changed || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) {
        toDelete.add(name);
      } else {
        byName.set(name, { ...structuredClone(slice), endpoints: kept, metadata: { ...structuredClone(slice.metadata), labels } });
        toUpdate.add(name);
      }
    } else if (labelsChanged) {
      byName.set(name, { ...structuredClone(slice), metadata: { ...structuredClone(slice.metadata), labels } });
      toUpdate.add(name);
    } else {
      unchanged.add(name);
    }
  }

  const popInto = (slice: EndpointSlice) => {
    slice.endpoints ??= [];
    for (const [key, ep] of desired) {
      if (slice.endpoints.length >= max) break;
      slice.endpoints.push(ep);
      desired.delete(key);
    }
  };

  // 2. Fill the slices being updated anyway, the fullest first.
  if (desired.size > 0 && toUpdate.size > 0) {
    const slices = [...toUpdate].map((n) => byName.get(n) as EndpointSlice).sort((a, b) => (b.endpoints ?? []).length - (a.endpoints ?? []).length);
    for (const s of slices) popInto(s);
  }

  // 3. What is left: into the unchanged slice it fits best, else new slices.
  const create: EndpointSlice[] = [];
  while (desired.size > 0) {
    let fill: EndpointSlice | undefined;
    if (desired.size < max && unchanged.size > 0) {
      const found = sliceToFill([...unchanged].map((n) => byName.get(n) as EndpointSlice), desired.size, max);
      if (found) {
        fill = structuredClone(found);
        byName.set(found.metadata.name ?? '', fill);
      }
    }
    fill ??= newEndpointSlice(svc, ports, addressType);
    popInto(fill);
    if (fill.metadata.name) {
      toUpdate.add(fill.metadata.name);
      unchanged.delete(fill.metadata.name);
    } else {
      create.push(fill);
    }
  }
  return {
    create,
    update: [...toUpdate].map((n) => byName.get(n) as EndpointSlice),
    delete: [...toDelete].map((n) => byName.get(n) as EndpointSlice),
  };
}

/** reconcileByAddressType: every port group of one address type, the placeholder, creates turned into updates. */
function reconcileAddressType(i: SlicePlanInput, existing: EndpointSlice[], addressType: AddressType, max: number): Changes & { missingNodes: string[] } {
  const svc = i.service;
  const out: Changes = { create: [], update: [], delete: [] };
  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const slice of existing) {
    if (!ownedBy(slice, svc)) {
      out.delete.push(slice);
      continue;
    }
    const key = portsKey(slice.ports);
    existingByPorts.set(key, [...(existingByPorts.get(key) ?? []), slice]);
  }
  const desired = desiredEndpoints(svc, i.pods, addressType, i.nodeZone);
  for (const [key, group] of desired.groups) {
    const c = reconcilePortGroup(svc, existingByPorts.get(key) ?? [], group.endpoints, group.ports, addressType, max);
    out.create.push(...c.create);
    out.update.push(...c.update);
    out.delete.push(...c.delete);
  }
  for (const [key, slices] of existingByPorts) if (!desired.groups.has(key)) out.delete.push(...slices);

  // No endpoints at all: one empty slice says so.
  if (existing.length === out.delete.length && out.create.length === 0) {
    const placeholder = newEndpointSlice(svc, [], addressType);
    if (out.delete.length === 1 && isPlaceholder(out.delete[0] as EndpointSlice, placeholder, svc)) out.delete = [];
    else out.create.push(placeholder);
  }

  // finalize: a slice about to be created takes the place of one about to be deleted.
  for (let d = 0; d < out.delete.length && out.create.length > 0; ) {
    const gone = out.delete[d] as EndpointSlice;
    if (gone.addressType === addressType && ownedBy(gone, svc)) {
      const made = out.create.pop() as EndpointSlice;
      out.update.push({ ...made, metadata: { ...gone.metadata, labels: made.metadata.labels, ownerReferences: made.metadata.ownerReferences } });
      out.delete.splice(d, 1);
    } else {
      d++;
    }
  }
  return { ...out, missingNodes: desired.missingNodes };
}

/** One sync of a Service's slices. */
export function planEndpointSlices(i: SlicePlanInput): SlicePlan {
  const max = i.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  const supported = new Set(addressTypesOf(i.service));
  const plan: SlicePlan = { create: [], update: [], delete: [], missingNodes: [] };
  const byType = new Map<AddressType, EndpointSlice[]>();
  for (const slice of i.slices) {
    const t = slice.addressType;
    if (t === 'FQDN' || !supported.has(t)) plan.delete.push(slice);
    else byType.set(t, [...(byType.get(t) ?? []), slice]);
  }
  const pods = [...i.pods].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  for (const t of supported) {
    const c = reconcileAddressType({ ...i, pods }, byType.get(t) ?? [], t, max);
    plan.create.push(...c.create);
    plan.update.push(...c.update);
    plan.delete.push(...c.delete);
    plan.missingNodes.push(...c.missingNodes.filter((n) => !plan.missingNodes.includes(n)));
  }
  // A Service on its way out gets no new slices: the garbage collector is removing them.
  if (i.service.metadata.deletionTimestamp) plan.create = [];
  return plan;
}
