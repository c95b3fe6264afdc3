// The CRI contract (runtime/testing/cri-contract.ts) against skiff's real runtime: conmon +
// runc, and conmon + crun where this host's cgroups let crun run (cgroup v2, or v1 with an
// empty unified hierarchy). The fake runs the same cases in runtime/fake/fake-runtime.test.ts.
import { describe, it } from 'vitest';
import { crunUsable, type OciRuntimeName } from '../../runtime/oci/oci-runtime.js';
import { describeCriContract, shellOf, type CriSubject } from '../../runtime/testing/cri-contract.js';
import { startHarness, waitExited } from './harness.js';

async function realSubject(runtime: OciRuntimeName): Promise<CriSubject> {
  const h = await startHarness({ runtime });
  return {
    rt: h.rt,
    image: 'busybox',
    sandboxConfig: (name) => h.sandboxConfig(name),
    containerConfig: (name, script, attempt = 0) => h.containerConfig(name, { metadata: { name, attempt }, command: shellOf(script) }),
    finish: (id) => waitExited(h, id),
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
