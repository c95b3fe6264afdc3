// What the root CA publisher wants in one namespace, from plain records (kube-controller-manager's
// root-ca-cert-publisher): the ConfigMap `kube-root-ca.crt` holding exactly `ca.crt`, the CA that
// signed the API server's serving certificate, with Kubernetes' description annotation. One
// missing is created, one changed is put back; a namespace going away gets nothing new.
import type { ConfigMap, Namespace } from '../../api/types/core.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

export type RootCAAction = { create: ConfigMap } | { update: ConfigMap } | undefined;

/** The write that makes `current` (the namespace's kube-root-ca.crt, if any) say `rootCA`, or undefined. */
export function rootCAAction(ns: Namespace | undefined, current: ConfigMap | undefined, rootCA: string): RootCAAction {
  const data = { 'ca.crt': rootCA };
  if (!current) {
    if (!ns || ns.metadata.deletionTimestamp || (ns.status?.phase ?? 'Active') !== 'Active') return undefined;
    const name = ns.metadata.name ?? '';
    return { create: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace: name, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data } };
  }
  const cur = current.data ?? {};
  const same = Object.keys(cur).length === 1 && cur['ca.crt'] === rootCA && !current.binaryData;
  if (same && current.metadata.annotations?.[DESCRIPTION_ANNOTATION]) return undefined;
  const { binaryData: _dropped, ...rest } = current;
  return { update: { ...rest, metadata: { ...current.metadata, annotations: { ...(current.metadata.annotations ?? {}), [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data } };
}
