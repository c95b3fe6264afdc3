// Starting helper processes (ip, CNI plugins, the OCI runtime's monitor conmon) from a small
// companion process instead of from this one. Node forks with fork(2): the kernel copies the
// page tables of the whole calling process, write-protects its memory on every CPU, and the
// calling thread waits until the child has exec'd. In a kubelet holding a hundred pods that is
// 2-3 ms of its only thread per command. The companion is a small C program
// (spawn-companion.c, compiled into dist/bin/skiff-spawn by the build) that starts commands
// with posix_spawn (a vfork: nothing copied) and does a few operations itself that would
// otherwise each be a command: pinning a network namespace with lo up, removing it, mounting
// and unmounting a root filesystem. And it opens port-forward connections in a pod's network
// namespace, which Node cannot (a socket belongs to the namespace it was made in), and hands
// the connected descriptor back over a Node IPC channel as Node's own handle message (the one
// the cluster module passes sockets with, stable since Node 0.x): the socket is then this
// process's own, with no relay process and no extra copy per connection. For attach it
// connects to conmon's attach socket (SOCK_SEQPACKET, which Node cannot open) and relays it to
// a stream socketpair whose other end it hands back the same way. And it starts the runtime's
// exec without a TTY (CRI Exec and ExecSync, stream-command.ts) with pipes for its stdio, whose
// other ends it hands back the same way, one message per stream: an exec no longer forks this
// process, whose event loop stood still for the fork (4-6 ms in a kubelet beside an API server).
// The companion exits when its stdin closes (this process went away, or left it idle) and its
// attach relays have ended; commands already started finish on their own.
// SKIFF_SPAWN_HELPER=0, or a build without the companion (no C compiler), starts every
// command (exec too) directly and makes the operations commands again.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { CommandResult } from './command-result.js';
import { commandWords, hex, parseLine, type FromHelper } from './companion-lines.js';
import type { CommandExit, StreamRequest, StreamedCommand } from './stream-command.js';

export interface SpawnRequest {
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Known input; or, with waitInput, sent later with input(). */
  input?: string;
  waitInput?: boolean;
  timeoutMs?: number;
}

export interface SpawnedCommand {
  result: Promise<CommandResult>;
  input(data: string): void;
  kill(): void;
}

/** A started monitor process (conmon): fd 3 read, fd 4 written, detached. */
export interface MonitorRequest {
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface MonitorHandle {
  /** What the process writes on its fd 3. */
  fd3: NodeJS.ReadableStream;
  /** Writes to its fd 4 and closes it. */
  endFd4(data: string): void;
  onExit(cb: (code: number | null) => void): void;
  onError(cb: (e: Error) => void): void;
  kill(): void;
  /** Forgets the process (it goes on by itself): pipes closed, nothing keeps this process alive for it. */
  release(): void;
}

interface Waiter {
  resolve?(r: CommandResult): void;
  /** A descriptor handed over on the IPC channel (connect, attach; stream gives its index). */
  onSocket?(s: net.Socket, stream: number | undefined): void;
  reject(e: Error): void;
  onMessage?(m: FromHelper): void;
}

/** How long the companion stays with nothing to do (SKIFF_SPAWN_HELPER_IDLE_MS overrides it). */
const IDLE_EXIT_MS = 3_000;

class Companion {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Waiter>();
  #next = 1;
  #buf = '';
  #idleTimer: NodeJS.Timeout | undefined;
  dead = false;

  constructor(program: string) {
    // fd 3 is Node's IPC channel, on which the companion hands over connected sockets.
    this.#child = spawn(program, [], { stdio: ['pipe', 'pipe', 'inherit', 'ipc'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
    this.#child.stdin?.on('error', () => undefined);
    this.#child.stdout?.on('data', (b: Buffer) => this.#onData(b));
    this.#child.on('message', (m: unknown, handle: unknown) => this.#onHandle(m, handle));
    const gone = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      for (const p of this.#pending.values()) p.reject(new Error(`the spawn companion ${why}`));
      this.#pending.clear();
    };
    this.#child.on('error', (e) => gone(`failed: ${e.message}`));
    this.#child.on('exit', (code, signal) => gone(`exited (${signal ?? code})`));
    this.#idle();
  }

