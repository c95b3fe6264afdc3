// The Node authorizer's graph question for a ConfigMap or Secret, answered from the pods: does
// a pod bound to this node, in the object's namespace, name it (env, envFrom, volumes, image
// pull secrets)? Kubernetes keeps a graph of these edges; skiff asks the pods when a node reads.
import { podReferences } from '../../api/pod-references.js';
import type { Pod } from '../../api/types/core.js';

export function podsReference(pods: Pod[], node: string, resource: 'configmaps' | 'secrets', name: string): boolean {
  return pods.some((p) => {
    if (p.spec?.nodeName !== node) return false;
    const refs = podReferences(p);
    return resource === 'configmaps' ? refs.configMaps.has(name) : refs.secrets.has(name) || refs.pullSecrets.has(name);
  });
}

/** Kubernetes' reason when no edge joins the node and the object. */
export function noRelationship(node: string): string {
  return `no relationship found between node '${node}' and this object`;
}
