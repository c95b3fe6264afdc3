// The container verbs of `skiff cri` (docker-style, node-local, straight on a runtime root):
// run, ps, logs, stop, rm, exec, inspect, and the container half of prune. `run` makes one
// sandbox per container (labelled, so `rm` takes the sandbox away with its last container).
// As docker releases a container's network when it exits, a run sandbox whose container has
// exited is stopped (network and namespace gone; the runtime unmounts the rootfs itself):
// by `run` itself in the foreground, and by the next verb for a detached one, which is also
// when a detached `--rm` container goes.
import crypto from 'node:crypto';
import { Option, type Command } from 'commander';
import type { ContainerStatus, LinuxContainerResources, PodSandboxConfig, PortMapping, ReadLogsOptions, RuntimeService } from '../../runtime/cri.js';
import { isRuntimeError } from '../../runtime/cri.js';
import { ImageService } from '../../runtime/image-service.js';
import { SkiffRuntimeService } from '../../runtime/runtime-service.js';
import { renderTable } from '../printers/table.js';
import { criOptions, type CriEnv, type CriGlobalOptions } from './cri-options.js';

const RUN_LABEL = 'skiff.dev/cri-run';
/** On a run sandbox: remove the container and the sandbox once the container exits (`--rm`). */
const AUTO_REMOVE_LABEL = 'skiff.dev/cri-rm';

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
  const logger = env.logger();
  const rt = opts.runtime === 'crun' || opts.runtime === 'runc' ? opts.runtime : undefined;
  if (opts.runtime && !rt) throw new Error(`--runtime must be crun or runc, not ${opts.runtime}`);
  // Each needs the other: the image service asks which images containers use before rmi/prune.
  const holder: { runtime?: SkiffRuntimeService } = {};
  const images = new ImageService({ root: opts.root, registryConfig: opts.registryConfig, dockerConfigs: env.dockerConfigs(), logger, inUse: async () => holder.runtime?.imagesInUse() ?? new Set() });
  const runtime = new SkiffRuntimeService({ root: opts.root, images, runtime: rt, logger, defaultNetwork: CRI_RUN_NETWORK, ...(network ? { bridgeName: network.bridge, podCidr: network.podCidr } : {}) });
  holder.runtime = runtime;
  return { images, runtime };
}

/** docker's sizes: a number with an optional b/k/m/g suffix, binary units ("200m" = 200 MiB). */
export function parseDockerSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(s.trim());
  if (!m) throw new Error(`invalid size ${JSON.stringify(s)} (use e.g. 200m, 1g, 512k)`);
  const mult: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
  return Math.round(Number(m[1]) * mult[m[2].toLowerCase()]);
}

/** docker's --publish: [ip:]hostPort:containerPort[/tcp|udp|sctp]. */
export function parsePublish(s: string): PortMapping {
  const [spec, proto = 'tcp'] = s.split('/');
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw new Error(`invalid --publish ${JSON.stringify(s)} (want [ip:]hostPort:containerPort[/proto])`);
  const [hostIp, host, ctr] = parts.length === 3 ? parts : [undefined, parts[0], parts[1]];
  const hostPort = Number(host);
  const containerPort = Number(ctr);
  const ok = (n: number) => Number.isInteger(n) && n > 0 && n < 65536;
  if (!ok(hostPort) || !ok(containerPort)) throw new Error(`invalid ports in --publish ${JSON.stringify(s)}`);
  const protocol = proto.toUpperCase();
  if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') throw new Error(`invalid protocol ${proto} in --publish`);
  return { protocol, hostPort, containerPort, ...(hostIp ? { hostIp } : {}) };
}

export interface RunFlags {
  name?: string;
  publish: string[];
  memory?: string;
  memorySwap?: string;
  cpuShares?: string;
  cpus?: string;
  env: string[];
  detach?: boolean;
  rm?: boolean;
}