  #onData(b: Buffer): void {
    this.#buf += b.toString();
    for (let nl = this.#buf.indexOf('\n'); nl >= 0; nl = this.#buf.indexOf('\n')) {
      const m = parseLine(this.#buf.slice(0, nl));
      this.#buf = this.#buf.slice(nl + 1);
      const p = this.#pending.get(m.id);
      if (!p) continue;
      if (p.onMessage) {
        p.onMessage(m);
        continue;
      }
      this.#forget(m.id);
      if (m.t === 'done') p.resolve?.({ code: m.code ?? (m.signal ? 128 + 9 : 1), stdout: m.stdout, stderr: m.stderr });
      else if (m.t === 'error') p.reject(new Error(m.message));
    }
  }

  #onHandle(m: unknown, handle: unknown): void {
    const { connect: id, stream } = (m ?? {}) as { connect?: unknown; stream?: unknown };
    const socket = handle as net.Socket | undefined;
    const p = typeof id === 'number' ? this.#pending.get(id) : undefined;
    if (!p?.onSocket || !socket) {
      socket?.destroy();
      return;
    }
    p.onSocket(socket, typeof stream === 'number' ? stream : undefined);
  }

  #forget(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#idle();
  }

  #add(id: number, w: Waiter): void {
    this.#pending.set(id, w);
    if (this.#pending.size === 1) this.#busy();
  }

  /**
   * Nothing pending: the companion must not keep this process alive, and after a while with
   * nothing to do it goes (a node at rest should not hold a process for it); the next
   * command starts a new one.
   */
  #idle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#pending.size > 0 || this.dead) return;
      this.dead = true;
      this.#child.stdin?.end();
    }, Number(process.env.SKIFF_SPAWN_HELPER_IDLE_MS ?? IDLE_EXIT_MS));
    this.#idleTimer.unref();
    this.#hold(false);
  }

  #busy(): void {
    clearTimeout(this.#idleTimer);
    this.#hold(true);
  }

  /** Whether the companion (its process and pipes) keeps this process's event loop alive. */
  #hold(on: boolean): void {
    for (const h of [this.#child, this.#child.stdout, this.#child.stdin, this.#child.channel] as unknown as ({ ref?(): void; unref?(): void } | null)[]) {
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  }

  #send(words: (string | number)[]): void {
    this.#child.stdin?.write(`${words.join(' ')}\n`);
  }

  run(req: SpawnRequest): SpawnedCommand {
    const id = this.#next++;
    const kill = () => this.#send(['kill', id]);
    const timer = req.timeoutMs ? setTimeout(kill, req.timeoutMs) : undefined;
    const result = new Promise<CommandResult>((resolve, reject) => this.#add(id, { resolve, reject }));
    if (timer) result.then(() => clearTimeout(timer), () => clearTimeout(timer));
    this.#send(['run', id, req.waitInput ? 1 : 0, ...commandWords(req.cmd, req.args, req.env), hex(req.waitInput ? '' : (req.input ?? ''))]);
    return { result, input: (data) => this.#send(['input', id, hex(data)]), kill };
  }

  /** An operation the companion does itself; answered as a command would be (code 0, or 1 with the reason in stderr). */
  op(op: CompanionOp, args: string[]): Promise<CommandResult> {
    const id = this.#next++;
    const result = new Promise<CommandResult>((resolve, reject) => this.#add(id, { resolve, reject }));
    this.#send([op, id, ...args.map(hex)]);
    return result;
  }

  /** A socket connected to localhost:port in the network namespace pinned at netnsPath (the companion's own when undefined). */
  connect(netnsPath: string | undefined, port: number): Promise<net.Socket> {
    return this.#handOver('connect', [netnsPath ?? '', String(port)]);
  }

  /** A stream relayed to conmon's attach socket in dir (framing in spawn-companion.c). */
  attach(dir: string): Promise<net.Socket> {
    return this.#handOver('attach', [dir]);
  }

  /** An operation the companion answers with a descriptor (or with a failure). */
  #handOver(op: 'connect' | 'attach', args: string[]): Promise<net.Socket> {
    const id = this.#next++;
    const socket = new Promise<net.Socket>((resolve, reject) => {
      const failed = (why: string) => reject(new Error(why));
      this.#add(id, {
        onSocket: (s) => {
          this.#forget(id);
          resolve(s);
        },
        reject,
        // Without a socket the answer is a failure: `done` with code 1 and the reason, or `error`.
        onMessage: (m) => {
          this.#forget(id);
          failed(m.t === 'done' ? m.stderr || `${op} failed (code ${m.code})` : m.t === 'error' ? m.message : `unexpected answer to ${op}: ${m.t}`);
        },
      });
    });
    this.#send([op, id, ...args.map(hex)]);
    return socket;
  }

  /**
   * A command with pipes for its streams, their ends handed to this process as sockets (Node's
   * handle message, one per stream with its index); answered when all have come.
   */
  stream(req: StreamRequest): Promise<StreamedCommand> {
    const id = this.#next++;
    const want = req.stdin ? 3 : 2;
    const pipes = new Map<number, net.Socket>();
    let ended: ((e: CommandExit) => void) | undefined;
    let failed: ((e: Error) => void) | undefined;
    const exited = new Promise<CommandExit>((resolve, reject) => ([ended, failed] = [resolve, reject]));
    exited.catch(() => undefined); // a failure before the answer is the answer's
    let exitSeen = false;
    const settle = () => {
      if (exitSeen && pipes.size === want) this.#forget(id);
    };
    return new Promise<StreamedCommand>((resolve, reject) => {
      let answered = false;
      const fail = (e: Error) => {
        this.#forget(id);
        // Before the answer, pipes that came are no one's; after it, they are the caller's.
        if (!answered) for (const p of pipes.values()) p.destroy();
        reject(e);
        failed?.(e);
      };
      this.#add(id, {
        reject: fail,
        onSocket: (s, stream) => {
          if (stream === undefined || stream < 3 - want || stream > 2 || pipes.has(stream)) return void s.destroy();
          pipes.set(stream, s);
          // As Node's ChildProcess does: once the command has exited, its stdin goes.
          if (stream === 0 && exitSeen) s.destroy();
          settle();
          if (pipes.size < want) return;
          const stdin = pipes.get(0);
          // Only written: reading it would fail (EBADF) once the command closes its end. And a
          // pipe cannot be shut down like a socket: its end is closing it, once all is written.
          if (stdin) stopReading(stdin);
          stdin?.once('finish', () => stdin.destroy());
          answered = true;
          resolve({ stdin, stdout: pipes.get(1) as net.Socket, stderr: pipes.get(2) as net.Socket, exited, kill: () => this.#send(['kill', id]) });
        },
        onMessage: (m) => {
          if (m.t !== 'exit') return fail(new Error(m.t === 'error' ? m.message : `unexpected answer to stream: ${m.t}`));
          exitSeen = true;
          pipes.get(0)?.destroy();
          ended?.({ code: m.code, signal: m.signal });
          settle();
        },
      });
      this.#send(['stream', id, req.stdin ? 1 : 0, ...commandWords(req.cmd, req.args, req.env)]);
    });
  }

  monitor(req: MonitorRequest): MonitorHandle {
    const id = this.#next++;
    const fd3 = new PassThrough();
    const exits: ((code: number | null) => void)[] = [];
    const errors: ((e: Error) => void)[] = [];
    this.#add(id, {
      reject: (e) => {
        for (const cb of errors) cb(e);
      },
      onMessage: (m) => {
        if (m.t === 'fd3') fd3.write(m.data);
        else if (m.t === 'fd3end') fd3.end();
        else if (m.t === 'exit') for (const cb of exits) cb(m.code);
        else if (m.t === 'error') for (const cb of errors) cb(new Error(m.message));
      },
    });
    this.#send(['monitor', id, hex(req.cwd), ...commandWords(req.cmd, req.args, req.env)]);
    return {
      fd3,
      endFd4: (data) => this.#send(['write4', id, hex(data)]),
      onExit: (cb) => exits.push(cb),
      onError: (cb) => errors.push(cb),
      kill: () => this.#send(['kill', id]),
      release: () => {
        if (!this.#pending.has(id)) return;
        this.#send(['release', id]);
        this.#forget(id);
        fd3.destroy();
      },
    };
  }
}

