// The kubelet's pod machinery wired on the fake runtime with a fake clock, for scenario
// tests: sync a pod, move time, make containers exit, read back status, events and CRI calls.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Pod, PodStatus } from '../../api/types/core.js';
import { crashLoopBackoff, imagePullBackoff } from '../backoff.js';
import { FakeClock } from '../clock.js';
import { MemoryEventRecorder } from '../events.js';
import { ImagePuller } from '../image-puller.js';
import { PodLifecycle } from '../pod-lifecycle.js';
import type { SyncResult } from '../pod-workers.js';
import { ProberManager } from '../prober/manager.js';
import type { runProbe } from '../prober/run-probe.js';
import { ReasonCache } from '../status/reason-cache.js';
import { StatusManager } from '../status/status-manager.js';
import { PodActionsExecutor } from '../execute-pod-actions.js';
import { FakeRuntime } from '../../runtime/fake/fake-runtime.js';
import type { ConfigLookup } from '../config-lookup.js';
import { MemoryMounter } from '../tmpfs.js';

export interface Harness {
  clock: FakeClock;
  rt: FakeRuntime;
  recorder: MemoryEventRecorder;
  statusManager: StatusManager;
  prober: ProberManager;
  lifecycle: PodLifecycle;
  root: string;
  writes: { name: string; status: PodStatus }[];
  terminated: string[];
  /** What would be tmpfs-mounted (the harness mounts nothing). */
  mounter: MemoryMounter;
  status(pod: Pod): PodStatus;
  /** One pod sync, then the status writes it started (the sync itself does not wait for them). */
  sync(pod: Pod): Promise<SyncResult>;
  cleanup(): Promise<void>;
}

export interface HarnessOptions {
  rt?: FakeRuntime;
  clock?: FakeClock;
  root?: string;
  run?: typeof runProbe;
  /** Where the pod's ConfigMaps and Secrets come from (a ConfigSource, or fixed objects). */
  config?: { lookup(pod: Pod): Promise<ConfigLookup> };
}

export async function makeHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const clock = opts.clock ?? new FakeClock();
  const rt = opts.rt ?? new FakeRuntime(clock);
  const root = opts.root ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-kubelet-')));
  const recorder = new MemoryEventRecorder();
  const writes: Harness['writes'] = [];
  const terminated: string[] = [];
  const statusManager = new StatusManager({
    writer: {
      async writeStatus(_ns, name, _uid, status) {
        writes.push({ name, status });
      },
    },
  });
  const prober = new ProberManager({ runtime: rt, statusOf: (uid) => statusManager.get(uid), recorder, clock, ...(opts.run ? { run: opts.run } : {}) });
  const reasons = new ReasonCache();
  const crash = crashLoopBackoff(clock);
  const pull = imagePullBackoff(clock);
  const mounter = new MemoryMounter();
  const executor = new PodActionsExecutor({
    runtime: rt,
    images: rt,
    puller: new ImagePuller({ images: rt, recorder, backoff: pull, clock }),
    recorder,
    reasons,
    crashBackoff: crash,
    root,
    clock,
    hostIP: '192.168.50.10',
    memoryCapacity: 4 * 2 ** 30,
    mounter,
    ...(opts.config ? { config: opts.config } : {}),
  });
  const lifecycle = new PodLifecycle({
    runtime: rt,
    executor,
    statusManager,
    prober,
    reasons,
    backoffs: [crash, pull],
    root,
    mounter,
    runtimeName: 'skiff',
    hostIP: '192.168.50.10',
    clock,
    onTerminated: async (pod) => {
      terminated.push(pod.metadata.name ?? '');
      lifecycle.forget(pod.metadata.uid ?? '');
    },
  });
  return {
    clock,
    rt,
    recorder,
    statusManager,
    prober,
    lifecycle,
    root,
    writes,
    terminated,
    mounter,
    async sync(pod) {
      const r = await lifecycle.syncPod(pod);
      await statusManager.flush(pod.metadata.uid ?? '');
      return r;
    },
    status(pod) {
      const s = statusManager.get(pod.metadata.uid ?? '');
      if (!s) throw new Error(`no status for ${pod.metadata.name}`);
      return s;
    },
    async cleanup() {
      prober.stop();
      if (!opts.root) await fs.rm(root, { recursive: true, force: true });
    },
  };
}
