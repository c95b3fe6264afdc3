// The container verbs of `skiff cri` (docker-style, node-local, straight on a runtime root):
// run, start, restart, ps, logs, stop, rm, exec, inspect, and the container half of prune; the hidden
// `cleanup` is what conmon runs when a detached container exits. `run` makes one sandbox per
// container; what happens to it when the container exits is cri-runs.ts's.
import crypto from 'node:crypto';
import { Option, type Command } from 'commander';
import type { ContainerStatus, LinuxContainerResources, PodSandboxConfig, PortMapping, ReadLogsOptions, RuntimeService } from '../../runtime/cri.js';
import { isRuntimeError } from '../../runtime/cri.js';
import type { ImageService } from '../../runtime/image-service.js';
import type { MonitorOptions } from '../../runtime/runtime-service.js';
import { renderTable } from '../printers/table.js';
import { rawTerminal } from '../streams/terminal.js';
import { criOptions, type CriEnv, type CriGlobalOptions } from './cri-options.js';
import { AUTO_REMOVE_LABEL, RUN_LABEL, cleanupOnExit, openCriRuntime, openReleased, releaseExitedRuns, releaseRunOf, removeWithRunSandbox, startRun, withRuns } from './cri-runs.js';

/** The channel protocol's size (Width, Height) as CRI spells it. */
const criSize = (size: { Width: number; Height: number }) => ({ width: size.Width, height: size.Height });

/**
 * `cri exec -i`/`-t`: the runtime's streaming exec with this process's stdin, stdout and stderr,
 * and with -t this terminal in raw mode (Ctrl-C goes to the command) following its size.
 * Answers the command's exit code.
 */
