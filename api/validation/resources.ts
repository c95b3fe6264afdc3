// resources.limits / resources.requests (ValidateResourceRequirements): names, quantity
// grammar via api/quantity.ts, non-negative values, and requests <= limits with Kubernetes'
// wording ("must be less than or equal to cpu limit of 500m").
import { MEMORY_SWAP_RESOURCE } from '../pod-resources.js';
import { isQualifiedName } from '../names.js';
import { Quantity } from '../quantity.js';
import type { ResourceList, ResourceRequirements } from '../types/core.js';
import type { StatusCause } from '../types/meta.js';
import { invalid, required } from './field.js';
import type { FieldPath } from './field.js';

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

const isHugePages = (name: string): boolean => name.startsWith('hugepages-');
/** Native resources live in no domain or in kubernetes.io; anything else with a '/' is an extended resource. */
const isNative = (name: string): boolean => !name.includes('/') || name.startsWith('kubernetes.io/') || name.includes('.kubernetes.io/');
const isExtended = (name: string): boolean => !isNative(name) && name !== MEMORY_SWAP_RESOURCE;
/** cpu and memory may be overcommitted (request < limit); hugepages and extended resources may not. */
const overcommitAllowed = (name: string): boolean => isNative(name) && !isHugePages(name);

function validateResourceName(name: string, path: FieldPath): StatusCause[] {
  if (!isQualifiedName(name)) return [invalid(path, name, 'must be a standard resource type or fully qualified')];
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) return [invalid(path, name, 'must be a standard resource for containers')];
  }
  return [];
}

/** Parses every entry of a list, reporting the bad ones; returns the good ones. */
function parseList(list: ResourceList | undefined, path: FieldPath, causes: StatusCause[], kind: 'limits' | 'requests'): Map<string, Quantity> {
  const parsed = new Map<string, Quantity>();
  for (const [name, raw] of Object.entries(list ?? {})) {
    const p = path.key(name);
    causes.push(...validateResourceName(name, p));
    let q: Quantity;
    try {
      q = Quantity.parse(raw);
    } catch (e) {
      causes.push(invalid(p, raw, (e as Error).message));
      continue;
    }
    if (name === MEMORY_SWAP_RESOURCE) {
      if (kind === 'requests') {
        causes.push(invalid(p, q.toString(), `${MEMORY_SWAP_RESOURCE} may only be set in limits`));
        continue;
      }
      // docker's --memory-swap: -1 means unlimited swap; any other value is memory plus swap.
      if (q.sign() < 0 && q.cmp(Quantity.parse(-1)) !== 0) {
        causes.push(invalid(p, q.toString(), 'must be -1 (unlimited swap) or greater than or equal to 0'));
        continue;
      }
    } else if (q.sign() < 0) {
      causes.push(invalid(p, q.toString(), 'must be greater than or equal to 0'));
      continue;
    }
    if (isExtended(name) && q.nanoValue() % 1_000_000_000n !== 0n) {
      causes.push(invalid(p, q.toString(), 'must be an integer'));
      continue;
    }
    parsed.set(name, q);
  }
  return parsed;
}

export function validateResourceRequirements(res: ResourceRequirements | undefined, path: FieldPath): StatusCause[] {
  if (!res) return [];
  const causes: StatusCause[] = [];
  const limPath = path.child('limits');
  const reqPath = path.child('requests');
  const limits = parseList(res.limits, limPath, causes, 'limits');
  const requests = parseList(res.requests, reqPath, causes, 'requests');
  for (const [name, req] of requests) {
    const lim = limits.get(name);
    if (lim) {
      if (!overcommitAllowed(name) && req.cmp(lim) !== 0) {
        causes.push(invalid(reqPath, req.toString(), `must be equal to ${name} limit of ${lim.toString()}`));
      } else if (req.cmp(lim) > 0) {
        causes.push(invalid(reqPath, req.toString(), `must be less than or equal to ${name} limit of ${lim.toString()}`));
      }
    } else if (!overcommitAllowed(name) && !(res.limits && name in res.limits)) {
      causes.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  const swap = limits.get(MEMORY_SWAP_RESOURCE);
  if (swap) {
    const memory = limits.get('memory');
    if (!memory) {
      if (!(res.limits && 'memory' in res.limits)) causes.push(required(limPath.key('memory'), `must be set when ${MEMORY_SWAP_RESOURCE} is set`));
    } else if (swap.sign() >= 0 && swap.cmp(memory) < 0) {
      causes.push(invalid(limPath.key(MEMORY_SWAP_RESOURCE), swap.toString(), `must be -1 or greater than or equal to memory limit of ${memory.toString()}`));
    }
  }
  return causes;
}
