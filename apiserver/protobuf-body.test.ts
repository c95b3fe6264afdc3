import { describe, expect, it } from 'vitest';
import { decodeProtobufObject } from './protobuf-body.js';

// Bodies as kubectl 1.33 posts them (captured from its requests), base64.
const KUBECTL_1_33 = {
  // kubectl create configmap cm1 --from-literal=mode=fast --from-literal=x=y
  configmap: 'azhzAAoPCgJ2MRIJQ29uZmlnTWFwEjIKGgoDY20xEgAaB2RlZmF1bHQiACoAMgA4AEIAEgwKBG1vZGUSBGZhc3QSBgoBeBIBeRoAIgA=',
  // kubectl create secret generic s1 --from-literal=password=pw --from-literal=__proto__=z
  secret: 'azhzAAoMCgJ2MRIGU2VjcmV0Ej0KGQoCczESABoHZGVmYXVsdCIAKgAyADgAQgASDgoJX19wcm90b19fEgF6Eg4KCHBhc3N3b3JkEgJwdxoAGgAiAA==',
  // kubectl create namespace ns1
  namespace: 'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhsKEwoDbnMxEgAaACIAKgAyADgAQgASABoCCgAaACIA',
  // kubectl create secret docker-registry rc --docker-server=h:1 --docker-username=u --docker-password=p
  // kubectl create pdb shown --selector=app=shown --min-available=2
  pdbMin: 'azhzAAogCglwb2xpY3kvdjESE1BvZERpc3J1cHRpb25CdWRnZXQSPQoVCgVzaG93bhIAGgAiACoAMgA4AEIAEhgKBggAEAIaABIOCgwKA2FwcBIFc2hvd24aCggAGAAgACgAMAAaACIA',
  // kubectl create pdb shown-max --selector=app=shown --max-unavailable=34%
  pdbMax: 'azhzAAogCglwb2xpY3kvdjESE1BvZERpc3J1cHRpb25CdWRnZXQSRAoZCglzaG93bi1tYXgSABoAIgAqADIAOABCABIbEg4KDAoDYXBwEgVzaG93bhoJCAEQABoDMzQlGgoIABgAIAAoADAAGgAiAA==',
  dockerRegistry: 'azhzAAoMCgJ2MRIGU2VjcmV0EpEBChkKAnJjEgAaB2RlZmF1bHQiACoAMgA4AEIAElQKES5kb2NrZXJjb25maWdqc29uEj97ImF1dGhzIjp7Img6MSI6eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InAiLCJhdXRoIjoiZFRwdyJ9fX0aHmt1YmVybmV0ZXMuaW8vZG9ja2VyY29uZmlnanNvbhoAIgA=',
};
const decode = (b64: string) => decodeProtobufObject(Buffer.from(b64, 'base64'));

// A writer just big enough for a message kubectl was not captured sending: length-delimited fields and varints.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  for (; n > 0x7f; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
};
const field = (no: number, b: Buffer | string) => {
  const v = Buffer.from(b);
  return Buffer.concat([varint((no << 3) | 2), varint(v.length), v]);
};
const flag = (no: number, b: boolean) => Buffer.concat([varint(no << 3), varint(b ? 1 : 0)]);
const envelope = (kind: string, raw: Buffer) => Buffer.concat([Buffer.from('k8s\0', 'latin1'), field(1, Buffer.concat([field(1, 'v1'), field(2, kind)])), field(2, raw), field(3, ''), field(4, '')]);

