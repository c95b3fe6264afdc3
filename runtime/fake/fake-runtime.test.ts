import { describe, expect, it } from 'vitest';
import { RuntimeError, isRuntimeError } from '../cri.js';
import { FakeRuntime } from './fake-runtime.js';

const sandboxConfig = { metadata: { name: 'p', namespace: 'default', uid: 'u1', attempt: 0 }, labels: { app: 'web' } };

describe('FakeRuntime', () => {
  it('follows the CRI container state machine and records calls', async () => {
    const f = new FakeRuntime();
    const sb = await f.runPodSandbox(sandboxConfig);
    expect((await f.podSandboxStatus(sb)).network?.ip).toMatch(/^10\.88\.0\.\d+$/);
    const c = await f.createContainer(sb, { metadata: { name: 'c', attempt: 0 }, image: { image: 'busybox' } }, sandboxConfig);
    expect((await f.containerStatus(c)).state).toBe('CONTAINER_CREATED');
    await f.startContainer(c);
    await expect(f.startContainer(c)).rejects.toSatisfy((e: unknown) => isRuntimeError(e, 'FailedPrecondition'));
    f.writeLog(c, 'stdout', 'hello');
    f.exitContainer(c, 1);
    expect(await f.containerStatus(c)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 1, reason: 'Error' });
    const lines: string[] = [];
    for await (const l of f.readLogs(c)) lines.push(l.line);
    expect(lines).toEqual(['hello']);
    expect(await f.listPodSandbox({ labelSelector: { app: 'web' } })).toHaveLength(1);
    await f.stopPodSandbox(sb);
    await f.removePodSandbox(sb);
    expect(await f.listContainers()).toEqual([]);
    expect(f.calls.slice(0, 4)).toEqual(['runPodSandbox', 'podSandboxStatus', 'createContainer', 'containerStatus']);
  });

  it('fails an injected call once and reports unknown IDs as NotFound', async () => {
    const f = new FakeRuntime();
    f.injectError('runPodSandbox', new RuntimeError('Unavailable', 'cni down'));
    await expect(f.runPodSandbox(sandboxConfig)).rejects.toThrow('cni down');
    await expect(f.runPodSandbox(sandboxConfig)).resolves.toMatch(/^[0-9a-f]{64}$/);
    await expect(f.containerStatus('nope')).rejects.toSatisfy((e: unknown) => isRuntimeError(e, 'NotFound'));
  });

  it('keeps images in memory, and prune keeps images in use', async () => {
    const f = new FakeRuntime();
    const used = await f.pullImage({ image: 'busybox' });
    const unused = await f.pullImage({ image: 'nginx' });
    const sb = await f.runPodSandbox(sandboxConfig);
    await f.createContainer(sb, { metadata: { name: 'c', attempt: 0 }, image: { image: 'busybox' } }, sandboxConfig);
    const r = await f.prune();
    expect(r.imagesDeleted).toEqual([unused]);
    expect((await f.imageStatus({ image: used })).image?.repoTags).toEqual(['busybox']);
  });
});
