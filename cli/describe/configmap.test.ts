import { describe, expect, it } from 'vitest';
import type { ConfigMap, Secret } from '../../api/types/core.js';
import { describeConfigMap, describeSecret } from './configmap.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('describeConfigMap and describeSecret', () => {
  it("prints a ConfigMap's values in kubectl's layout", () => {
    const cm: ConfigMap = { metadata: { name: 'c', namespace: 'default', labels: { app: 'x' } }, data: { b: 'two\nlines', a: '1' }, binaryData: { bin: b64('abc') } };
    expect(describeConfigMap(cm, [])).toBe(
      ['Name:         c', 'Namespace:    default', 'Labels:       app=x', 'Annotations:  <none>', '', 'Data', '====', 'a:', '----', '1', '', 'b:', '----', 'two\nlines', '', '', 'BinaryData', '====', 'bin: 3 bytes', '', 'Events:  <none>', ''].join('\n'),
    );
  });

  it("prints a Secret's type and the size of each value, never a value", () => {
    const s: Secret = { metadata: { name: 's', namespace: 'prod' }, type: 'kubernetes.io/tls', data: { 'tls.key': b64('hunter2-private'), 'tls.crt': b64('cert') } };
    const out = describeSecret(s, undefined);
    expect(out).toBe(['Name:         s', 'Namespace:    prod', 'Labels:       <none>', 'Annotations:  <none>', '', 'Type:  kubernetes.io/tls', '', 'Data', '====', 'tls.crt:  4 bytes', 'tls.key:  15 bytes', ''].join('\n'));
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain(b64('hunter2-private'));
  });
});
