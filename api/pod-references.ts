// The ConfigMaps and Secrets a pod names, in its own namespace: through its containers' env and
// envFrom, its volumes (configMap, secret, projected sources) and its image pull secrets. The
// kubelet reads these for the pod; the Node authorizer lets a kubelet read exactly these.
import type { Container, Pod } from './types/core.js';

export interface PodReferences {
  configMaps: Set<string>;
  /** Secrets for env and volumes. */
  secrets: Set<string>;
  /** Secrets named in spec.imagePullSecrets. */
  pullSecrets: Set<string>;
}

function containerRefs(c: Container, out: PodReferences): void {
  for (const e of c.env ?? []) {
    if (e.valueFrom?.configMapKeyRef) out.configMaps.add(e.valueFrom.configMapKeyRef.name);
    if (e.valueFrom?.secretKeyRef) out.secrets.add(e.valueFrom.secretKeyRef.name);
  }
  for (const f of c.envFrom ?? []) {
    if (f.configMapRef) out.configMaps.add(f.configMapRef.name);
    if (f.secretRef) out.secrets.add(f.secretRef.name);
  }
}

export function podReferences(pod: Pod): PodReferences {
  const out: PodReferences = { configMaps: new Set(), secrets: new Set(), pullSecrets: new Set() };
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) containerRefs(c, out);
  for (const v of pod.spec?.volumes ?? []) {
    if (v.configMap) out.configMaps.add(v.configMap.name);
    if (v.secret) out.secrets.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap) out.configMaps.add(s.configMap.name);
      if (s.secret) out.secrets.add(s.secret.name);
    }
  }
  for (const r of pod.spec?.imagePullSecrets ?? []) if (r.name) out.pullSecrets.add(r.name);
  return out;
}
