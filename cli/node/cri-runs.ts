// The sandboxes `skiff cri run` makes, one per container (labelled, so `rm` takes the sandbox
// away with its last container), and what happens to them when their container exits: as
// docker's daemon does, the network goes (StopPodSandbox: CNI DEL, the namespace) and the
// runtime unmounts the rootfs; an `--rm` one goes whole. Who does it:
// - a foreground `run` (and `start -a`), itself, once the container's output ends;
// - for a detached one, conmon: its exit command runs the hidden verb `skiff cri cleanup ID`
//   with the same root and options, the moment the container exits;
// - every verb, for runs whose conmon was killed before it could (`releaseExitedRuns`).
// These may run at once in separate processes, so each holds the root's run lock and reads the
// records afresh inside it (a process with older records would write a removed one back).
import path from 'node:path';
import type { PodSandbox, RuntimeService } from '../../runtime/cri.js';
import { makePrivateDirSync } from '../../runtime/file-modes.js';
import { ImageService } from '../../runtime/image-service.js';
import { withFileLock } from '../../runtime/images/lock.js';
import { SkiffRuntimeService, type MonitorOptions } from '../../runtime/runtime-service.js';
import { stateDirFor } from '../../runtime/state-dir.js';
import type { CriEnv, CriGlobalOptions } from './cri-options.js';
import type { Logger } from 'pino';

export const RUN_LABEL = 'skiff.dev/cri-run';
/** On a run sandbox: remove the container and the sandbox once the container exits (`--rm`). */
export const AUTO_REMOVE_LABEL = 'skiff.dev/cri-rm';
const RUN_LOCK = 'cri-run.lock';

/**
 * The docker-style runtime's own bridge and pod CIDR (its docker0), apart from the kubelet's
 * skiff0 (`skiff up`: 10.88.0.0/24) and the labs' 10.213/10.214 ranges: the two never share a
 * bridge, since each root keeps its own IP allocations. A root that names a network in its
 * node.json (a kubelet's, a lab node's) keeps that one.
 */
export const CRI_RUN_NETWORK = { bridge: 'skiff-cri0', podCidr: '10.87.0.0/16' } as const;
/** What `skiff cri` used before it had a network of its own (the runtime's built-in default). */
const OLD_CRI_NETWORK = { bridge: 'skiff0', podCidr: '10.88.0.0/16' } as const;

export interface CriRuntime {
  images: ImageService;
  runtime: SkiffRuntimeService;
}

export function openCriRuntime(opts: CriGlobalOptions, env: CriEnv, network?: { bridge: string; podCidr: string }): CriRuntime {
  const rt = runtimeFlag(opts);
  const logger = env.logger();
  // Each needs the other: the image service asks which images containers use before rmi/prune.
  const holder: { runtime?: SkiffRuntimeService } = {};
  const images = criImageService(opts, env, logger, () => holder.runtime);
  holder.runtime = new SkiffRuntimeService(runtimeOptions(opts, rt, images, logger, network));
  return { images, runtime: holder.runtime };
}

/**
 * The image service alone, for the image verbs: the runtime (which reads its records and
 * mounts its state tmpfs) opens only when rmi or prune asks which images containers use, so
 * pull, images and inspect on a fresh root leave nothing under /run/skiff.
 */
export function openCriImages(opts: CriGlobalOptions, env: CriEnv): ImageService {
  const rt = runtimeFlag(opts);
  const logger = env.logger();
  let runtime: SkiffRuntimeService | undefined;
  const images: ImageService = criImageService(opts, env, logger, () => (runtime ??= new SkiffRuntimeService(runtimeOptions(opts, rt, images, logger))));
  return images;
}

/** --runtime, checked before anything opens. */
function runtimeFlag(opts: CriGlobalOptions): 'crun' | 'runc' | undefined {
  const rt = opts.runtime === 'crun' || opts.runtime === 'runc' ? opts.runtime : undefined;
  if (opts.runtime && !rt) throw new Error(`--runtime must be crun or runc, not ${opts.runtime}`);
  return rt;
}

function criImageService(opts: CriGlobalOptions, env: CriEnv, logger: Logger, runtimeOf: () => SkiffRuntimeService | undefined): ImageService {
  return new ImageService({ root: opts.root, registryConfig: opts.registryConfig, dockerConfigs: env.dockerConfigs(), logger, inUse: async () => runtimeOf()?.imagesInUse() ?? new Set() });
}

function runtimeOptions(opts: CriGlobalOptions, runtime: 'crun' | 'runc' | undefined, images: ImageService, logger: Logger, network?: { bridge: string; podCidr: string }): ConstructorParameters<typeof SkiffRuntimeService>[0] {
  return { root: opts.root, stateDir: opts.state, images, runtime, logger, defaultNetwork: CRI_RUN_NETWORK, ...(network ? { bridgeName: network.bridge, podCidr: network.podCidr } : {}) };
}

/**
 * The runtime for the docker-style verbs. A root that `skiff cri` alone used before it had a
 * network of its own (its node.json says skiff0 with 10.88.0.0/16 and every sandbox on it is a
 * run sandbox) moves to skiff-cri0; its existing sandboxes keep the network their records name
 * until they go. A kubelet's root (sandboxes without the run label) stays.
 */
async function openForRuns(opts: CriGlobalOptions, env: CriEnv): Promise<CriRuntime> {
  const cri = openCriRuntime(opts, env);
  const net = cri.runtime.network;
  if (net.bridge !== OLD_CRI_NETWORK.bridge || net.podCidr !== OLD_CRI_NETWORK.podCidr) return cri;
  const sandboxes = await cri.runtime.listPodSandbox();
  return sandboxes.every((s) => s.labels[RUN_LABEL] === 'true') ? openCriRuntime(opts, env, CRI_RUN_NETWORK) : cri;
}

