import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { kubeletStreamPath } from './pod-stream.js';

const pod: Pod = { metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'x' }] } };
const url = (q: string) => new URL(`https://api/api/v1/namespaces/default/pods/web/exec?${q}`);

describe('kubeletStreamPath', () => {
  it('turns the stream flags into the kubelet’s, read as Kubernetes reads query booleans', () => {
    expect(kubeletStreamPath('exec', pod, url('command=sh&stdin=true&stdout=1&stderr=False&tty=TRUE'))).toBe('/exec/default/web/app?command=sh&input=1&output=1&tty=1');
    expect(kubeletStreamPath('attach', pod, url('stdout&stderr=0'))).toBe('/attach/default/web/app?output=1');
  });

  it('takes any other word as true, as Kubernetes does', () => {
    expect(kubeletStreamPath('exec', pod, url('command=sh&stdout=yes&stderr=0'))).toBe('/exec/default/web/app?command=sh&output=1');
  });
});
