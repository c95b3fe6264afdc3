// The fake runs the CRI contract the real runtime runs (test/runtime/cri-contract.test.ts), so
// the kubelet's unit tests see the runtime the kubelet gets.
import { FakeRuntime } from './fake-runtime.js';
import { RuntimeError } from '../cri.js';
import { describeCriContract, describeImageContract, shellOf } from '../testing/cri-contract.js';

describeCriContract('runtime/fake', async () => {
  const rt = new FakeRuntime();
  rt.addImage('busybox');
  let n = 0;
  return {
    rt,
    image: 'busybox',
    sandboxConfig: (name) => ({ metadata: { name, namespace: 'default', uid: `uid-${name}-${n++}`, attempt: 0 } }),
    containerConfig: (name, script, attempt = 0) => ({ metadata: { name, attempt }, image: { image: 'busybox' }, command: shellOf(script) }),
    // The fake runs nothing: the script's output and exit are played through its test hooks.
    async finish(id, script) {
      for (const l of script.stdout ?? []) rt.appendLog(id, 'stdout', l);
      for (const l of script.stderr ?? []) rt.appendLog(id, 'stderr', l);
      if (script.exitCode !== undefined) rt.exitContainer(id, script.exitCode);
      return rt.containerStatus(id);
    },
    async teardown() {},
  };
});

describeImageContract('runtime/fake', async () => {
  const rt = new FakeRuntime();
  const missing = '127.0.0.1:5000/contract/busybox:absent';
  // The fake pulls whatever it is asked for; a test names what its registry lacks.
  rt.pullErrors.set(missing, new RuntimeError('NotFound', `manifest unknown: ${missing}`));
  const pullable = '127.0.0.1:5000/contract/busybox:v1';
  return {
    images: rt,
    pullable,
    missing,
    // The fake sees an image in use the way the real runtime does: a container made from it.
    async useImage(id) {
      const config = { metadata: { name: 'user', namespace: 'default', uid: 'uid-user', attempt: 0 } };
      await rt.createContainer(await rt.runPodSandbox(config), { metadata: { name: 'c', attempt: 0 }, image: { image: id } }, config);
    },
    async teardown() {},
  };
});
