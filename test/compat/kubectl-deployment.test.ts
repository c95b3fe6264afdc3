// Deployments with the real kubectl 1.33 against a real skiff API server on a real etcd (no
// controller runs: these are the API's answers): create deployment (a protobuf body), get
// deploy's columns, scale through /scale, set image, rollout pause/resume, apply of a
// manifest, explain, and bad manifests refused with the field path.
import { describe, expect, it } from 'vitest';
import { kubectl133Suite } from './kubectl-133.js';
import { haveKubectl, KUBECTL } from './kubectl-harness.js';

if (!haveKubectl) console.warn(`kubectl not found at ${KUBECTL}: skipping the kubectl Deployment suite (test/compat/kubectl-deployment.test.ts)`);


function manifest(name: string, opts: { labels?: string; restartPolicy?: string; image?: string } = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${opts.labels ?? name}
    spec:
      ${opts.restartPolicy ? `restartPolicy: ${opts.restartPolicy}` : ''}
      containers:
      - name: web
        image: ${opts.image ?? 'nginx:1.27'}
`;
}

describe.skipIf(!haveKubectl)('kubectl 1.33 and Deployments', () => {
  const { run, ok, jsonpath } = kubectl133Suite();

  it('create deployment, get deploy (NAME READY UP-TO-DATE AVAILABLE AGE, wide adds CONTAINERS IMAGES SELECTOR)', async () => {
    expect(await ok('create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3')).toBe('deployment.apps/web created\n');
    const table = (await ok('get', 'deploy')).split('\n');
    expect(table[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s*$/);
    expect(table[1]).toMatch(/^web\s+0\/3\s+0\s+0\s+\d+s\s*$/);
    const wide = (await ok('get', 'deployments', '-o', 'wide')).split('\n');
    expect(wide[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\s*$/);
    expect(wide[1]).toMatch(/\s+nginx\s+nginx:1\.27\s+app=web\s*$/);
    expect(await jsonpath('deploy/web', '{.spec.strategy.rollingUpdate.maxSurge} {.spec.revisionHistoryLimit} {.spec.progressDeadlineSeconds}')).toBe('25% 10 600');
  });

  it('get all lists the Deployment (category all); describe prints its strategy', async () => {
    expect(await ok('get', 'all')).toMatch(/^deployment\.apps\/web\s+0\/3\s+0\s+0\s+\d+s\s*$/m);
    const described = await ok('describe', 'deployment', 'web');
    expect(described).toMatch(/^Selector:\s+app=web$/m);
    expect(described).toMatch(/^StrategyType:\s+RollingUpdate$/m);
    expect(described).toMatch(/^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
  });

  it('scale deployment writes spec.replicas through /scale; set image changes the template; rollout pause and resume patch spec.paused', async () => {
    expect(await ok('scale', 'deployment', 'web', '--replicas=5')).toBe('deployment.apps/web scaled\n');
    expect(await jsonpath('deploy/web', '{.spec.replicas}')).toBe('5');
    expect(await ok('scale', 'deployment/web', '--current-replicas=5', '--replicas=4')).toBe('deployment.apps/web scaled\n');
    const wrong = await run(['scale', 'deployment/web', '--current-replicas=9', '--replicas=1']);
    expect(wrong.code).not.toBe(0);
    expect(await jsonpath('deploy/web', '{.spec.replicas}')).toBe('4');
    expect(await ok('set', 'image', 'deployment/web', 'nginx=nginx:1.28')).toBe('deployment.apps/web image updated\n');
    expect(await jsonpath('deploy/web', '{.spec.template.spec.containers[0].image} {.metadata.generation}')).toBe('nginx:1.28 4');
    expect(await ok('rollout', 'pause', 'deployment/web')).toBe('deployment.apps/web paused\n');
    expect(await jsonpath('deploy/web', '{.spec.paused}')).toBe('true');
    expect(await ok('rollout', 'resume', 'deployment/web')).toBe('deployment.apps/web resumed\n');
    expect(await jsonpath('deploy/web', '{.spec.paused}')).not.toBe('true');
  });

  it('apply -f creates and then updates a Deployment; explain reads the strategy', async () => {
    const first = await run(['apply', '-f', '-'], manifest('applied'));
    expect(first.stdout, first.stderr).toBe('deployment.apps/applied created\n');
    const second = await run(['apply', '-f', '-'], manifest('applied', { image: 'nginx:1.28' }));
    expect(second.stdout, second.stderr).toBe('deployment.apps/applied configured\n');
    expect(await jsonpath('deploy/applied', '{.spec.template.spec.containers[0].image} {.spec.replicas}')).toBe('nginx:1.28 2');
    const explained = await ok('explain', 'deployment.spec.strategy');
    expect(explained).toMatch(/^GROUP:\s+apps$/m);
    expect(explained).toMatch(/^FIELD:\s+strategy <DeploymentStrategy>$/m);
    expect(explained).toMatch(/^\s+rollingUpdate\s+<RollingUpdateDeployment>$/m);
    expect(await ok('explain', 'deployment.spec.strategy.rollingUpdate.maxSurge')).toMatch(/FIELD:\s+maxSurge <string>\n+DESCRIPTION:\n\s+The maximum number of pods that can be scheduled above/);
  });

  it.each([
    ['a selector that does not match the labels', manifest('mismatch', { labels: 'other' }), 'spec.template.metadata.labels: Invalid value', '`selector` does not match template `labels`'],
    ['restartPolicy Never', manifest('never', { restartPolicy: 'Never' }), 'spec.template.spec.restartPolicy: Unsupported value: "Never"', 'supported values: "Always"'],
  ])('apply of %s is refused with the field path', async (_what, body, field, message) => {
    const r = await run(['apply', '-f', '-'], body);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(field);
    expect(r.stderr).toContain(message);
  });
});
