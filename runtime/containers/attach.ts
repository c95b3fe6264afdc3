// Attach (CRI's streaming Attach): the streams of a container's own process, which conmon
// holds: its output (conmon copies every chunk to the attached clients besides the log), its
// stdin when the container has `stdin` (conmon's `-i`), and with `tty` the pty's master
// (conmon's `-t`). conmon serves them on its attach socket, a SOCK_SEQPACKET socket in the
// bundle that Node cannot open; the spawn companion connects to it and hands this process a
// stream it relays, with conmon's packets framed as [pipe][length][data] (spawn-companion.c).
// Resizing writes `1 <height> <width>` to conmon's control fifo (ctrl.c's WIN_RESIZE_EVENT).
// Detaching closes the stream only: conmon keeps the container, and its stdin unless the
// container has `stdinOnce`.
import fs from 'node:fs';
import type net from 'node:net';
import { PassThrough } from 'node:stream';
import { RuntimeError, type AttachOptions, type StreamSession, type TerminalSize } from '../cri.js';
import { controlFifo } from '../oci/conmon.js';
import { attachViaCompanion } from '../oci/spawner.js';
import type { ContainerRecord, RuntimeContext } from '../runtime-context.js';
import { getContainer, refreshContainer, waitForExit } from './container-state.js';

/** conmon's stdpipe_t values on the attach socket. */
const STDOUT_PIPE = 2;
const STDERR_PIPE = 3;
/** conmon writes its exit file before it exits and closes the socket; a little slack for a slow disk. */
const EXIT_FILE_WAIT_MS = 5_000;
/**
 * conmon 2.1's control reader hands the first line of a read to its handler once for every
 * line in it (ctrl.c, read_from_ctrl_buffer; the winsz pipe it relays a size through is read
 * the same way): two sizes written close together come out as the first one twice. kubectl
 * sends two at once (its size plus one, then its size, to force a SIGWINCH), so sizes are
 * written only once they have stopped coming for this long, the latest winning.
 */
const RESIZE_QUIET_MS = 50;

export async function attach(ctx: RuntimeContext, idOrPrefix: string, options: AttachOptions): Promise<StreamSession> {
  const rec = await refreshContainer(ctx, getContainer(ctx, idOrPrefix));
  if (rec.state !== 'CONTAINER_RUNNING') throw new RuntimeError('FailedPrecondition', `container ${rec.id} is not running (${rec.state})`);
  const connecting = attachViaCompanion(rec.bundle);
  if (!connecting) {
    throw new RuntimeError('Unavailable', 'attach needs the spawn companion (dist/bin/skiff-spawn), which is switched off (SKIFF_SPAWN_HELPER=0) or was not built (no C compiler)');
  }
  let sock: net.Socket;
  try {
    sock = await connecting;
  } catch (e) {
    throw new RuntimeError('Unavailable', `attach to container ${rec.id}: ${(e as Error).message}`, { cause: e });
  }
  return session(ctx, rec, sock, options);
}

function session(ctx: RuntimeContext, rec: ContainerRecord, sock: net.Socket, options: AttachOptions): StreamSession {
  const tty = rec.config.tty === true;
  const stdout = new PassThrough();
  const stderr = tty ? stdout : new PassThrough();
  let detached = false;
  demux(sock, (pipe, data) => (pipe === STDERR_PIPE ? stderr : stdout).write(data));
  sock.on('error', () => sock.destroy());
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
  void closed.then(() => {
    stdout.end();
    stderr.end();
  });
  // The stream ends when conmon closes it, as it exits after the container: its exit file says how.
  const exited = closed.then(async () => {
    if (detached) return new Promise<number>(() => undefined);
    await waitForExit(ctx, rec, EXIT_FILE_WAIT_MS);
    return rec.state === 'CONTAINER_EXITED' ? rec.exitCode : 255;
  });
  let latest: TerminalSize | undefined;
  let quiet: NodeJS.Timeout | undefined;
  const resize = (s: TerminalSize) => {
    if (!tty || detached || s.width <= 0 || s.height <= 0) return;
    latest = s;
    clearTimeout(quiet);
    quiet = setTimeout(() => {
      if (!detached && latest) writeControl(rec, `1 ${latest.height} ${latest.width}\n`);
    }, RESIZE_QUIET_MS);
    quiet.unref();
  };
  if (options.size) resize(options.size);
  return {
    // The socket itself: what is written is the container's stdin, end() this session's end of it.
    stdin: options.stdin && rec.config.stdin ? sock : undefined,
    stdout,
    stderr: tty ? undefined : stderr,
    resize,
    exited,
    kill: () => {
      detached = true;
      clearTimeout(quiet);
      sock.destroy();
    },
  };
}

/** Splits the relayed stream back into conmon's packets: [pipe byte][u32 BE length][data]. */
function demux(sock: net.Socket, onPacket: (pipe: number, data: Buffer) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  sock.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 5) {
      const len = buf.readUInt32BE(1);
      if (buf.length < 5 + len) break;
      const pipe = buf[0] ?? 0;
      if ((pipe === STDOUT_PIPE || pipe === STDERR_PIPE) && len > 0) onPacket(pipe, buf.subarray(5, 5 + len));
      buf = buf.subarray(5 + len);
    }
  });
}

/**
 * One message to conmon's control fifo. Non-blocking: conmon holds its reading end open for
 * as long as it runs, so the open fails (ENXIO) only once conmon is gone, when nothing is to
 * be resized; a message this short is written whole or not at all.
 */
function writeControl(rec: ContainerRecord, message: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(controlFifo(rec.bundle), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    fs.writeSync(fd, message);
  } catch {
    // conmon gone, or its fifo full: the size is not set, which the next resize repeats
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
