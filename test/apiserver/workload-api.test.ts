// The apps/v1 Deployment and ReplicaSet API on a real server and etcd: Kubernetes' defaults
// (strategy 25 %/25 %, revisionHistoryLimit, progressDeadlineSeconds, the pod template's),
// validation with field paths, status written only through /status, generation moving on
// spec and annotation changes, and /scale (an autoscaling/v1 Scale) read and written with
// GET, PUT and PATCH, a resourceVersion in it a precondition.
import { describe, expect, it } from 'vitest';
import { namespacedApi } from './namespaced-api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies and replies are read freely here
type Json = any;

const cluster = namespacedApi('workload');
const ns = cluster.ns;
const deployments = `/apis/apps/v1/namespaces/${ns}/deployments`;
const replicasets = `/apis/apps/v1/namespaces/${ns}/replicasets`;

function deployment(name: string, patch: (spec: Record<string, Json>) => void = () => {}): Record<string, unknown> {
  const spec: Record<string, Json> = {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
  };
  patch(spec);
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec };
}

describe('Deployment and ReplicaSet API', () => {
  it("stores a Deployment with Kubernetes' defaults and an empty status, whatever status was sent", async () => {
    const body = { ...deployment('defaults'), status: { replicas: 7 } };
    const r = await cluster.admin.post<Json>(deployments, body);
    expect(r.status, r.text).toBe(201);
    expect(r.body.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    const pod = r.body.spec.template.spec;
    expect(pod).toMatchObject({ restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', securityContext: {} });
    expect(pod.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    // What only a pod gets (admission's tolerations and priority) stays out of a template.
    expect(pod.tolerations).toBeUndefined();
    expect(pod.priority).toBeUndefined();
    expect(r.body.status).toEqual({});
    expect(r.body.metadata.generation).toBe(1);
    const rs = await cluster.admin.post<Json>(replicasets, { ...deployment('rs-defaults'), kind: 'ReplicaSet' });
    expect(rs.status, rs.text).toBe(201);
    expect(rs.body.spec.replicas).toBe(1);
    expect(rs.body.status).toEqual({ replicas: 0 });
  });

  it.each([
    ['a selector that does not match the labels', (s: Json) => (s.selector.matchLabels.app = 'other'), 'spec.template.metadata.labels', '`selector` does not match template `labels`'],
    ['an empty selector', (s: Json) => (s.selector = {}), 'spec.selector', 'empty selector is invalid for deployment'],
    ['no selector', (s: Json) => delete s.selector, 'spec.selector', 'Required value'],
    ['restartPolicy Never', (s: Json) => (s.template.spec.restartPolicy = 'Never'), 'spec.template.spec.restartPolicy', 'Unsupported value: "Never": supported values: "Always"'],
    ['a container without an image', (s: Json) => delete s.template.spec.containers[0].image, 'spec.template.spec.containers[0].image', 'Required value'],
    ['negative replicas', (s: Json) => (s.replicas = -1), 'spec.replicas', 'must be greater than or equal to 0'],
    ['maxSurge and maxUnavailable both 0', (s: Json) => (s.strategy = { rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }), 'spec.strategy.rollingUpdate.maxUnavailable', 'may not be 0 when `maxSurge` is 0'],
    ['a maxSurge that is no percentage', (s: Json) => (s.strategy = { rollingUpdate: { maxSurge: 'lots' } }), 'spec.strategy.rollingUpdate.maxSurge', "a valid percent string must be a numeric string followed by an ending '%'"],
    ['maxUnavailable over 100%', (s: Json) => (s.strategy = { rollingUpdate: { maxUnavailable: '150%' } }), 'spec.strategy.rollingUpdate.maxUnavailable', 'must not be greater than 100%'],
    ['rollingUpdate with Recreate', (s: Json) => (s.strategy = { type: 'Recreate', rollingUpdate: {} }), 'spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"],
    ['a progress deadline not above minReadySeconds', (s: Json) => Object.assign(s, { minReadySeconds: 10, progressDeadlineSeconds: 10 }), 'spec.progressDeadlineSeconds', 'must be greater than minReadySeconds'],
  ])('refuses %s with 422 and the field path', async (_what, mutate, field, message) => {
    const r = await cluster.admin.post<Json>(deployments, deployment(`bad-${Math.random().toString(36).slice(2, 8)}`, mutate));
    expect(r.status, r.text).toBe(422);
    expect(r.body.details.causes).toContainEqual(expect.objectContaining({ field, message: expect.stringContaining(message) }));
  });

  it('keeps the selector immutable, status writable only through /status, and moves generation on spec and annotation changes', async () => {
    const d = (await cluster.admin.post<Json>(deployments, deployment('lifecycle'))).body;
    const path = `${deployments}/lifecycle`;
    const moved = await cluster.admin.put<Json>(path, { ...d, spec: { ...d.spec, selector: { matchLabels: { app: 'lifecycle', tier: 'x' } } } });
    expect(moved.status).toBe(422);
    expect(moved.body.details.causes).toContainEqual(expect.objectContaining({ field: 'spec.selector', message: expect.stringContaining('field is immutable') }));
    const viaMain = await cluster.admin.patch<Json>(path, { status: { replicas: 3 }, metadata: { annotations: { note: 'a' } } });
    expect(viaMain.body.status).toEqual({});
    expect(viaMain.body.metadata.generation).toBe(2);
    const viaStatus = await cluster.admin.patch<Json>(`${path}/status`, { status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2, observedGeneration: 2 } });
    expect(viaStatus.status, viaStatus.text).toBe(200);
    expect(viaStatus.body.status.readyReplicas).toBe(2);
    expect(viaStatus.body.metadata.generation).toBe(2);
    const badStatus = await cluster.admin.patch<Json>(`${path}/status`, { status: { availableReplicas: 5 } });
    expect(badStatus.status).toBe(422);
    expect(badStatus.body.details.causes).toContainEqual(expect.objectContaining({ field: 'status.availableReplicas', message: expect.stringContaining('cannot be greater than status.replicas') }));
    const paused = await cluster.admin.patch<Json>(path, { spec: { paused: true } });
    expect(paused.body.metadata.generation).toBe(3);
  });

  it('serves /scale as an autoscaling/v1 Scale: GET, PUT and PATCH write spec.replicas, a stale resourceVersion is 409', async () => {
    await cluster.admin.post(deployments, deployment('scaled', (s) => (s.replicas = 3)));
    const path = `${deployments}/scaled/scale`;
    const got = await cluster.admin.get<Json>(path);
    expect(got.status, got.text).toBe(200);
    expect(got.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'scaled', namespace: ns }, spec: { replicas: 3 }, status: { replicas: 0, selector: 'app=scaled' } });
    const patched = await cluster.admin.patch<Json>(path, { spec: { replicas: 5 } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.spec.replicas).toBe(5);
    const d = (await cluster.admin.get<Json>(`${deployments}/scaled`)).body;
    expect(d.spec.replicas).toBe(5);
    expect(d.metadata.generation).toBe(2);
    const put = await cluster.admin.put<Json>(path, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'scaled', resourceVersion: d.metadata.resourceVersion }, spec: { replicas: 2 } });
    expect(put.status, put.text).toBe(200);
    expect(put.body.spec.replicas).toBe(2);
    const stale = await cluster.admin.put<Json>(path, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'scaled', resourceVersion: d.metadata.resourceVersion }, spec: { replicas: 9 } });
    expect(stale.status).toBe(409);
    const negative = await cluster.admin.patch<Json>(path, { spec: { replicas: -1 } });
    expect(negative.status).toBe(422);
    expect(negative.body.details.causes).toContainEqual(expect.objectContaining({ field: 'spec.replicas' }));
    expect((await cluster.admin.get<Json>(`${deployments}/scaled`)).body.spec.replicas).toBe(2);
    expect((await cluster.admin.get<Json>(`${deployments}/missing/scale`)).status).toBe(404);
    expect((await cluster.admin.post<Json>(path, {})).status).toBe(405);
  });

  it('lists scale and status in discovery with the Scale group, and the ReplicaSet /scale too', async () => {
    const list = await cluster.admin.get<Json>('/apis/apps/v1');
    expect(list.body.resources).toContainEqual({ name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    expect(list.body.resources).toContainEqual(expect.objectContaining({ name: 'replicasets/status', kind: 'ReplicaSet' }));
    await cluster.admin.post(replicasets, { ...deployment('rs-scaled'), kind: 'ReplicaSet' });
    const scaled = await cluster.admin.patch<Json>(`${replicasets}/rs-scaled/scale`, { spec: { replicas: 4 } });
    expect(scaled.status, scaled.text).toBe(200);
    expect((await cluster.admin.get<Json>(`${replicasets}/rs-scaled`)).body.spec.replicas).toBe(4);
  });
});
