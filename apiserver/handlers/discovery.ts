// Discovery documents, built from api/resources.ts (the one table of what skiff serves, stored or computed):
// /version, /api (APIVersions), /api/v1 and /apis/<group>/<version> (APIResourceList),
// /apis (APIGroupList) and /apis/<group> (APIGroup).
import { SERVED_RESOURCES, type ResourceInfo } from '../../api/resources.js';

export const VERSION_INFO = {
  major: '1',
  minor: '30',
  gitVersion: 'v1.30.0-skiff.0.1.0',
  gitCommit: 'skiff',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'node',
  compiler: 'tsc',
  platform: `${process.platform}/${process.arch}`,
};

/**
 * The group/version of the kind a /scale subresource speaks (autoscaling/v1 Scale). The
 * group itself is not listed: skiff serves none of its resources (autoscalers), and kubectl
 * refuses a group version whose resource list is empty.
 */
const SCALE_GROUP = { group: 'autoscaling', version: 'v1' };

function groups(): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const r of SERVED_RESOURCES) {
    if (!r.group) continue;
    const versions = m.get(r.group) ?? [];
    if (!versions.includes(r.version)) versions.push(r.version);
    m.set(r.group, versions);
  }
  return m;
}

export function apiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(name: string, versions: string[]): Record<string, unknown> {
  const vs = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(): unknown {
  const list = [...groups()].map(([name, versions]) => {
    const g = apiGroup(name, versions);
    delete g.kind;
    delete g.apiVersion;
    return g;
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: list };
}

export function apiGroupDoc(group: string): unknown | undefined {
  const versions = groups().get(group);
  return versions ? apiGroup(group, versions) : undefined;
}

/** The streaming subresources and the options kind each takes, as Kubernetes lists them. */
const STREAMS: Record<string, string | undefined> = { exec: 'PodExecOptions', attach: 'PodAttachOptions', portforward: 'PodPortForwardOptions' };

function resourceEntries(r: ResourceInfo): unknown[] {
  const main: Record<string, unknown> = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: r.verbs,
  };
  if (r.shortNames.length) main.shortNames = r.shortNames;
  if (r.categories) main.categories = r.categories;
  const subs = r.subresources.map((s) => {
    if (s === 'finalize') return { name: `${r.plural}/${s}`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['update'] };
    const verbs = s === 'status' ? ['get', 'patch', 'update'] : s === 'binding' ? ['create'] : s === 'proxy' ? ['create', 'delete', 'get', 'patch', 'update'] : STREAMS[s] ? ['create', 'get'] : ['get'];
    if (s === 'scale') return { name: `${r.plural}/${s}`, singularName: '', namespaced: r.namespaced, ...SCALE_GROUP, kind: 'Scale', verbs: ['get', 'patch', 'update'] };
    const kind = s === 'binding' ? 'Binding' : (STREAMS[s] ?? r.kind);
    // pods/eviction takes a policy/v1 Eviction; kubectl drain finds it by these group and version.
    if (s === 'eviction') return { name: `${r.plural}/${s}`, singularName: '', namespaced: r.namespaced, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] };
    return { name: `${r.plural}/${s}`, singularName: '', namespaced: r.namespaced, kind, verbs };
  });
  return [main, ...subs];
}

export function apiResourceList(group: string, version: string): unknown | undefined {
  const rs = SERVED_RESOURCES.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: rs.flatMap(resourceEntries),
  };
}
