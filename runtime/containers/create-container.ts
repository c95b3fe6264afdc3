// CreateContainer: root filesystem from the image provider (mounted here), the OCI bundle
// (config.json from spec.ts), then conmon runs `<runtime> create`, so the container exists
// with its process waiting for StartContainer. Like CRI-O, the log file and the exit-code
// watch begin here. Any failure undoes what was done.
import crypto from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { RuntimeError, type ContainerConfig, type PodSandboxConfig } from '../cri.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../file-modes.js';
import { spawnConmon, type ConmonOptions, type PendingConmon } from '../oci/conmon.js';
import { mountRootfs, unmountAll } from '../oci/mount.js';
import { mergeEnv, processArgs } from '../oci/process-args.js';
import { buildSpec } from '../oci/spec.js';
import { imageUser } from './image-user.js';
import { nowNs, saveContainer, type ContainerRecord, type RuntimeContext, type SandboxRecord } from '../runtime-context.js';
import { StepTimes } from '../step-times.js';
import { etcPaths } from '../sandboxes/etc-files.js';
import { getSandbox } from '../sandboxes/stop-sandbox.js';

function logPathFor(sandbox: SandboxRecord, config: ContainerConfig): string {
  const rel = config.logPath || path.join(config.metadata.name, `${config.metadata.attempt ?? 0}.log`);
  const p = path.resolve(sandbox.logDirectory, rel);
  if (!p.startsWith(sandbox.logDirectory + path.sep)) throw new RuntimeError('InvalidArgument', `log path ${rel} leaves the sandbox's log directory`);
  return p;
}

function validate(config: ContainerConfig): void {
  if (!config?.metadata?.name) throw new RuntimeError('InvalidArgument', 'container metadata needs a name');
  if (!config.image?.image) throw new RuntimeError('InvalidArgument', `container ${config.metadata.name} has no image`);
  for (const m of config.mounts ?? []) {
    if (!path.isAbsolute(m.containerPath) || !path.isAbsolute(m.hostPath)) throw new RuntimeError('InvalidArgument', `mount ${m.hostPath}:${m.containerPath} must use absolute paths`);
  }
}

/**
 * Not CRI's: what only the docker-style verbs of `skiff cri` ask of a container's monitor. The
 * kubelet never sets them: it watches its pods itself (PLEG) and releases what they hold.
 */
export interface MonitorOptions {
  /** The command conmon runs when the container exits, given the container's ID. */
  exitCommand?: (containerId: string) => string[];
}

/** conmon's options for a container's (first or next) run. */
export function conmonOptions(ctx: RuntimeContext, rec: ContainerRecord, sandbox: SandboxRecord, options: MonitorOptions): ConmonOptions {
  const m = sandbox.config.metadata;
  return {
    id: rec.id,
    name: `k8s_${rec.config.metadata.name}_${m.name}_${m.namespace}_${m.uid}_${rec.config.metadata.attempt ?? 0}`,
    bundle: rec.bundle,
    runtime: ctx.oci,
    logPath: rec.logPath,
    exitDir: ctx.dirs.exits,
    socketDir: ctx.dirs.sockets,
    logSizeMax: ctx.logSizeMax,
    exitCommand: options.exitCommand?.(rec.id),
    stdin: rec.config.stdin === true,
    stdinOnce: rec.config.stdinOnce === true,
    tty: rec.config.tty === true,
  };
}