/**
 * Stops the reading Node started on a handed-over socket (it makes every one readable). Node's
 * own child stdin is a socket it never reads; a pipe's write end read fails (EBADF) once the
 * command closes its end, which would be an error on a stream that is only written.
 */
function stopReading(s: net.Socket): void {
  // _handle is Node's internal (a Pipe here); readStop() is what pause() calls on it.
  (s as unknown as { _handle?: { readStop?(): number } })._handle?.readStop?.();
}

let shared: Companion | undefined;
let program: string | null | undefined;

/**
 * The compiled companion (looked up once): dist/bin/skiff-spawn, beside the built modules
 * (dist/runtime/oci/) or, for the sources run directly, under dist/ of the same tree. null
 * when the build made none.
 */
function findCompanion(): string | null {
  if (program !== undefined) return program;
  program = null;
  for (const rel of ['../../bin/skiff-spawn', '../../dist/bin/skiff-spawn']) {
    const p = path.resolve(import.meta.dirname, rel);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      program = p;
      break;
    } catch {
      // not here
    }
  }
  return program;
}

/** Whether commands start from the companion: it was built, and SKIFF_SPAWN_HELPER=0 does not switch it off. */
export function companionEnabled(): boolean {
  return process.env.SKIFF_SPAWN_HELPER !== '0' && findCompanion() !== null;
}

