// The apps/v1 DaemonSet and ControllerRevision API on a real server and etcd: Kubernetes'
// defaults (RollingUpdate with maxUnavailable 1 and maxSurge 0, revisionHistoryLimit 10),
// validation with field paths (exactly one of maxUnavailable and maxSurge non-zero, the
// template's restart policy and deadline), a revision's data immutable, and the Tables
// kubectl prints (NODE SELECTOR; CONTROLLER as kind.group/name).
import { describe, expect, it } from 'vitest';
import { namespacedApi } from './namespaced-api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies and replies are read freely here
type Json = any;

const cluster = namespacedApi('ds');
const ns = cluster.ns;
const daemonsets = `/apis/apps/v1/namespaces/${ns}/daemonsets`;
const revisions = `/apis/apps/v1/namespaces/${ns}/controllerrevisions`;
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

function daemonSet(name: string, patch: (spec: Json) => void = () => {}): Json {
  const spec: Json = {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { nodeSelector: { role: 'edge', disk: 'ssd' }, containers: [{ name: 'agent', image: 'busybox' }] } },
  };
  patch(spec);
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name }, spec };
}

describe('DaemonSet and ControllerRevision API', () => {
  it("stores a DaemonSet with Kubernetes' defaults and prints DESIRED ... NODE SELECTOR AGE", async () => {
    const r = await cluster.admin.post<Json>(daemonsets, daemonSet('agent'));
    expect(r.status, r.text).toBe(201);
    expect(r.body.spec).toMatchObject({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
    expect(r.body.spec.template.spec.restartPolicy).toBe('Always');
    expect(r.body.status).toEqual({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
    const table = (await cluster.admin.get<Json>(`${daemonsets}/agent`, { accept: TABLE })).body;
    expect(table.columnDefinitions.map((c: Json) => c.name)).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers', 'Images', 'Selector']);
    expect(table.rows[0].cells.slice(0, 7)).toEqual(['agent', 0, 0, 0, 0, 0, 'disk=ssd,role=edge']);
    expect(table.rows[0].cells.slice(8)).toEqual(['agent', 'busybox', 'app=agent']);
  });

  it.each([
    ['maxUnavailable and maxSurge both 0', (s: Json) => (s.updateStrategy = { rollingUpdate: { maxUnavailable: 0 } }), 'spec.updateStrategy.rollingUpdate.maxUnavailable', 'cannot be 0 when maxSurge is 0'],
    ['maxUnavailable and maxSurge both set', (s: Json) => (s.updateStrategy = { rollingUpdate: { maxUnavailable: 1, maxSurge: '10%' } }), 'spec.updateStrategy.rollingUpdate.maxSurge', 'may not be set when maxUnavailable is non-zero'],
    ['restartPolicy OnFailure', (s: Json) => (s.template.spec.restartPolicy = 'OnFailure'), 'spec.template.spec.restartPolicy', 'Unsupported value: "OnFailure"'],
    ['an active deadline', (s: Json) => (s.template.spec.activeDeadlineSeconds = 5), 'spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds must be nil for daemonset'],
    ['an empty selector', (s: Json) => (s.selector = {}), 'spec.selector', 'empty selector is invalid for daemonset'],
    ['a selector expression without values', (s: Json) => (s.selector.matchExpressions = [{ key: 'app', operator: 'In' }]), 'spec.selector.matchExpressions[0].values', "must be specified when `operator` is 'In' or 'NotIn'"],
  ])('refuses %s with 422 and the field path', async (_what, mutate, field, message) => {
    const r = await cluster.admin.post<Json>(daemonsets, daemonSet(`bad-${Math.random().toString(36).slice(2, 8)}`, mutate));
    expect(r.status, r.text).toBe(422);
    expect(r.body.details.causes).toContainEqual(expect.objectContaining({ field, message: expect.stringContaining(message) }));
  });

  it('keeps a revision immutable in its data and names its controller', async () => {
    const ds = (await cluster.admin.get<Json>(`${daemonsets}/agent`)).body;
    const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata.uid, controller: true };
    const made = await cluster.admin.post<Json>(revisions, { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'agent-1', ownerReferences: [owner] }, data: { spec: { template: {} } }, revision: 1 });
    expect(made.status, made.text).toBe(201);
    const table = (await cluster.admin.get<Json>(`${revisions}/agent-1`, { accept: TABLE })).body;
    expect(table.rows[0].cells.slice(0, 3)).toEqual(['agent-1', 'daemonset.apps/agent', 1]);
    const changed = await cluster.admin.patch<Json>(`${revisions}/agent-1`, { data: { spec: { template: { x: 1 } } } });
    expect(changed.status).toBe(422);
    expect(changed.body.details.causes).toContainEqual(expect.objectContaining({ field: 'data', message: expect.stringContaining('field is immutable') }));
    expect((await cluster.admin.patch<Json>(`${revisions}/agent-1`, { revision: 2 })).status).toBe(200);
    const noData = await cluster.admin.post<Json>(revisions, { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'empty' }, revision: 1 });
    expect(noData.status).toBe(422);
    expect(noData.body.details.causes).toContainEqual(expect.objectContaining({ field: 'data', message: 'Required value: data is mandatory' }));
  });
});