describe('protobuf request bodies', () => {
  it("decodes kubectl 1.33's generated ConfigMap, Secret and Namespace as their JSON, Go's zero values unset", () => {
    expect(decode(KUBECTL_1_33.configmap)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1', namespace: 'default' }, data: { mode: 'fast', x: 'y' } });
    expect(decode(KUBECTL_1_33.namespace)).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns1' } });
    const dockercfg = JSON.stringify({ auths: { 'h:1': { username: 'u', password: 'p', auth: Buffer.from('u:p').toString('base64') } } });
    expect(decode(KUBECTL_1_33.dockerRegistry)).toEqual({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'rc', namespace: 'default' }, type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(dockercfg).toString('base64') },
    });
  });

  it('decodes a ServiceAccount (kubectl create serviceaccount): secrets and imagePullSecrets as lists, automount', () => {
    const meta = field(1, Buffer.concat([field(1, 'sa1'), field(2, ''), field(3, 'default'), field(8, '')]));
    const raw = envelope('ServiceAccount', Buffer.concat([meta, field(2, Buffer.concat([field(1, 'Secret'), field(3, 'tok')])), field(3, field(1, 'a')), field(3, field(1, 'b')), flag(4, false)]));
    expect(decodeProtobufObject(raw)).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'sa1', namespace: 'default' },
      secrets: [{ kind: 'Secret', name: 'tok' }],
      imagePullSecrets: [{ name: 'a' }, { name: 'b' }],
      automountServiceAccountToken: false,
    });
  });

  it("decodes a Namespace's status conditions (what the namespace controller writes) as a list", () => {
    const meta = field(1, field(1, 'ns1'));
    // A Time: seconds as field 1, a varint.
    const when = field(4, Buffer.concat([varint(1 << 3), varint(1_700_000_000)]));
    const condition = Buffer.concat([field(1, 'NamespaceContentRemaining'), field(2, 'True'), when, field(5, 'SomeResourcesRemain'), field(6, 'Some resources are remaining')]);
    const raw = envelope('Namespace', Buffer.concat([meta, field(2, field(1, 'kubernetes')), field(3, Buffer.concat([field(1, 'Terminating'), field(2, condition)]))]));
    expect(decodeProtobufObject(raw)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'ns1' },
      spec: { finalizers: ['kubernetes'] },
      status: {
        phase: 'Terminating',
        conditions: [{ type: 'NamespaceContentRemaining', status: 'True', lastTransitionTime: '2023-11-14T22:13:20Z', reason: 'SomeResourcesRemain', message: 'Some resources are remaining' }],
      },
    });
  });

  it('a map key "__proto__" is a key, not the prototype', () => {
    const s = decode(KUBECTL_1_33.secret) as { data: Record<string, string> };
    expect(Object.getPrototypeOf(s.data)).toBe(Object.prototype);
    expect(Object.keys(s.data).sort()).toEqual(['__proto__', 'password']);
    expect(Object.getOwnPropertyDescriptor(s.data, '__proto__')?.value).toBe(Buffer.from('z').toString('base64'));
  });

  it('refuses what it cannot decode: 400 for a broken body or an unknown field, 415 for another kind', () => {
    expect(() => decode(Buffer.from('x').toString('base64'))).toThrow(expect.objectContaining({ code: 400, message: expect.stringContaining('no "k8s\\0" prefix') }));
    const cm = Buffer.from(KUBECTL_1_33.configmap, 'base64');
    expect(() => decodeProtobufObject(cm.subarray(0, cm.length - 10))).toThrow(expect.objectContaining({ code: 400 }));
    // The ConfigMap with a field 9 added to its message: refused, not dropped.
    const unknownField = Buffer.from('azhzAAoPCgJ2MRIJQ29uZmlnTWFwEgQKAEgB', 'base64');
    expect(() => decodeProtobufObject(unknownField)).toThrow(expect.objectContaining({ code: 400, message: expect.stringContaining('unknown field 9 in ConfigMap') }));
    const pod = Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x0a, 0x09, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x03, 0x50, 0x6f, 0x64])]);
    expect(() => decodeProtobufObject(pod)).toThrow(expect.objectContaining({ code: 415, message: expect.stringContaining('not v1/Pod: send it as application/json') }));
  });

  it("decodes kubectl 1.33's PodDisruptionBudgets (an IntOrString int or percent) and an Eviction's DeleteOptions, a zero grace period kept", () => {
    expect(decode(KUBECTL_1_33.pdbMin)).toEqual({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'shown' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'shown' } } } });
    expect(decode(KUBECTL_1_33.pdbMax)).toMatchObject({ metadata: { name: 'shown-max' }, spec: { maxUnavailable: '34%', selector: { matchLabels: { app: 'shown' } } } });
    const typeMeta = Buffer.concat([field(1, 'policy/v1'), field(2, 'Eviction')]);
    const graceZero = Buffer.concat([varint(1 << 3), varint(0)]);
    const raw = Buffer.concat([field(1, field(1, 'p1')), field(2, Buffer.concat([graceZero, field(2, field(1, 'uid-1'))]))]);
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), field(1, typeMeta), field(2, raw)]);
    expect(decodeProtobufObject(body)).toEqual({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p1' }, deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'uid-1' } } });
  });
});