export function runResources(f: RunFlags): LinuxContainerResources {
  const r: LinuxContainerResources = {};
  if (f.memory) r.memoryLimitInBytes = parseDockerSize(f.memory);
  if (f.memorySwap) {
    if (!r.memoryLimitInBytes) throw new Error('--memory-swap needs --memory (as in docker)');
    r.memorySwapLimitInBytes = f.memorySwap === '-1' ? -1 : parseDockerSize(f.memorySwap);
    if (r.memorySwapLimitInBytes !== -1 && r.memorySwapLimitInBytes < r.memoryLimitInBytes) throw new Error('--memory-swap must be at least --memory (it is memory plus swap)');
  }
  if (f.cpuShares) {
    const n = Number(f.cpuShares);
    if (!Number.isInteger(n) || n < 2) throw new Error('--cpu-shares must be an integer of at least 2');
    r.cpuShares = n;
  }
  if (f.cpus) {
    const n = Number(f.cpus);
    if (!(n > 0)) throw new Error('--cpus must be a positive number');
    r.cpuPeriod = 100_000;
    r.cpuQuota = Math.round(n * 100_000);
  }
  return r;
}

const collect = (v: string, prev: string[]) => [...prev, v];
const short = (id: string) => id.slice(0, 13);

function ago(ns: number): string {
  const s = Math.max(0, Math.round((Date.now() - ns / 1e6) / 1000));
  if (s < 60) return `${s} seconds ago`;
  if (s < 3600) return `${Math.round(s / 60)} minutes ago`;
  if (s < 86400) return `${Math.round(s / 3600)} hours ago`;
  return `${Math.round(s / 86400)} days ago`;
}

function statusText(st: ContainerStatus): string {
  if (st.state === 'CONTAINER_RUNNING') return `Up since ${ago(st.startedAt)}`;
  if (st.state === 'CONTAINER_EXITED') return `Exited (${st.exitCode}) ${ago(st.finishedAt)}${st.reason === 'OOMKilled' ? ' OOMKilled' : ''}`;
  if (st.state === 'CONTAINER_CREATED') return 'Created';
  return 'Unknown';
}

async function streamLogs(rt: RuntimeService, id: string, opts: ReadLogsOptions & { timestamps?: boolean }): Promise<void> {
  for await (const l of rt.readLogs(id, opts)) {
    const text = `${opts.timestamps ? `${l.time} ` : ''}${l.line}${l.partial ? '' : '\n'}`;
    (l.stream === 'stderr' ? process.stderr : process.stdout).write(text);
  }
}