/** Runs `fn` holding the run lock of `root` (across processes: a file lock with the holder's PID). */
export function withRunLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  makePrivateDirSync(root);
  return withFileLock(path.join(root, RUN_LOCK), fn);
}

/** Runs `fn` holding the root's run lock, on a runtime whose records are read inside it. */
export function withRuns<T>(opts: CriGlobalOptions, env: CriEnv, fn: (cri: CriRuntime) => Promise<T>): Promise<T> {
  return withRunLock(opts.root, async () => fn(await openForRuns(opts, env)));
}

/** The runtime, with the runs whose container exited unnoticed released first. */
export function openReleased(opts: CriGlobalOptions, env: CriEnv): Promise<CriRuntime> {
  return withRuns(opts, env, async (cri) => {
    await releaseExitedRuns(cri.runtime);
    return cri;
  });
}

/** One run sandbox whose container has exited: its network goes, or all of it with `--rm`. */
async function releaseRun(rt: RuntimeService, sb: PodSandbox): Promise<void> {
  if (sb.labels[RUN_LABEL] !== 'true') return;
  const containers = await rt.listContainers({ podSandboxId: sb.id });
  if (containers.some((c) => c.state !== 'CONTAINER_EXITED')) return;
  if (sb.labels[AUTO_REMOVE_LABEL] === 'true') {
    for (const c of containers) await rt.removeContainer(c.id);
    await rt.removePodSandbox(sb.id);
  } else if (sb.state === 'SANDBOX_READY' && containers.length > 0) {
    await rt.stopPodSandbox(sb.id);
  }
}

/** Every run sandbox whose container has exited, released (the fallback: a conmon killed, an old run). */
export async function releaseExitedRuns(rt: RuntimeService): Promise<void> {
  for (const sb of await rt.listPodSandbox({ labelSelector: { [RUN_LABEL]: 'true' } })) await releaseRun(rt, sb);
}

/**
 * The run of one container released, if it has exited: what conmon's exit command and a
 * foreground `run` do. Idempotent: a container already gone, already released, or running
 * again (a `start` came first) is left as it is.
 */
export async function releaseRunOf(rt: RuntimeService, containerId: string): Promise<void> {
  const c = (await rt.listContainers({ id: containerId }))[0];
  if (!c) return;
  const sb = (await rt.listPodSandbox({ id: c.podSandboxId }))[0];
  if (sb) await releaseRun(rt, sb);
}

export async function removeWithRunSandbox(rt: RuntimeService, id: string): Promise<void> {
  const st = await rt.listContainers({ id });
  const sandboxId = st[0]?.podSandboxId;
  await rt.removeContainer(id);
  if (!sandboxId) return;
  const sb = await rt.listPodSandbox({ id: sandboxId });
  if (sb[0]?.labels[RUN_LABEL] === 'true' && (await rt.listContainers({ podSandboxId: sandboxId })).length === 0) await rt.removePodSandbox(sandboxId);
}

/** Removes exited containers (and the sandboxes `run` made for them); returns their IDs. */
export async function pruneExitedContainers(rt: RuntimeService): Promise<string[]> {
  const removed: string[] = [];
  for (const c of await rt.listContainers({ state: 'CONTAINER_EXITED' })) {
    await removeWithRunSandbox(rt, c.id);
    removed.push(c.id);
  }
  return removed;
}

/**
 * conmon's exit command for a detached container: `skiff cri cleanup ID` through the program
 * that runs this one (env.selfCommand), with this invocation's root and state dir (absolute:
 * conmon runs it in the bundle; the state dir named, so the cleanup finds the records even
 * where the default would be derived otherwise) and options. It needs no terminal: conmon runs
 * it with no stdin.
 */
export function cleanupOnExit(opts: CriGlobalOptions, env: CriEnv): MonitorOptions {
  const group = ['--root', path.resolve(opts.root), '--state', stateDirFor(opts.root, opts.state)];
  if (opts.registryConfig) group.push('--registry-config', path.resolve(opts.registryConfig));
  if (opts.runtime) group.push('--runtime', opts.runtime);
  return { exitCommand: (id) => [...env.selfCommand(), ...group, 'cleanup', id] };
}

/**
 * `skiff cri start` of one container made by `run`: the runtime's restart primitives (not
 * CRI's; see runtime/containers/restart-container.ts for why in place) bring back its sandbox's
 * network and then the container, with its ID, name, config, ports and writable layer. A
 * running one is left running, as docker does. Returns the container's full ID.
 */
export async function startRun(rt: SkiffRuntimeService, idOrPrefix: string, monitor: MonitorOptions): Promise<string> {
  const st = await rt.containerStatus(idOrPrefix);
  const sandboxId = (await rt.listContainers({ id: st.id }))[0]?.podSandboxId ?? '';
  const sb = (await rt.listPodSandbox({ id: sandboxId }))[0];
  if (sb?.labels[RUN_LABEL] !== 'true') throw new Error(`container ${st.id.slice(0, 13)} was not made by skiff cri run (the kubelet restarts its own containers)`);
  if (st.state === 'CONTAINER_RUNNING') return st.id;
  if (st.state === 'CONTAINER_CREATED') {
    await rt.startContainer(st.id);
    return st.id;
  }
  await rt.restartPodSandbox(sb.id);
  try {
    await rt.restartContainer(st.id, monitor);
  } catch (e) {
    await rt.stopPodSandbox(sb.id).catch(() => undefined);
    throw e;
  }
  return st.id;
}
