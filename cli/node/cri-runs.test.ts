import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeRuntime } from '../../runtime/fake/fake-runtime.js';
import { defaultStateDir } from '../../runtime/state-dir.js';
import { AUTO_REMOVE_LABEL, RUN_LABEL, cleanupOnExit, releaseExitedRuns, releaseRunOf } from './cri-runs.js';

const env = { logger: () => pino({ level: 'silent' }), dockerConfigs: () => [], selfCommand: () => ['/usr/bin/node', '/opt/skiff/dist/cmd/skiff.js', 'cri'] };

describe("conmon's exit command for a detached run", () => {
  it("runs the cleanup verb through the same program, with this invocation's root, state dir and options made absolute", () => {
    const monitor = cleanupOnExit({ root: 'state/rt', state: 'run/rt', registryConfig: 'registries.yaml', runtime: 'runc' }, env);
    expect(monitor.exitCommand?.('abc')).toEqual([
      '/usr/bin/node', '/opt/skiff/dist/cmd/skiff.js', 'cri',
      '--root', path.resolve('state/rt'), '--state', path.resolve('run/rt'), '--registry-config', path.resolve('registries.yaml'), '--runtime', 'runc',
      'cleanup', 'abc',
    ]);
  });
  it('names the state dir derived from the root when none is given, and only the options given', () => {
    // A root never opened (no state-dir record in it).
    const root = '/nonexistent-skiff-root/runtime';
    expect(cleanupOnExit({ root }, env).exitCommand?.('abc')).toEqual([
      '/usr/bin/node', '/opt/skiff/dist/cmd/skiff.js', 'cri',
      '--root', root, '--state', defaultStateDir(root),
      'cleanup', 'abc',
    ]);
  });
});

type Ending = 'running' | 'exited';
interface Case {
  name: string;
  labels: Record<string, string>;
  ending: Ending;
  /** What is left of the sandbox afterwards: its state, or gone. */
  want: 'SANDBOX_READY' | 'SANDBOX_NOTREADY' | 'gone';
}

const cases: Case[] = [
  { name: 'an exited run loses its network', labels: { [RUN_LABEL]: 'true' }, ending: 'exited', want: 'SANDBOX_NOTREADY' },
  { name: 'an exited --rm run goes whole', labels: { [RUN_LABEL]: 'true', [AUTO_REMOVE_LABEL]: 'true' }, ending: 'exited', want: 'gone' },
  { name: 'a running run is left alone (a start came first)', labels: { [RUN_LABEL]: 'true', [AUTO_REMOVE_LABEL]: 'true' }, ending: 'running', want: 'SANDBOX_READY' },
  { name: "a kubelet's pod is never touched", labels: {}, ending: 'exited', want: 'SANDBOX_READY' },
];

async function runOn(rt: FakeRuntime, c: Case): Promise<{ sandbox: string; container: string }> {
  const config = { metadata: { name: c.name, namespace: 'default', uid: c.name, attempt: 0 }, labels: c.labels };
  const sandbox = await rt.runPodSandbox(config);
  const container = await rt.createContainer(sandbox, { metadata: { name: 'c', attempt: 0 }, image: { image: 'busybox' } }, config);
  await rt.startContainer(container);
  if (c.ending === 'exited') rt.exitContainer(container, 0);
  return { sandbox, container };
}

const stateOf = async (rt: FakeRuntime, sandbox: string) => (await rt.listPodSandbox({ id: sandbox }))[0]?.state ?? 'gone';

describe('releasing the run of a container that exited', () => {
  for (const c of cases) {
    it(`${c.name}: by the cleanup verb for that container, idempotently`, async () => {
      const rt = new FakeRuntime();
      rt.addImage('busybox');
      const { sandbox, container } = await runOn(rt, c);
      await releaseRunOf(rt, container);
      expect(await stateOf(rt, sandbox)).toBe(c.want);
      await releaseRunOf(rt, container);
      expect(await stateOf(rt, sandbox)).toBe(c.want);
    });
  }

  it('the fallback releases every run the same way, in one pass', async () => {
    const rt = new FakeRuntime();
    rt.addImage('busybox');
    const runs = await Promise.all(cases.map((c) => runOn(rt, c)));
    await releaseExitedRuns(rt);
    expect(await Promise.all(runs.map((r) => stateOf(rt, r.sandbox)))).toEqual(cases.map((c) => c.want));
  });

  it('a container already gone is nothing to do', async () => {
    await expect(releaseRunOf(new FakeRuntime(), 'f'.repeat(64))).resolves.toBeUndefined();
  });
});
