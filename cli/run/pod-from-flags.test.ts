import { describe, expect, it } from 'vitest';
import { CliError } from '../errors.js';
import { MEMORY_SWAP, parseMemory, parsePublish, podFromFlags, restartPolicy } from './pod-from-flags.js';

describe('podFromFlags', () => {
  it('builds kubectl run\'s pod', () => {
    expect(podFromFlags('kuard', { image: 'kuard:1', port: '8080' }, [])).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'kuard', labels: { run: 'kuard' } },
      spec: { containers: [{ name: 'kuard', image: 'kuard:1', ports: [{ containerPort: 8080 }] }], restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' },
    });
  });

  it('maps docker\'s resource flags the way the kubelet maps them back', () => {
    const pod = podFromFlags('x', { image: 'busybox', memory: '512m', memorySwap: '1g', cpuShares: '512', cpus: '1.5' }, []);
    expect(pod.spec.containers[0]?.resources).toEqual({ limits: { memory: '512Mi', [MEMORY_SWAP]: '1Gi', cpu: '1500m' }, requests: { cpu: '500m' } });
    const unlimited = podFromFlags('x', { image: 'busybox', memory: '64Mi', memorySwap: '-1', cpuShares: '100' }, []);
    expect(unlimited.spec.containers[0]?.resources).toEqual({ limits: { memory: '64Mi', [MEMORY_SWAP]: '-1' }, requests: { cpu: '98m' } });
  });

  it('publishes ports, sets env, labels, restart policy and the command', () => {
    const pod = podFromFlags(
      'web',
      { image: 'nginx', publish: ['8080:80', '127.0.0.1:5353:53/udp'], env: ['A=1', 'B=x=y'], labels: 'app=web,tier=front', restart: 'on-failure', command: true },
      ['sh', '-c', 'echo hi'],
    );
    const c = pod.spec.containers[0];
    expect(c?.ports).toEqual([{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 5353, hostIP: '127.0.0.1', protocol: 'UDP' }]);
    expect(c?.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: 'x=y' }]);
    expect(c?.command).toEqual(['sh', '-c', 'echo hi']);
    expect(c?.args).toBeUndefined();
    expect(pod.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    expect(pod.spec.restartPolicy).toBe('OnFailure');
    expect(podFromFlags('a', { image: 'busybox' }, ['sleep', '1']).spec.containers[0]?.args).toEqual(['sleep', '1']);
  });

  it.each([
    [{ memorySwap: '1g' }, 'You should always set the Memory limit'],
    [{ memory: '1g', memorySwap: '512m' }, 'Minimum memoryswap limit should be larger than memory limit'],
    [{ memory: 'lots' }, 'invalid --memory "lots"'],
    [{ cpuShares: '1' }, 'invalid --cpu-shares'],
    [{ cpus: '-1' }, 'invalid --cpus'],
    [{ publish: ['99999:80'] }, 'invalid port "99999"'],
    [{ env: ['NOVALUE'] }, 'invalid --env "NOVALUE"'],
    [{ restart: 'sometimes' }, 'invalid restart policy: sometimes'],
  ])('refuses %j', (flags, message) => {
    expect(() => podFromFlags('x', { image: 'busybox', ...flags }, [])).toThrow(message);
    expect(() => podFromFlags('x', { image: 'busybox', ...flags }, [])).toThrow(CliError);
  });

  it('needs an image', () => {
    expect(() => podFromFlags('x', {}, [])).toThrow('required flag(s) "image" not set');
  });
});

describe('docker flag parsing', () => {
  it.each([
    ['512m', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['100k', 102400],
    ['2048', 2048],
    ['128Mi', 128 * 1024 ** 2],
    ['1G', 1024 ** 3], // docker's units are binary and case-insensitive
    ['1e3', 1000],
  ])('memory %s', (v, bytes) => {
    expect(parseMemory('--memory', v)).toBe(bytes);
  });

  it('publish forms', () => {
    expect(parsePublish('80')).toEqual({ containerPort: 80, protocol: 'TCP' });
    expect(parsePublish(':80')).toEqual({ containerPort: 80, protocol: 'TCP' });
  });

  it.each([['always', 'Always'], ['unless-stopped', 'Always'], ['no', 'Never'], ['Never', 'Never'], ['on-failure:3', 'OnFailure'], [undefined, 'Always']])('restart %s', (v, want) => {
    expect(restartPolicy(v)).toBe(want);
  });
});
