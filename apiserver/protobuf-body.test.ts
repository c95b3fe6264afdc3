import { describe, expect, it } from 'vitest';
import { bodyFormat, decodeBody } from './body.js';
import { decodeProtobufObject } from './protobuf-body.js';

// A protobuf writer just big enough for the test messages: length-delimited fields and varints.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
};
const bytes = (no: number, b: Buffer | string) => {
  const v = Buffer.from(b);
  return Buffer.concat([varint((no << 3) | 2), varint(v.length), v]);
};
const bool = (no: number, b: boolean) => Buffer.concat([varint(no << 3), varint(b ? 1 : 0)]);
const entry = (no: number, k: string, v: Buffer | string) => bytes(no, Buffer.concat([bytes(1, k), bytes(2, v)]));
const envelope = (kind: string, raw: Buffer) =>
  Buffer.concat([Buffer.from('k8s\0', 'latin1'), bytes(1, Buffer.concat([bytes(1, 'v1'), bytes(2, kind)])), bytes(2, raw), bytes(3, ''), bytes(4, '')]);
// ObjectMeta as Go writes it: "" for unset strings, an empty creationTimestamp.
const meta = bytes(1, Buffer.concat([bytes(1, 'c'), bytes(2, ''), bytes(3, 'default'), bytes(8, ''), entry(11, 'app', 'web')]));

describe('protobuf request bodies', () => {
  it('decodes a ConfigMap as JSON would carry it', () => {
    const raw = envelope('ConfigMap', Buffer.concat([meta, entry(2, 'k', 'v'), entry(3, 'bin', Buffer.from([0, 1, 2])), bool(4, true)]));
    expect(bodyFormat('application/vnd.kubernetes.protobuf')).toBe('protobuf');
    expect(decodeBody(raw, 'protobuf').body).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default', labels: { app: 'web' } },
      data: { k: 'v' },
      binaryData: { bin: 'AAEC' },
      immutable: true,
    });
  });

  it('decodes a Secret: bytes become base64, stringData stays text', () => {
    const raw = envelope('Secret', Buffer.concat([meta, entry(2, 'pw', 'hunter2'), bytes(3, 'Opaque'), entry(4, 's', 'plain')]));
    expect(decodeProtobufObject(raw)).toMatchObject({ kind: 'Secret', type: 'Opaque', data: { pw: Buffer.from('hunter2').toString('base64') }, stringData: { s: 'plain' } });
  });

  it('decodes a Namespace (kubectl create namespace)', () => {
    expect(decodeProtobufObject(envelope('Namespace', bytes(1, Buffer.concat([bytes(1, 'ns-a'), bytes(8, '')]))))).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns-a' } });
  });

  it('decodes a ServiceAccount (kubectl create serviceaccount): secrets, imagePullSecrets, automount', () => {
    const ref = bytes(2, Buffer.concat([bytes(1, 'Secret'), bytes(2, ''), bytes(3, 'tok')]));
    const raw = envelope('ServiceAccount', Buffer.concat([meta, ref, bytes(3, bytes(1, 'regcred')), bool(4, false)]));
    expect(decodeProtobufObject(raw)).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'c', namespace: 'default', labels: { app: 'web' } },
      secrets: [{ kind: 'Secret', name: 'tok' }],
      imagePullSecrets: [{ name: 'regcred' }],
      automountServiceAccountToken: false,
    });
  });

  it('is 415 for a kind it does not decode and for bytes without the envelope, 400 when truncated', () => {
    expect(() => decodeBody(envelope('Pod', meta), 'protobuf')).toThrow(/unknown format/);
    expect(() => decodeBody(Buffer.from('x'), 'protobuf')).toThrow(/unknown format/);
    const cut = envelope('ConfigMap', Buffer.concat([meta, entry(2, 'k', 'v')]));
    expect(() => decodeBody(cut.subarray(0, cut.length - 3), 'protobuf')).toThrow(/not a valid protobuf object/);
  });
});
