// Reading a container's CRI log (tail, since, follow until it exits, the previous instance's
// log), and rotating it by size the kubelet's way: rename, then ask conmon to reopen its file
// through the `ctl` FIFO in the bundle ("2 0 0": conmon's reopen-logs event, as CRI-O's
// ReopenContainerLog sends it).
import fs from 'node:fs/promises';
import path from 'node:path';
import { isRuntimeError, RuntimeError, type LogLine, type ReadLogsOptions } from '../cri.js';
import { readCriLog, rotateLogFiles } from '../logs/cri-log.js';
import type { ContainerRecord, RuntimeContext } from '../runtime-context.js';
import { getContainer, refreshContainer } from './container-state.js';

/** How long a rotation waits for conmon to reopen the log before it returns anyway. */
const REOPEN_WAIT_MS = 1000;

function previousOf(ctx: RuntimeContext, rec: ContainerRecord): ContainerRecord {
  const attempt = rec.config.metadata.attempt ?? 0;
  const older = [...ctx.containers.values()]
    .filter((c) => c.sandboxId === rec.sandboxId && c.config.metadata.name === rec.config.metadata.name && (c.config.metadata.attempt ?? 0) < attempt)
    .sort((a, b) => (b.config.metadata.attempt ?? 0) - (a.config.metadata.attempt ?? 0));
  if (!older[0]) throw new RuntimeError('NotFound', `previous terminated container "${rec.config.metadata.name}" not found`);
  return older[0];
}

export async function* readLogs(ctx: RuntimeContext, idOrPrefix: string, options: ReadLogsOptions = {}): AsyncGenerator<LogLine> {
  let rec = getContainer(ctx, idOrPrefix);
  if (options.previous) rec = previousOf(ctx, rec);
  const target = rec;
  yield* readCriLog(target.logPath, options, {
    stillWriting: async () => {
      if (!ctx.containers.has(target.id)) return false;
      try {
        await refreshContainer(ctx, target);
      } catch (e) {
        // removed by another process meanwhile (a detached `--rm` run's cleanup): its log is over
        if (isRuntimeError(e, 'NotFound')) return false;
        throw e;
      }
      return target.state !== 'CONTAINER_EXITED';
    },
  });
}

/** Rotates the log of a running container, keeping `maxFiles` files in all. */
export async function rotateContainerLog(ctx: RuntimeContext, idOrPrefix: string, maxFiles = 5): Promise<void> {
  const rec = await refreshContainer(ctx, getContainer(ctx, idOrPrefix));
  await rotateLogFiles(rec.logPath, maxFiles);
  if (rec.state === 'CONTAINER_EXITED') return;
  // O_NONBLOCK|O_WRONLY: the FIFO has conmon as its reader while it lives; never hang on it.
  const fh = await fs.open(path.join(rec.bundle, 'ctl'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  try {
    await fh.write('2 0 0\n');
  } finally {
    await fh.close();
  }
  // conmon reopens asynchronously; the new file exists once it has (given up to a second).
  const deadline = Date.now() + REOPEN_WAIT_MS;
  while (Date.now() < deadline) {
    if (await fs.stat(rec.logPath).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}
