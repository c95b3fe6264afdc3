// Finding the owners of an object from an informer's cache, as every controller's event
// handlers do (kube-controller-manager's resolveControllerRef and get<Owner>sFor<Object>): the
// owner its controllerRef names, if the cached object of that name is still that one (same
// uid), and, for an orphan, the owners whose selector matches it and so may adopt it.
import { isDeepStrictEqual } from 'node:util';
import { labelSelectorFromObject, type LabelSelectorMatcher } from '../api/selectors/labels.js';
import type { KubeObject, LabelSelector } from '../api/types/meta.js';
import { controllerRefOf, type OwnerKind } from './controller-ref.js';

/** The owner cache: an Informer of the owner kind. */
export interface OwnerCache<O extends KubeObject> {
  get(name: string, namespace?: string): O | undefined;
  list(namespace?: string): O[];
}

/** A selector as a matcher; undefined for one validation refuses (a stored one then selects nothing). */
export function selectorOf(selector: LabelSelector | undefined): LabelSelectorMatcher | undefined {
  try {
    return labelSelectorFromObject(selector);
  } catch {
    return undefined;
  }
}

/** The owner of `kind` that `obj`'s controllerRef points at, if the cached one is still that object. */
export function resolveControllerRef<O extends KubeObject>(obj: KubeObject, kind: OwnerKind, owners: OwnerCache<O>): O | undefined {
  const ref = controllerRefOf(obj);
  if (!ref || ref.kind !== kind.kind || ref.apiVersion.split('/')[0] !== kind.apiVersion.split('/')[0]) return undefined;
  const owner = owners.get(ref.name, obj.metadata.namespace);
  return owner?.metadata.uid === ref.uid ? owner : undefined;
}

/** The owners in `obj`'s namespace whose non-empty selector matches its labels: who may adopt it. */
export function ownersSelecting<O extends KubeObject>(obj: KubeObject, owners: OwnerCache<O>, selector: (owner: O) => LabelSelector | undefined): O[] {
  return ownersMatching(obj, owners, (owner) => selectorOf(selector(owner)));
}

/** ownersSelecting for owners whose selector is already a matcher (or none). */
export function ownersMatching<O extends KubeObject>(obj: KubeObject, owners: OwnerCache<O>, matcher: (owner: O) => LabelSelectorMatcher | undefined): O[] {
  return owners.list(obj.metadata.namespace).filter((owner) => {
    const sel = matcher(owner);
    return sel !== undefined && !sel.isEmpty() && sel.matches(obj.metadata.labels ?? {});
  });
}

/** Whether an update changed the labels, and so which selectors may match it (reflect.DeepEqual, key order aside). */
export function labelsChanged(obj: KubeObject, old: KubeObject): boolean {
  return !isDeepStrictEqual(obj.metadata.labels ?? {}, old.metadata.labels ?? {});
}