function companionInUse(): Companion | undefined {
  if (!companionEnabled()) return undefined;
  if (!shared || shared.dead) shared = new Companion(findCompanion() as string);
  return shared;
}

/** Starts a command through the companion (started, or restarted, on first use); undefined when it is switched off. */
export function spawnViaCompanion(req: SpawnRequest): SpawnedCommand | undefined {
  return companionInUse()?.run(req);
}

/** Starts a command with its streams as pipes of this process through the companion; undefined when it is switched off. */
export function streamViaCompanion(req: StreamRequest): Promise<StreamedCommand> | undefined {
  return companionInUse()?.stream(req);
}

/** Starts a monitor process (conmon) through the companion; undefined when it is switched off. */
export function monitorViaCompanion(req: MonitorRequest): MonitorHandle | undefined {
  return companionInUse()?.monitor(req);
}

/** A socket connected to localhost:port inside a network namespace, made by the companion; undefined when it is switched off. */
export function connectViaCompanion(netnsPath: string | undefined, port: number): Promise<net.Socket> | undefined {
  return companionInUse()?.connect(netnsPath, port);
}

/**
 * A stream relayed by the companion to conmon's attach socket (`attach`, SOCK_SEQPACKET, in
 * dir): conmon's packets arrive as [pipe byte][4-byte big-endian length][data]; what is
 * written goes to the container's stdin; end() ends this session's input; destroy() detaches.
 * undefined when the companion is switched off.
 */
export function attachViaCompanion(dir: string): Promise<net.Socket> | undefined {
  return companionInUse()?.attach(dir);
}

/**
 * The operations the companion does itself, with their words:
 * netns-add <path> (a new network namespace with lo up, pinned at path), netns-del <path>,
 * mount <type> <source> <target> <data> (mount(2) with no flags), umount <target> <0|1 (detach)>.
 */
export type CompanionOp = 'netns-add' | 'netns-del' | 'mount' | 'umount';

/** Has the companion do an operation; undefined when it is switched off (the caller runs the equivalent command). */
export function opViaCompanion(op: CompanionOp, args: string[]): Promise<CommandResult> | undefined {
  return companionInUse()?.op(op, args);
}
