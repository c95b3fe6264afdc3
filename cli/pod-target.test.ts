import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types/core.js';
import { chooseContainer, podName } from './pod-target.js';

const pod = (names: string[], annotations?: Record<string, string>): Pod => ({
  metadata: { name: 'p', annotations },
  spec: { initContainers: [{ name: 'init' }], containers: names.map((name) => ({ name })) },
});

describe('chooseContainer', () => {
  it('takes the only container silently', () => {
    expect(chooseContainer(pod(['app']), undefined)).toEqual({ container: 'app', note: undefined });
  });
  it('defaults to the first of several, or the annotated one, and says so', () => {
    expect(chooseContainer(pod(['app', 'sidecar']), undefined)).toEqual({ container: 'app', note: 'Defaulted container "app" out of: app, sidecar' });
    expect(chooseContainer(pod(['app', 'sidecar'], { 'kubectl.kubernetes.io/default-container': 'sidecar' }), undefined).container).toBe('sidecar');
  });
  it('accepts -c for app and init containers, and refuses others', () => {
    expect(chooseContainer(pod(['app']), 'init').container).toBe('init');
    expect(() => chooseContainer(pod(['app']), 'nope')).toThrow('container nope is not valid for pod p');
  });
});

describe('podName', () => {
  it('accepts NAME and pod/NAME only', () => {
    expect(podName('kuard', 'logs')).toBe('kuard');
    expect(podName('pod/kuard', 'logs')).toBe('kuard');
    expect(() => podName('node/n1', 'logs')).toThrow('logs works on pods');
  });
});
