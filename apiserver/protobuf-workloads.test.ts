import { describe, expect, it } from 'vitest';
import { decodeProtobufObject } from './protobuf-body.js';

// Bodies as kubectl 1.33 posts them (captured from its -v=10 request log), base64.
const KUBECTL_1_33 = {
  // kubectl create deployment web --image=nginx:1.27 --replicas=3
  deployment:
    'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50ErABCh8KA3dlYhIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEn8IAxIMCgoKA2FwcBIDd2ViGmUKHAoAEgAaACIAKgAyADgAQgBaCgoDYXBwEgN3ZWISRRInCgVuZ2lueBIKbmdpbng6MS4yNyoAQgBqAHIAgAEAiAEAkAEAogEAGgAyAEIASgBSAFgAYABoAIIBAIoBAJoBAMIBACICCgAoADgAGgwIABAAGAAgACgAOAAaACIA',
};
const decode = (b64: string) => decodeProtobufObject(Buffer.from(b64, 'base64'));

describe('protobuf bodies of the workload kinds', () => {
  it("decodes kubectl 1.33's generated Deployment as its JSON: Go's zero values unset, a pointer's zero kept", () => {
    expect(decode(KUBECTL_1_33.deployment)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } },
      },
    });
  });
});