export async function streamingExec(runtime: RuntimeService, id: string, cmd: string[], options: { stdin: boolean; tty: boolean }): Promise<number> {
  const terminal = options.tty && options.stdin ? rawTerminal() : undefined;
  const session = await runtime.exec(id, { cmd, tty: options.tty, stdin: options.stdin, ...(terminal ? { size: criSize(terminal.size()) } : {}) });
  const stopResizes = terminal?.onResize((size) => session.resize(criSize(size)));
  const outputs = [session.stdout, session.stderr].flatMap((from, i) => {
    if (!from) return [];
    from.pipe(i === 0 ? process.stdout : process.stderr, { end: false });
    return [new Promise((resolve) => from.once('end', resolve).once('close', resolve))];
  });
  if (options.stdin && session.stdin) {
    session.stdin.on('error', () => undefined);
    process.stdin.pipe(session.stdin);
  }
  try {
    const code = await session.exited;
    await Promise.all(outputs);
    return code;
  } finally {
    stopResizes?.();
    terminal?.restore();
    if (options.stdin) process.stdin.destroy();
  }
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

/** `start` of one container, under the run lock (runs that exited unnoticed released first); its full ID. */
function startOne(opts: CriGlobalOptions, env: CriEnv, id: string, monitor: MonitorOptions): Promise<string> {
  return withRuns(opts, env, async ({ runtime }) => {
    await releaseExitedRuns(runtime);
    return startRun(runtime, id, monitor);
  });
}

/**
 * A foreground run (or `start -a`): the container's output until it exits (SIGINT/SIGTERM stop
 * it), its exit code as this process's, then its run released as conmon's exit command would.
 */
async function attachUntilExit(runtime: RuntimeService, id: string, opts: CriGlobalOptions, env: CriEnv, logs: ReadLogsOptions): Promise<void> {
  const stop = () => void runtime.stopContainer(id, 10);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await streamLogs(runtime, id, { ...logs, follow: true });
  process.exitCode = (await runtime.containerStatus(id)).exitCode;
  await withRuns(opts, env, ({ runtime: now }) => releaseRunOf(now, id));
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
    .option('--rm', 'remove the container and its sandbox when it exits')
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
      const opts = criOptions(cmd);
      const { images, runtime } = await openReleased(opts, env);
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
        // A detached container is released by conmon's exit command; a foreground one by this process.
        const monitor = flags.detach ? cleanupOnExit(opts, env) : {};
        id = await runtime.createContainer(sb, { metadata: { name, attempt: 0 }, image: { image }, ...(command.length ? { args: command } : {}), envs, linux: { resources } }, sandboxConfig, monitor);
        await runtime.startContainer(id);
      } catch (e) {
        await runtime.removePodSandbox(sb);
        throw e;
      }
      if (flags.detach) {
        process.stdout.write(`${id}\n`);
        return;
      }
      await attachUntilExit(runtime, id, opts, env, {});
    });

  cri
    .command('start')
    .description('start exited containers again, with the same writable layer, config and ports (like docker start)')
    .option('-a, --attach', "follow the container's output until it exits, and exit with its code")
    .argument('<ids...>', 'container IDs or unique prefixes')
    .action(async (ids: string[], flags: { attach?: boolean }, cmd: Command) => {
      const opts = criOptions(cmd);
      if (flags.attach && ids.length !== 1) throw new Error('--attach takes one container');
      const since = Date.now();
      for (const id of ids) {
        // Attached, this process releases the run when it exits, as a foreground run does.
        const monitor = flags.attach ? {} : cleanupOnExit(opts, env);
        const full = await startOne(opts, env, id, monitor);
        if (flags.attach) await attachUntilExit(openCriRuntime(opts, env).runtime, full, opts, env, { sinceTime: since });
        else process.stdout.write(`${id}\n`);
      }
    });

  cri
    .command('cleanup', { hidden: true })
    .description('release a run whose container has exited (what conmon runs when a detached container exits)')
    .argument('<id>', 'container ID')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      await withRuns(criOptions(cmd), env, ({ runtime }) => releaseRunOf(runtime, id));
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

  /** `stop` and `restart`: the same flags; each container stopped, then `then` for it, then `done`. */
  const stopping = (name: string, description: string, then: (opts: CriGlobalOptions, id: string) => Promise<unknown>, done: (opts: CriGlobalOptions) => Promise<unknown>) =>
    cri
      .command(name)
      .description(description)
      .addOption(new Option('-t, --time <seconds>', 'seconds to wait before killing').default('10'))
      .argument('<ids...>', 'container IDs or unique prefixes')
      .action(async (ids: string[], flags: { time: string }, cmd: Command) => {
        const opts = criOptions(cmd);
        const t = Number(flags.time);
        if (!(t >= 0)) throw new Error('--time must be a non-negative number');
        const { runtime } = await openReleased(opts, env);
        for (const id of ids) {
          await runtime.stopContainer(id, t);
          await then(opts, id);
          process.stdout.write(`${id}\n`);
        }
        await done(opts);
      });
  // Detached ones are released by their exit command too; whichever comes second finds nothing to do.
  stopping('stop', 'stop containers (stop signal, then SIGKILL after the timeout)', async () => undefined, (opts) => withRuns(opts, env, ({ runtime }) => releaseExitedRuns(runtime)));
  // The cleanup a detached one's exit command starts comes after start's lock, finds it running, and leaves it.
  stopping('restart', 'stop containers made by run, then start them again (like docker restart)', (opts, id) => startOne(opts, env, id, cleanupOnExit(opts, env)), async () => undefined);

  cri
    .command('rm')
    .description('remove containers (and the sandbox `run` made for them)')
    .option('-f, --force', 'kill running containers first')
    .argument('<ids...>', 'container IDs or unique prefixes')
    .action(async (ids: string[], flags: { force?: boolean }, cmd: Command) => {
      await withRuns(criOptions(cmd), env, async ({ runtime }) => {
        await releaseExitedRuns(runtime);
        for (const id of ids) {
          const st = await runtime.containerStatus(id);
          if (st.state === 'CONTAINER_RUNNING' && !flags.force) throw new Error(`container ${short(st.id)} is running: stop it first or use --force`);
          await removeWithRunSandbox(runtime, st.id);
          process.stdout.write(`${id}\n`);
        }
      });
    });

  cri
    .command('exec')
    .description('run a command in a running container')
    .option('--timeout <seconds>', 'kill the command after this many seconds (0: none; without -i and -t only)', '0')
    .option('-i, --interactive', 'keep stdin open and pass it to the command')
    .option('-t, --tty', 'give the command a terminal (this terminal, in raw mode, when stdin is one)')
    .argument('<id>', 'container ID or unique prefix')
    .argument('<command...>', 'command and arguments (after --)')
    .action(async (id: string, command: string[], flags: { timeout: string; interactive?: boolean; tty?: boolean }, cmd: Command) => {
      const { runtime } = openCriRuntime(criOptions(cmd), env);
      if (flags.interactive || flags.tty) {
        process.exitCode = await streamingExec(runtime, id, command, { stdin: Boolean(flags.interactive), tty: Boolean(flags.tty) });
        return;
      }
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
