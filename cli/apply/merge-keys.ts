// The list merge keys of the core types' strategic merge patch (the patchMergeKey tags in
// k8s.io/api/core/v1): lists with a key merge element by element, every other list is
// replaced as a whole (tolerations, taints, args, command).

const MERGE_KEYS: Record<string, string> = {
  'metadata.ownerReferences': 'uid',
  'spec.containers': 'name',
  'spec.containers[].ports': 'containerPort',
  'spec.containers[].env': 'name',
  'spec.containers[].volumeMounts': 'mountPath',
  'spec.containers[].volumeDevices': 'devicePath',
  'spec.volumes': 'name',
  'spec.imagePullSecrets': 'name',
  'spec.hostAliases': 'ip',
  'status.conditions': 'type',
  'status.addresses': 'type',
  'status.containerStatuses': 'name',
  'status.initContainerStatuses': 'name',
};

/** The path of a field as the merge-key table names it: list elements are "[]". */
export type FieldPath = readonly string[];

/**
 * The merge key of the list at `path`, or undefined when the list is replaced whole.
 * Init and ephemeral containers merge like containers; a pod template (spec.template.spec)
 * merges like a pod's spec.
 */
export function mergeKeyFor(path: FieldPath): string | undefined {
  let p = path.join('.').replace(/\.\[\]/g, '[]');
  p = p.replace(/^spec\.template\.spec\./, 'spec.').replace(/^template\.spec\./, 'spec.');
  p = p.replace(/spec\.(initContainers|ephemeralContainers)/, 'spec.containers');
  return MERGE_KEYS[p];
}
