// `kubectl apply --server-side` against skiff: the first apply creates the object (PATCH of a
// missing object), a second identical one changes nothing (same resourceVersion), a changed
// label is applied and the manager's managedFields entry says what it owns; a second
// --field-manager changing the same label is refused with Kubernetes' conflict message,
// and --force-conflicts takes the field over. A label the manager stops applying goes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { haveKubectl, startKubectlCluster, type KubectlCluster } from './kubectl-harness.js';

let c: KubectlCluster;

const manifest = (labels: Record<string, string>, image = 'busybox:1.36') =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ssa\n  labels:\n${Object.entries(labels)
    .map(([k, v]) => `    ${k}: "${v}"`)
    .join('\n')}\nspec:\n  containers:\n  - name: app\n    image: ${image}\n`;

describe.skipIf(!haveKubectl)('kubectl apply --server-side', () => {
  beforeAll(async () => {
    c = await startKubectlCluster();
  }, 120_000);
  afterAll(async () => {
    await c?.stop();
  });

  const apply = (text: string, ...extra: string[]) => c.kubectl(['apply', '--server-side', '-f', '-', ...extra], { stdin: text });
  const get = () => c.admin.pods.get('ssa') as Promise<Pod>;

  it('creates, leaves an identical apply unchanged, and applies a changed label', async () => {
    const first = await apply(manifest({ app: 'web', tier: 'front' }));
    expect(first).toMatchObject({ code: 0, stdout: 'pod/ssa serverside-applied\n' });
    const created = await get();
    expect(created.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    expect(created.metadata.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {}, 'f:tier': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    ]);

    expect(await apply(manifest({ app: 'web', tier: 'front' }))).toMatchObject({ code: 0, stdout: 'pod/ssa serverside-applied\n' });
    expect((await get()).metadata.resourceVersion).toBe(created.metadata.resourceVersion);

    expect(await apply(manifest({ app: 'web2', tier: 'front' }))).toMatchObject({ code: 0 });
    const changed = await get();
    expect(changed.metadata.labels).toEqual({ app: 'web2', tier: 'front' });
    expect(changed.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
    // Defaults the server filled in stay: nobody applied them, so nobody removes them.
    expect(changed.spec.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
  });

  it('refuses another manager\'s change with a conflict, and --force-conflicts takes the field over', async () => {
    const refused = await apply(manifest({ app: 'other' }), '--field-manager', 'second');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .metadata.labels.app');
    expect((await get()).metadata.labels).toEqual({ app: 'web2', tier: 'front' });

    const forced = await apply(manifest({ app: 'other' }), '--field-manager', 'second', '--force-conflicts');
    expect(forced).toMatchObject({ code: 0, stdout: 'pod/ssa serverside-applied\n' });
    const taken = await get();
    expect(taken.metadata.labels).toEqual({ app: 'other', tier: 'front' });
    const byManager = Object.fromEntries((taken.metadata.managedFields ?? []).map((m) => [m.manager, m.fieldsV1]));
    expect(byManager.kubectl).toMatchObject({ 'f:metadata': { 'f:labels': { 'f:tier': {} } } });
    expect((byManager.kubectl as { 'f:metadata': { 'f:labels': object } })['f:metadata']['f:labels']).not.toHaveProperty('f:app');
    expect(byManager.second).toMatchObject({ 'f:metadata': { 'f:labels': { 'f:app': {} } } });
  });

  it('removes a label its manager stops applying, while another manager\'s label stays', async () => {
    expect(await apply(manifest({}).replace('  labels:\n\n', ''))).toMatchObject({ code: 0 });
    // kubectl no longer applies "tier" (it owned it alone): it goes; "app" belongs to "second" and stays.
    expect((await get()).metadata.labels).toEqual({ app: 'other' });
  });
});
