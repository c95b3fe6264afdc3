// A lab for a suite: `skiff lab up` in a temporary state dir with the given flags, an admin
// client from its kubeconfig, a busybox image pushed to its registry (with the lab's registry
// credentials, from the docker-style config `lab up` writes in its state dir), and `lab down` after.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { connectionFromKubeconfig } from '../../client/kubeconfig.js';
import { RestClient } from '../../client/rest.js';
import { statePaths } from '../../cluster/state.js';
import { readDockerAuths } from '../../runtime/images/docker-config.js';
import { eventually } from '../fixtures/eventually.js';
import { buildBusyboxImage, openStore, pushImage } from '../fixtures/images.js';
import { repoRoot, skiffEntry } from '../fixtures/process.js';

const exec = promisify(execFile);
export const skiff = (args: string[]) => exec(process.execPath, [skiffEntry, ...args], { cwd: repoRoot, timeout: 300_000, env: { ...process.env, SKIFF_LOG_JSON: '1' } });

/** Lab-paced polling: nodes and pods in namespaces take seconds, not milliseconds. */
export const eventuallyInLab = <T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> => eventually(f, what, timeoutMs, { intervalMs: 500 });

export interface LabState {
  ports: { registry: number };
  etcd: { members: { name: string; clientUrl: string; peerUrl: string }[] };
}

export interface Lab {
  name: string;
  base: string;
  /** The lab's state dir (lab.json, kubeconfig, status.json). */
  dir: string;
  upOutput: string;
  client: RestClient;
  state: LabState;
  /** busybox (Cmd sh) in the lab's registry. */
  image: string;
  down(): Promise<void>;
}

export async function startLab(name: string, flags: string[]): Promise<Lab> {
  const base = await mkdtemp(path.join(os.tmpdir(), `skiff-lab-${name}-`));
  const dir = path.join(base, 'labs', name);
  let client: RestClient | undefined;
  const down = async () => {
    client?.close();
    await skiff(['lab', 'down', '--name', name, '--state-dir', base]).catch(() => undefined);
    await rm(base, { recursive: true, force: true });
  };
  try {
    const up = await skiff(['lab', 'up', '--name', name, '--state-dir', base, ...flags]);
    client = new RestClient(connectionFromKubeconfig({ kubeconfig: path.join(dir, 'kubeconfig') }));
    const state = JSON.parse(readFileSync(path.join(dir, 'lab.json'), 'utf8')) as LabState;
    const storeDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-lab-img-'));
    try {
      const img = await buildBusyboxImage(await openStore(storeDir), { config: { Cmd: ['sh'] } });
      const host = `127.0.0.1:${state.ports.registry}`;
      const auth = (await readDockerAuths([statePaths(dir).dockerConfig]))[host];
      await pushImage(host, 'skiff/busybox:latest', await openStore(storeDir), img, auth);
    } finally {
      await rm(storeDir, { recursive: true, force: true });
    }
    return { name, base, dir, upOutput: up.stdout, client, state, image: `127.0.0.1:${state.ports.registry}/skiff/busybox:latest`, down };
  } catch (e) {
    await down();
    throw e;
  }
}
