import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerStatus, LogLine, RuntimeService } from '../runtime/cri.js';
import { terminationAnnotations, terminationMessageMount, readTerminationMessage } from './termination-message.js';
import { makePod } from './testing/builders.js';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-tmsg-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** Only readLogs is used: the container's log, one LogLine per entry. */
function logs(lines: string[]): RuntimeService {
  return {
    async *readLogs(_id: string, o?: { tailLines?: number }): AsyncIterable<LogLine> {
      for (const line of lines.slice(-(o?.tailLines ?? lines.length))) yield { time: '', stream: 'stdout', partial: false, line };
    },
  } as unknown as RuntimeService;
}

let n = 0;
function exited(exitCode: number, hostPath: string | undefined, policy: 'File' | 'FallbackToLogsOnError' = 'File'): ContainerStatus {
  const c = { name: 'app', image: 'x', terminationMessagePolicy: policy };
  return {
    id: `c${++n}`,
    metadata: { name: 'app', attempt: 0 },
    state: 'CONTAINER_EXITED',
    createdAt: 1,
    startedAt: 1,
    finishedAt: 2,
    exitCode,
    image: { image: 'x' },
    imageRef: 'x',
    reason: exitCode ? 'Error' : 'Completed',
    message: '',
    labels: {},
    annotations: terminationAnnotations(c),
    mounts: hostPath ? [{ containerPath: '/dev/termination-log', hostPath }] : [],
    logPath: '',
  };
}

describe('termination messages', () => {
  it('makes an empty, world-writable file per instance, mounted at the path; none when a volume sits there', async () => {
    const pod = makePod({ containers: [{ name: 'app', image: 'x' }] });
    const a = await terminationMessageMount(root, pod, pod.spec.containers[0]);
    const b = await terminationMessageMount(root, pod, pod.spec.containers[0]);
    expect(a?.containerPath).toBe('/dev/termination-log');
    expect(a?.hostPath).not.toBe(b?.hostPath);
    const st = await fs.stat(a?.hostPath ?? '');
    expect([st.size, st.mode & 0o777]).toEqual([0, 0o666]);
    const shadowed = { name: 'app', image: 'x', terminationMessagePath: '/msg/out', volumeMounts: [{ name: 'v', mountPath: '/msg/out' }] };
    expect(await terminationMessageMount(root, pod, shadowed)).toBeUndefined();
  });

  it('reads at most 4096 bytes of the file, as written; nothing while the container runs', async () => {
    const f = path.join(root, 'big');
    await fs.writeFile(f, 'x'.repeat(5000));
    expect(await readTerminationMessage(logs([]), exited(1, f))).toBe('x'.repeat(4096));
    const g = path.join(root, 'bye');
    await fs.writeFile(g, 'bye\n');
    expect(await readTerminationMessage(logs([]), exited(0, g))).toBe('bye\n');
    expect(await readTerminationMessage(logs([]), { ...exited(0, g), state: 'CONTAINER_RUNNING' })).toBeUndefined();
  });

  it('FallbackToLogsOnError: the last 80 lines, at most 2048 bytes, only for a failed container with an empty file', async () => {
    const empty = path.join(root, 'empty');
    await fs.writeFile(empty, '');
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`);
    const tail = await readTerminationMessage(logs(lines), exited(2, empty, 'FallbackToLogsOnError'));
    expect(tail).toBe(lines.slice(20).map((l) => `${l}\n`).join(''));
    const long = Array.from({ length: 80 }, (_, i) => `${String(i).padStart(3, '0')} ${'y'.repeat(60)}`);
    const cut = (await readTerminationMessage(logs(long), exited(2, empty, 'FallbackToLogsOnError'))) ?? '';
    expect(Buffer.byteLength(cut)).toBe(2048);
    expect(cut.endsWith(`${long[79]}\n`)).toBe(true);
    expect(await readTerminationMessage(logs(lines), exited(0, empty, 'FallbackToLogsOnError'))).toBe('');
    expect(await readTerminationMessage(logs(lines), exited(2, empty, 'File'))).toBe('');
  });
});
