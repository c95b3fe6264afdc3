// The CRI contract (runtime/testing/cri-contract.ts) against skiff's real runtime: conmon +
// runc, and conmon + crun where this host's cgroups let crun run (cgroup v2, or v1 with an
// empty unified hierarchy); the image contract against skiff's ImageService pulling from a
// local registry fixture (busybox built by the project, no internet). The fake runs the same
// cases in runtime/fake/fake-runtime.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';
import { ImageService } from '../../runtime/image-service.js';
import { crunUsable, type OciRuntimeName } from '../../runtime/oci/oci-runtime.js';
import { describeCriContract, describeImageContract, shellOf, type CriSubject } from '../../runtime/testing/cri-contract.js';
import { eventually } from '../fixtures/eventually.js';
import { buildBusyboxImage, openStore, pushImage } from '../fixtures/images.js';
import { startRegistry } from '../fixtures/registry.js';
import { startHarness, startHttpd, waitExited } from './harness.js';

async function realSubject(runtime: OciRuntimeName): Promise<CriSubject> {
  const h = await startHarness({ runtime });
  return {
    rt: h.rt,
    image: 'busybox',
    sandboxConfig: (name) => h.sandboxConfig(name),
    containerConfig: (name, script, attempt = 0) => h.containerConfig(name, { metadata: { name, attempt }, command: shellOf(script) }),
    async finish(id, script) {
      if (script.exitCode !== undefined) return waitExited(h, id);
      // A script that runs on: done once its lines are in the log (its trap is set by then).
      const want = script.stdout ?? [];
      await eventually(async () => {
        const seen: string[] = [];
        for await (const l of h.rt.readLogs(id)) if (l.stream === 'stdout') seen.push(l.line);
        return want.every((w) => seen.includes(w));
      }, `container ${id} printed ${want.join(', ')}`, 30_000);
      return h.rt.containerStatus(id);
    },
    execCommand: shellOf,
    async serveHttp(sb, port, body) {
      await startHttpd(h, sb, port, body);
    },
    teardown: () => h.teardown(),
  };
}

describeCriContract('conmon + runc', () => realSubject('runc'));

if (crunUsable()) {
  describeCriContract('conmon + crun', () => realSubject('crun'));
} else {
  describe('CRI contract: conmon + crun', () => {
    it.skip('crun cannot run on this host (cgroup v1 with controllers in the unified hierarchy); runc covers the contract', () => undefined);
  });
}

describeImageContract('skiff ImageService + a local registry', async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'skiff-image-contract-'));
  const registry = await startRegistry();
  try {
    const store = await openStore(path.join(work, 'build'));
    await pushImage(registry.host, 'contract/busybox:v1', store, await buildBusyboxImage(store));
  } catch (e) {
    await registry.stop();
    throw e;
  }
  const used = new Set<string>();
  return {
    images: new ImageService({ root: path.join(work, 'runtime'), inUse: async () => used }),
    pullable: `${registry.host}/contract/busybox:v1`,
    missing: `${registry.host}/contract/busybox:absent`,
    useImage: async (id) => void used.add(id),
    async teardown() {
      await registry.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
});