async function ensureImage(images: ImageService, ref: string): Promise<void> {
  try {
    await images.getImage(ref);
  } catch (e) {
    if (!isRuntimeError(e, 'NotFound')) throw e;
    process.stderr.write(`Unable to find image '${ref}' locally, pulling\n`);
    await images.pullImage({ image: ref });
  }
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
 * What docker does when a container exits, for run sandboxes whose container has exited since
 * the last verb: the sandbox's network goes (StopPodSandbox), and an `--rm` one goes whole.
 */
export async function releaseExitedRuns(rt: RuntimeService): Promise<void> {
  for (const sb of await rt.listPodSandbox({ labelSelector: { [RUN_LABEL]: 'true' } })) {
    const containers = await rt.listContainers({ podSandboxId: sb.id });
    if (containers.some((c) => c.state !== 'CONTAINER_EXITED')) continue;
    if (sb.labels[AUTO_REMOVE_LABEL] === 'true') {
      for (const c of containers) await rt.removeContainer(c.id);
      await rt.removePodSandbox(sb.id);
    } else if (sb.state === 'SANDBOX_READY' && containers.length > 0) {
      await rt.stopPodSandbox(sb.id);
    }
  }
}

/**
 * The runtime, with exited run containers released first. A root that `skiff cri` alone used
 * before it had a network of its own (its node.json says skiff0 with 10.88.0.0/16 and every
 * sandbox on it is a run sandbox) moves to skiff-cri0; its existing sandboxes keep the network
 * their records name until they go. A kubelet's root (sandboxes without the run label) stays.
 */
async function openReleased(opts: CriGlobalOptions, env: CriEnv): Promise<CriRuntime> {
  let cri = openCriRuntime(opts, env);
  const net = cri.runtime.network;
  if (net.bridge === OLD_CRI_NETWORK.bridge && net.podCidr === OLD_CRI_NETWORK.podCidr) {
    const sandboxes = await cri.runtime.listPodSandbox();
    if (sandboxes.every((s) => s.labels[RUN_LABEL] === 'true')) cri = openCriRuntime(opts, env, CRI_RUN_NETWORK);
  }
  await releaseExitedRuns(cri.runtime);
  return cri;
}

async function removeWithRunSandbox(rt: RuntimeService, id: string): Promise<void> {
  const st = await rt.listContainers({ id });
  const sandboxId = st[0]?.podSandboxId;
  await rt.removeContainer(id);
  if (!sandboxId) return;
  const sb = await rt.listPodSandbox({ id: sandboxId });
  if (sb[0]?.labels[RUN_LABEL] === 'true' && (await rt.listContainers({ podSandboxId: sandboxId })).length === 0) await rt.removePodSandbox(sandboxId);
}

export function registerCriContainers(cri: Command, env: CriEnv): void {
  cri
    .command('run')
    .description('run a command in a new container (a sandbox plus one container, like docker run)')
    .option('--name <name>', 'container (and pod) name')
    .option('-p, --publish <[ip:]host:container>', 'publish a container port on the node (repeatable)', collect, [])
    .option('-m, --memory <size>', 'memory limit (200m, 1g)')
    .option('--memory-swap <size>', 'memory plus swap limit; -1 for unlimited swap')
    .option('-c, --cpu-shares <n>', 'CPU shares (relative weight)')
    .option('--cpus <n>', 'number of CPUs (CFS quota)')
    .option('-e, --env <K=V>', 'environment variable (repeatable)', collect, [])
    .option('-d, --detach', 'run in the background and print the container ID')
    .option('--rm', 'remove the container and its sandbox when it exits (detached: at the next skiff cri command)')
    .argument('<image>', 'image reference')
    .argument('[command...]', 'command and arguments (replace the image Cmd)')
    .action(async (image: string, command: string[], flags: RunFlags, cmd: Command) => {
      const resources = runResources(flags);
      const portMappings = flags.publish.map(parsePublish);
      const envs = flags.env.map((e) => {
        const eq = e.indexOf('=');
        if (eq <= 0) throw new Error(`invalid --env ${JSON.stringify(e)} (want KEY=VALUE)`);
        return { key: e.slice(0, eq), value: e.slice(eq + 1) };
      });
      const name = flags.name ?? `skiff-${crypto.randomBytes(4).toString('hex')}`;
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) throw new Error(`invalid name ${JSON.stringify(name)} (lower case letters, digits, - and .)`);
      const { images, runtime } = await openReleased(criOptions(cmd), env);
      await ensureImage(images, image);
      const sandboxConfig: PodSandboxConfig = {
        metadata: { name, namespace: 'default', uid: crypto.randomUUID(), attempt: 0 },
        hostname: name,
        portMappings,
        labels: { [RUN_LABEL]: 'true', ...(flags.rm ? { [AUTO_REMOVE_LABEL]: 'true' } : {}) },
      };
      const sb = await runtime.runPodSandbox(sandboxConfig);
      let id: string;
      try {
        id = await runtime.createContainer(sb, { metadata: { name, attempt: 0 }, image: { image }, ...(command.length ? { args: command } : {}), envs, linux: { resources } }, sandboxConfig);
        await runtime.startContainer(id);
      } catch (e) {
        await runtime.removePodSandbox(sb);
        throw e;
      }
      if (flags.detach) {
        process.stdout.write(`${id}\n`);
        return;
      }
      const stop = () => void runtime.stopContainer(id, 10);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await streamLogs(runtime, id, { follow: true });
      const st = await runtime.containerStatus(id);
      process.exitCode = st.exitCode;
      if (flags.rm) await removeWithRunSandbox(runtime, id);
      else await runtime.stopPodSandbox(sb);
    });

  cri
    .command('ps')
    .description('list containers (running ones unless -a)')
    .option('-a, --all', 'show all containers')
    .option('-q, --quiet', 'only IDs')
    .action(async (flags: { all?: boolean; quiet?: boolean }, cmd: Command) => {
      const { runtime } = await openReleased(criOptions(cmd), env);
      const list = await runtime.listContainers(flags.all ? {} : { state: 'CONTAINER_RUNNING' });
      if (flags.quiet) {
        process.stdout.write(list.map((c) => `${short(c.id)}\n`).join(''));
        return;
      }
      const rows: string[][] = [];
      for (const c of list) {
        const st = await runtime.containerStatus(c.id);
        rows.push([short(c.id), c.image.image, ago(c.createdAt), statusText(st), c.metadata.name, short(c.podSandboxId)]);
      }
      process.stdout.write(renderTable({ headers: ['CONTAINER ID', 'IMAGE', 'CREATED', 'STATUS', 'NAME', 'POD ID'], rows }));
    });

  cri
    .command('logs')
    .description("print a container's log")
    .option('-f, --follow', 'follow the log until the container exits')
    .option('--tail <n>', 'only the last n lines')
    .option('--since <time>', 'only lines since an RFC 3339 time or a duration (10s, 5m, 1h)')
    .option('-t, --timestamps', 'show timestamps')
    .option('-p, --previous', "the previous instance's log")
    .argument('<id>', 'container ID or unique prefix')
    .action(async (id: string, flags: { follow?: boolean; tail?: string; since?: string; timestamps?: boolean; previous?: boolean }, cmd: Command) => {
      const { runtime } = await openReleased(criOptions(cmd), env);
      let sinceTime: number | undefined;
      if (flags.since) {
        const d = /^(\d+)(s|m|h)$/.exec(flags.since);
        sinceTime = d ? Date.now() - Number(d[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[d[2] as 's' | 'm' | 'h'] : Date.parse(flags.since);
        if (Number.isNaN(sinceTime)) throw new Error(`invalid --since ${flags.since}`);
      }
      const tailLines = flags.tail === undefined ? undefined : Number(flags.tail);
      if (tailLines !== undefined && !(Number.isInteger(tailLines) && tailLines >= 0)) throw new Error('--tail must be a non-negative integer');
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      await streamLogs(runtime, id, { follow: flags.follow, tailLines, sinceTime, timestamps: flags.timestamps, signal: ac.signal, previous: flags.previous });
    });

  cri
    .command('stop')
    .description('stop containers (stop signal, then SIGKILL after the timeout)')
    .addOption(new Option('-t, --time <seconds>', 'seconds to wait before killing').default('10'))
    .argument('<ids...>', 'container IDs or unique prefixes')
    .action(async (ids: string[], flags: { time: string }, cmd: Command) => {
      const { runtime } = await openReleased(criOptions(cmd), env);
      const t = Number(flags.time);
      if (!(t >= 0)) throw new Error('--time must be a non-negative number');
      for (const id of ids) {
        await runtime.stopContainer(id, t);
        process.stdout.write(`${id}\n`);
      }
      await releaseExitedRuns(runtime);
    });

  cri
    .command('rm')
    .description('remove containers (and the sandbox `run` made for them)')
    .option('-f, --force', 'kill running containers first')
    .argument('<ids...>', 'container IDs or unique prefixes')
    .action(async (ids: string[], flags: { force?: boolean }, cmd: Command) => {
      const { runtime } = await openReleased(criOptions(cmd), env);
      for (const id of ids) {
        const st = await runtime.containerStatus(id);
        if (st.state === 'CONTAINER_RUNNING' && !flags.force) throw new Error(`container ${short(st.id)} is running: stop it first or use --force`);
        await removeWithRunSandbox(runtime, st.id);
        process.stdout.write(`${id}\n`);
      }
    });

  cri
    .command('exec')
    .description('run a command in a running container')
    .option('--timeout <seconds>', 'kill the command after this many seconds (0: none)', '0')
    .argument('<id>', 'container ID or unique prefix')
    .argument('<command...>', 'command and arguments (after --)')
    .action(async (id: string, command: string[], flags: { timeout: string }, cmd: Command) => {
      const { runtime } = openCriRuntime(criOptions(cmd), env);
      const r = await runtime.execSync(id, command, Number(flags.timeout) || 0);
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.exitCode;
    });

  cri
    .command('inspect')
    .description('show a container (or pod sandbox) status as JSON')
    .argument('<id>', 'container or sandbox ID, or unique prefix')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const { runtime } = await openReleased(criOptions(cmd), env);
      try {
        const status = await runtime.containerStatus(id);
        const stats = status.state === 'CONTAINER_RUNNING' ? await runtime.containerStats(status.id) : undefined;
        process.stdout.write(`${JSON.stringify({ status, info: { cgroup: runtime.containerCgroup(status.id), stats } }, null, 2)}\n`);
      } catch (e) {
        if (!isRuntimeError(e, 'NotFound')) throw e;
        const status = await runtime.podSandboxStatus(id);
        process.stdout.write(`${JSON.stringify({ status, info: { cgroup: runtime.sandboxCgroup(status.id) } }, null, 2)}\n`);
      }
    });
}