export async function createContainer(ctx: RuntimeContext, sandboxId: string, config: ContainerConfig, _sandboxConfig: PodSandboxConfig, options: MonitorOptions = {}): Promise<string> {
  validate(config);
  const sandbox = getSandbox(ctx, sandboxId);
  if (sandbox.state !== 'SANDBOX_READY') throw new RuntimeError('FailedPrecondition', `pod sandbox ${sandbox.id} is not ready`);
  const attempt = config.metadata.attempt ?? 0;
  for (const c of ctx.containers.values()) {
    if (c.sandboxId === sandbox.id && c.config.metadata.name === config.metadata.name && (c.config.metadata.attempt ?? 0) === attempt) {
      throw new RuntimeError('AlreadyExists', `container ${config.metadata.name} attempt ${attempt} already exists in sandbox ${sandbox.id} as ${c.id}`);
    }
  }
  const t = new StepTimes();
  const image = await t.time('getImage', () => ctx.images.getImage(config.image.image));
  const id = crypto.randomBytes(32).toString('hex');
  const bundle = path.join(ctx.dirs.containers, id);
  const rootfs = path.join(bundle, 'rootfs');
  const m = sandbox.config.metadata;
  const rec: ContainerRecord = {
    id,
    sandboxId: sandbox.id,
    config,
    imageId: image.id,
    imageRef: image.repoDigest ?? image.id,
    stopSignal: config.stopSignal || image.config.stopSignal || undefined,
    state: 'CONTAINER_CREATED',
    createdAt: nowNs(),
    startedAt: 0,
    finishedAt: 0,
    exitCode: 0,
    reason: '',
    message: '',
    pid: 0,
    conmonPid: 0,
    bundle,
    cgroupsPath: `${sandbox.cgroupParent}/${id.slice(0, 32)}`,
    logPath: logPathFor(sandbox, config),
  };
  // Small metadata writes on the critical path are synchronous (see runtime-context.ts).
  fsSync.mkdirSync(bundle, { recursive: true, mode: PRIVATE_DIR_MODE });
  fsSync.mkdirSync(path.dirname(rec.logPath), { recursive: true });
  let prepared = false;
  let conmon: PendingConmon | undefined;
  // Three things that need nothing from each other run side by side: conmon loads and waits at
  // its start pipe; the rootfs is prepared and mounted (one mount(8) exec); the bundle's spec and
  // the record are written. conmon is let go once the other two are done.
  const rootfsReady = t.time('rootfs', async () => {
    const mounts = await t.time('prepareRootfs', () => ctx.images.prepareRootfs(id, image.id));
    prepared = true;
    await t.time('mount', () => mountRootfs(mounts, rootfs));
  });
  rootfsReady.catch(() => undefined); // awaited below, also on the failure path
  try {
    conmon = spawnConmon(conmonOptions(ctx, rec, sandbox, options));
    const sec = config.linux?.securityContext;
    const user = await t.time('user', () =>
      imageUser(ctx, image.id, rootfs, rootfsReady, {
        runAsUser: sec?.runAsUser,
        runAsGroup: sec?.runAsGroup,
        runAsUsername: sec?.runAsUsername,
        supplementalGroups: sec?.supplementalGroups,
        imageUser: image.config.user,
      }),
    );
    for (const mnt of config.mounts ?? []) {
      // containerd creates a missing host path as a directory (emptyDir, hostPath DirectoryOrCreate).
      await fs.mkdir(mnt.hostPath, { recursive: true }).catch(() => undefined);
    }
    const extraEnv: Record<string, string> = { HOSTNAME: sandbox.hostname };
    if (user.home) extraEnv.HOME = user.home;
    const spec = buildSpec({
      args: processArgs(image.config, config.command, config.args),
      env: mergeEnv(image.config.env, config.envs, extraEnv),
      cwd: config.workingDir || image.config.workingDir || '/',
      user,
      hostname: sandbox.hostname,
      netnsPath: sandbox.netnsPath,
      cgroupsPath: rec.cgroupsPath,
      resources: config.linux?.resources,
      security: sec,
      mounts: config.mounts,
      sysctls: sandbox.config.linux?.sysctls,
      terminal: config.tty === true,
      etc: etcPaths(path.join(ctx.dirs.sandboxes, sandbox.id)),
      annotations: { 'io.kubernetes.pod.name': m.name, 'io.kubernetes.pod.namespace': m.namespace, 'io.kubernetes.container.name': config.metadata.name },
    });
    // The record first: from the moment config.json exists, conmon could create the container
    // (if this process died, conmon would read EOF on its start pipe and go on), and a record
    // is what lets removal find and clean up such a container.
    await t.time('record', () => saveContainer(ctx, rec));
    // The spec carries the pod's env: only runc/crun (as root) read it.
    fsSync.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec), { mode: PRIVATE_FILE_MODE });
    await rootfsReady;
    const pending = conmon;
    conmon = undefined;
    const started = await t.time('conmonCreate', () => pending.start());
    rec.pid = started.pid;
    rec.conmonPid = started.conmonPid;
    await t.time('recordCreated', () => saveContainer(ctx, rec));
  } catch (e) {
    conmon?.abort();
    await rootfsReady.catch(() => undefined);
    ctx.containers.delete(id);
    await ctx.oci.delete(id).catch(() => undefined);
    await unmountAll(rootfs).catch(() => undefined);
    if (prepared) await ctx.images.removeRootfs(id).catch(() => undefined);
    await fs.rm(bundle, { recursive: true, force: true });
    await fs.rm(path.join(ctx.dirs.exits, id), { force: true });
    await fs.rm(rec.logPath, { force: true });
    throw e;
  }
  ctx.logger.debug({ container: id, sandbox: sandbox.id, name: config.metadata.name, ms: t.done() }, 'container created');
  return id;
}
