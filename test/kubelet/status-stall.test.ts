// Status writes leave the pod sync: while the API server does not answer pod A's status
// writes (held for 10 s here, between the kubelet and a real API server), pod B is still
// synced: its containers start and its status is written. A's newest status goes out once
// the API server answers again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import type { RestClient } from '../../client/rest.js';
import { Kubelet } from '../../kubelet/kubelet.js';
import { FakeRuntime } from '../../runtime/fake/fake-runtime.js';
import { eventually, startControlPlane, type ControlPlane } from './harness.js';

const STALL_MS = 10_000;

/** Forwards every call to the target, with `this` bound to it (the client keeps #private state). */
function forward<T extends object>(target: T, override: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(t, k) {
      if (k in override) return override[k as keyof T];
      const v: unknown = Reflect.get(t, k, t);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

let cp: ControlPlane;
let kubelet: Kubelet | undefined;
const rt = new FakeRuntime();
/** When each of pod A's status writes reached the API server (after the stall). */
const aAnswered: number[] = [];
let stallStarted = 0;

beforeAll(async () => {
  cp = await startControlPlane({ prefix: 'stall' });
  rt.addImage('busybox:1.36');
  const pods = cp.nodeClient.pods;
  const patchStatus: RestClient['pods']['patchStatus'] = async (name, ...rest) => {
    if (name === 'a') {
      // The API server does not answer A's status writes for STALL_MS.
      stallStarted ||= Date.now();
      await new Promise((r) => setTimeout(r, Math.max(0, stallStarted + STALL_MS - Date.now())));
      const out = await pods.patchStatus(name, ...rest);
      aAnswered.push(Date.now());
      return out;
    }
    return pods.patchStatus(name, ...rest);
  };
  const client = forward(cp.nodeClient, { pods: forward(pods, { patchStatus }) });
  kubelet = new Kubelet({ client, runtime: rt, images: rt, nodeName: cp.node, root: `${cp.root}/kubelet`, hostIP: '127.0.0.1', plegPeriodMs: 250, resyncIntervalMs: 1000 });
  await kubelet.start();
}, 60_000);

afterAll(async () => {
  await kubelet?.stop();
  await cp?.teardown();
}, 60_000);

const running = (container: string) => rt.containersOf(container).some((c) => c.status.state === 'CONTAINER_RUNNING');

function pod(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: cp.ns },
    spec: { nodeName: cp.node, containers: [{ name: `${name}-app`, image: 'busybox:1.36', command: ['sleep', '3600'] }] },
  };
}

describe("a pod whose status writes hang", () => {
  it("does not delay another pod's sync: B starts and its status is written while A's write hangs", async () => {
    await cp.admin.pods.create(pod('a'), { namespace: cp.ns });
    await eventually(async () => stallStarted > 0, "A's first status write", 10_000);
    // A's sync went on without waiting for its status write: its container runs.
    await eventually(async () => running('a-app'), "A's container running", 5_000);

    const t0 = Date.now();
    await cp.admin.pods.create(pod('b'), { namespace: cp.ns });
    await eventually(
      async () => running('b-app') && (await cp.admin.pods.get('b', { namespace: cp.ns })).status?.phase === 'Running',
      "B's container running and B's status Running in the API",
      5_000,
    );
    const bDone = Date.now();
    expect(bDone - t0).toBeLessThan(5_000);
    // All of that happened while A's write was still held.
    expect(aAnswered).toEqual([]);
    expect(bDone).toBeLessThan(stallStarted + STALL_MS);
    expect((await cp.admin.pods.get('a', { namespace: cp.ns })).status?.phase).not.toBe('Running');

    // Once the API server answers, A's newest status (Running) is written.
    await eventually(async () => (await cp.admin.pods.get('a', { namespace: cp.ns })).status?.phase === 'Running', "A's status Running once written", STALL_MS + 5_000);
  }, 40_000);
});
