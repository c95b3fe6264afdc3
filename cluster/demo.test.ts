import { describe, expect, it } from 'vitest';
import type { Deployment } from '../api/types/apps.js';
import type { Pod } from '../api/types/core.js';
import type { Service } from '../api/types/service.js';
import { serviceForExpose } from '../cli/commands/expose-service.js';
import { DEMO_DEPLOYMENT, DEMO_SERVICE, demoCurlLines, readManifest } from './demo.js';

describe("the demo's NodePort Service", () => {
  it('is what `expose deployment kuard --type NodePort --port 80 --target-port 8080` makes of the demo Deployment', async () => {
    const deployment = await readManifest<Deployment>(DEMO_DEPLOYMENT);
    const service = await readManifest<Service>(DEMO_SERVICE);
    const exposed = serviceForExpose({ ...deployment, kind: 'Deployment' } as never, { port: '80', targetPort: '8080', type: 'NodePort' });
    expect(service).toEqual(exposed);
    // Its selector takes the Deployment's pods, and its targetPort is their container port.
    expect(service.spec?.selector).toEqual(deployment.spec?.template.metadata?.labels);
    expect(deployment.spec?.template.spec?.containers[0]?.ports?.map((p) => p.containerPort)).toContain(service.spec?.ports?.[0]?.targetPort);
  });

  it('prints a curl line through the allocated node port on 127.0.0.1, and the published pod', () => {
    const service = { metadata: { name: 'kuard' }, spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 8080, nodePort: 31234 }] } } as Service;
    const pods = [{ metadata: { name: 'kuard-abc-1' } }, { metadata: { name: 'kuard-abc-2' } }] as Pod[];
    const text = demoCurlLines({ service, deployment: 'kuard', pods, published: 'kuard-published', kubeconfig: '/state/kubeconfig' });
    expect(text.split('\n')).toEqual([
      '',
      'The demo is running:',
      '  curl http://127.0.0.1:31234/             # service kuard (NodePort 31234), balanced over the pods of deployment kuard: kuard-abc-1, kuard-abc-2',
      "  curl http://127.0.0.1:8080/              # pod kuard-published, published on the node's port 8080",
      '  KUBECONFIG=/state/kubeconfig kubectl get deployments,services,pods -o wide',
      '',
    ]);
  });
});
