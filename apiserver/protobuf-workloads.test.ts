import { describe, expect, it } from 'vitest';
import { decodeProtobufObject } from './protobuf-body.js';

// Bodies as kubectl 1.33 posts them (captured from its -v=10 request log), base64.
const KUBECTL_1_33 = {
  // kubectl create deployment web --image=nginx:1.27 --replicas=3
  deployment:
    'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50ErABCh8KA3dlYhIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEn8IAxIMCgoKA2FwcBIDd2ViGmUKHAoAEgAaACIAKgAyADgAQgBaCgoDYXBwEgN3ZWISRRInCgVuZ2lueBIKbmdpbng6MS4yNyoAQgBqAHIAgAEAiAEAkAEAogEAGgAyAEIASgBSAFgAYABoAIIBAIoBAJoBAMIBACICCgAoADgAGgwIABAAGAAgACgAOAAaACIA',
  // kubectl create deployment web2 --image=nginx:1.27 --port=80
  deploymentPort:
    'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50EsEBCiEKBHdlYjISABoAIgAqADIAOABCAFoLCgNhcHASBHdlYjISjQEIARINCgsKA2FwcBIEd2ViMhpyCh0KABIAGgAiACoAMgA4AEIAWgsKA2FwcBIEd2ViMhJREjMKBW5naW54EgpuZ2lueDoxLjI3KgAyCgoAEAAYUCIAKgBCAGoAcgCAAQCIAQCQAQCiAQAaADIAQgBKAFIAWABgAGgAggEAigEAmgEAwgEAIgIKACgAOAAaDAgAEAAYACAAKAA4ABoAIgA=',
  // kubectl create deployment web3 --image=busybox -- sleep 3600
  deploymentCommand:
    'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50EsEBCiEKBHdlYjMSABoAIgAqADIAOABCAFoLCgNhcHASBHdlYjMSjQEIARINCgsKA2FwcBIEd2ViMxpyCh0KABIAGgAiACoAMgA4AEIAWgsKA2FwcBIEd2ViMxJREjMKB2J1c3lib3gSB2J1c3lib3gaBXNsZWVwGgQzNjAwKgBCAGoAcgCAAQCIAQCQAQCiAQAaADIAQgBKAFIAWABgAGgAggEAigEAmgEAwgEAIgIKACgAOAAaDAgAEAAYACAAKAA4ABoAIgA=',
  // kubectl create job j1 --image=busybox -- echo hi
  job: 'azhzAAoPCghiYXRjaC92MRIDSm9iEoQBChIKAmoxEgAaACIAKgAyADgAQgASZDJiChAKABIAGgAiACoAMgA4AEIAEk4SKwoCajESB2J1c3lib3gaBGVjaG8aAmhpKgBCAGoAcgCAAQCIAQCQAQCiAQAaBU5ldmVyMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAaCCAAKAAwADoAGgAiAA==',
  // kubectl create cronjob cj1 --image=busybox --schedule='*/1 * * * *' --restart=Never -- date
  cronjob:
    'azhzAAoTCghiYXRjaC92MRIHQ3JvbkpvYhKjAQoTCgNjajESABoAIgAqADIAOABCABKJAQoLKi8xICogKiAqICoaACp4ChMKA2NqMRIAGgAiACoAMgA4AEIAEmEyXwoQCgASABoAIgAqADIAOABCABJLEigKA2NqMRIHYnVzeWJveBoEZGF0ZSoAQgBqAHIAgAEAiAEAkAEAogEAGgVOZXZlcjIAQgBKAFIAWABgAGgAggEAigEAmgEAwgEAGgAaACIA',
  // kubectl create job j2 --from=cronjob/cj1 (the CronJob as stored: its template defaulted)
  jobFromCronJob:
    'azhzAAoPCghiYXRjaC92MRIDSm9iErMCCoEBCgJqMhIAGgAiACoAMgA4AEIAYisKIWNyb25qb2Iua3ViZXJuZXRlcy5pby9pbnN0YW50aWF0ZRIGbWFudWFsakAKB0Nyb25Kb2IaA2NqMSIkNGFjOTQ2ZDktMGExNC00MmMxLWFkZjgtM2YxYzQ1NmZkODg3KghiYXRjaC92MTABEqIBMp8BChAKABIAGgAiACoAMgA4AEIAEooBEkYKA2NqMRIHYnVzeWJveBoEZGF0ZSoAQgBqFC9kZXYvdGVybWluYXRpb24tbG9ncgZBbHdheXOAAQCIAQCQAQCiAQRGaWxlGgVOZXZlciAeMgxDbHVzdGVyRmlyc3RCAEoAUgBYAGAAaAByAIIBAIoBAJoBEWRlZmF1bHQtc2NoZWR1bGVywgEAGgggACgAMAA6ABoAIgA=',
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

  it('decodes the container port of --port and the command after --', () => {
    const ports = decode(KUBECTL_1_33.deploymentPort) as { spec: { replicas: number; template: { spec: { containers: unknown[] } } } };
    expect(ports.spec.replicas).toBe(1);
    expect(ports.spec.template.spec.containers).toEqual([{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }]);
    const command = decode(KUBECTL_1_33.deploymentCommand) as typeof ports;
    expect(command.spec.template.spec.containers).toEqual([{ name: 'busybox', image: 'busybox', command: ['sleep', '3600'] }]);
  });

  it("decodes kubectl 1.33's Job and CronJob, and a Job made from a CronJob with its owner and annotation", () => {
    const pod = (name: string, command: string[]) => ({ spec: { restartPolicy: 'Never', containers: [{ name, image: 'busybox', command }] } });
    expect(decode(KUBECTL_1_33.job)).toEqual({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j1' }, spec: { template: pod('j1', ['echo', 'hi']) } });
    expect(decode(KUBECTL_1_33.cronjob)).toEqual({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cj1' },
      spec: { schedule: '*/1 * * * *', jobTemplate: { metadata: { name: 'cj1' }, spec: { template: pod('cj1', ['date']) } } },
    });
    const fromCron = decode(KUBECTL_1_33.jobFromCronJob) as { metadata: Record<string, unknown>; spec: { template: { spec: Record<string, unknown> } } };
    expect(fromCron.metadata).toMatchObject({
      name: 'j2',
      annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'cj1', controller: true, uid: expect.any(String) }],
    });
    expect(fromCron.spec.template.spec).toMatchObject({ restartPolicy: 'Never', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler' });
  });
});
