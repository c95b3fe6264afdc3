// The harnesses' teardowns leave no mount behind: the runtime's state tmpfs (under /run/skiff,
// or in the suite's root) and the kubelet's pod volume tmpfs are gone, with their directories,
// once a teardown returns; and a teardown asked for while the harness is still starting (a
// beforeAll past its timeout) waits for the start and removes what it made.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TmpfsMounter } from '../../kubelet/tmpfs.js';
import { eventually } from '../fixtures/eventually.js';
import { Lifetime } from '../fixtures/per-file.js';
import { mountsAt } from '../fixtures/runtime-state.js';
import { startHarness } from '../runtime/harness.js';
import { startNodeCluster, type NodeCluster } from './harness.js';
import { startProcessNode } from './process-node.js';

/** What must be gone after a teardown: the state dir's tmpfs and directory, any mount in the suite's root. */
async function expectNothingLeft(stateDir: string, root: string): Promise<void> {
  expect(await mountsAt(stateDir)).toEqual([]);
  expect(existsSync(stateDir)).toBe(false);
  expect(await mountsAt(root)).toEqual([]);
}

describe('harness teardowns', { timeout: 300_000 }, () => {
  it("startNodeCluster: the runtime's state tmpfs and the pods' tmpfs volumes are unmounted", async () => {
    const c = await startNodeCluster();
    const { stateDir } = c.runtime;
    const root = c.controlPlane.root;
    try {
      expect(await mountsAt(stateDir)).toEqual([stateDir]);
      // A pod volume's tmpfs a failed test could leave (the kubelet's own Secret volumes are such mounts).
      const volume = path.join(root, 'kubelet', 'pods', 'left-by-a-test', 'volumes', 'kubernetes.io~secret', 'x');
      await fs.mkdir(volume, { recursive: true });
      await new TmpfsMounter().ensureTmpfs(volume);
      expect(await mountsAt(volume)).toEqual([volume]);
    } finally {
      await c.teardown();
    }
    await expectNothingLeft(stateDir, root);
  });

  it('a teardown asked for while startNodeCluster is still starting waits for it and removes what it made', async () => {
    const life = new Lifetime(() => startNodeCluster(), (c) => c.teardown());
    let started: NodeCluster | undefined;
    const starting = life.start().then((c) => (started = c));
    // As vitest's afterAll after a beforeAll that timed out: nothing assigned yet.
    expect(started).toBeUndefined();
    await life.stop();
    await starting;
    if (!started) throw new Error('the start did not finish');
    await expectNothingLeft(started.runtime.stateDir, started.controlPlane.root);
  });

  it("startProcessNode: the kubelet process's state tmpfs is unmounted", async () => {
    const n = await startProcessNode({ prefix: 'kt', cidrSecondOctet: 92 });
    let stateDir: string;
    try {
      // The process records its state dir in its root once its runtime is open.
      await eventually(() => existsSync(path.join(n.kubeletRoot, 'runtime', 'state-dir')), 'the kubelet process to open its runtime', 60_000);
      stateDir = n.readRuntime().stateDir;
      expect(await mountsAt(stateDir)).toEqual([stateDir]);
    } finally {
      await n.teardown();
    }
    await expectNothingLeft(stateDir, n.cp.root);
  });

  it("the runtime harness: the state dir's tmpfs in the suite's root is unmounted", async () => {
    const h = await startHarness();
    expect(await mountsAt(h.stateDir)).toEqual([h.stateDir]);
    await h.teardown();
    await expectNothingLeft(h.stateDir, h.root);
  });
});
