// Strategic merge patch, the subset kubectl sends for the kinds skiff serves: a merge patch
// in which lists of objects with a Kubernetes merge key (containers by name, ports by
// containerPort, conditions by type, ...) are merged element by element instead of being
// replaced, `$patch: delete|replace` directives on elements and maps, `$setElementOrder/...`
// (order hints, dropped), `$retainKeys` (dropped) and `$deleteFromPrimitiveList/<field>`.
// Kubernetes reads the merge keys from Go struct tags; here they are keyed by field name,
// which is unambiguous across Pod, Node, Namespace, Event and Lease.
import { errors } from '../../api/errors.js';

/** field name -> the key its list elements are merged by */
export const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  conditions: 'type',
  addresses: 'type',
  taints: 'key',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  containerStatuses: 'name',
  initContainerStatuses: 'name',
  podIPs: 'ip',
  hostIPs: 'ip',
};

/** Primitive lists Kubernetes merges as sets rather than replacing. */
export const MERGED_PRIMITIVE_LISTS: ReadonlySet<string> = new Set(['finalizers']);

type Obj = Record<string, unknown>;

const PATCH_DIRECTIVES: ReadonlySet<unknown> = new Set(['merge', 'replace', 'delete']);

/** A `$patch` other than merge, replace or delete is the client's error, as in Kubernetes' mergepatch. */
function checkDirective(o: Obj): void {
  if (o.$patch !== undefined && !PATCH_DIRECTIVES.has(o.$patch)) {
    throw errors.badRequest(`unknown patch type: ${JSON.stringify(o.$patch)} in map: ${JSON.stringify(o).slice(0, 200)}`);
  }
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeList(field: string, current: unknown, patch: unknown[]): unknown[] {
  const key = MERGE_KEYS[field];
  const base = Array.isArray(current) ? current : [];
  if (MERGED_PRIMITIVE_LISTS.has(field) && patch.every((x) => !isObj(x))) {
    const out = [...base];
    for (const x of patch) if (!out.includes(x)) out.push(x);
    return out;
  }
  if (!key || !patch.every(isObj)) return patch.map((x) => (isObj(x) ? strip(x) : x));
  if (patch.some((x) => isObj(x) && x.$patch === 'replace')) return patch.filter((x) => !(isObj(x) && x.$patch === 'replace')).map((x) => strip(x as Obj));
  const out: unknown[] = [...base];
  for (const el of patch as Obj[]) {
    checkDirective(el);
    const i = out.findIndex((o) => isObj(o) && o[key] === el[key]);
    if (el.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) {
      out[i] = strategicMerge(out[i], el);
    } else {
      out.push(strip(el));
    }
  }
  return out;
}

/** A patch element added as is, without directives. */
function strip(o: Obj): Obj {
  return strategicMerge({}, o) as Obj;
}

export function strategicMerge(current: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  checkDirective(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return strip(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isObj(current) ? { ...current } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = (out[field] as unknown[]).filter((x) => !v.includes(x));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = mergeList(k, out[k], v);
    else if (isObj(v)) {
      const merged = strategicMerge(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = v;
  }
  return out;
}
