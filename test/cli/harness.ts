// A cluster for CLI suites: a real etcd and a real API server (fixtures/apiserver.ts's
// startApiCluster), a kubeconfig pointing at it (admin token), and `skiff(...)` running the CLI
// as its own process with stdout, stderr and exit code kept apart. Everything started here is stopped by stop(), by PID.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import type { RestClient } from '../../client/rest.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { perFile } from '../fixtures/per-file.js';
import { startSkiff } from '../fixtures/process.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Writes a file into the cluster's temporary directory and answers its path. */
export async function writeManifest(c: CliCluster, name: string, text: string): Promise<string> {
  const file = path.join(c.dir, name);
  await writeFile(file, text);
  return file;
}

export interface CliCluster extends ApiCluster {
  /** An admin client, for setting up and checking what the CLI did (the cluster's `admin`). */
  rest: RestClient;
  dir: string;
  kubeconfig: string;
  skiff(args: string[], opts?: { stdin?: string; env?: NodeJS.ProcessEnv }): Promise<CliResult>;
  /** Starts a long-running skiff (get -w, logs -f); the caller stops it by its PID. */
  spawn(args: string[]): ReturnType<typeof startSkiff>;
}

/** The file's CLI cluster (fixtures/per-file.ts): `ready` gets it in beforeAll, afterAll stops it. */
export function cliClusterPerFile(ready: (c: CliCluster) => void | Promise<void>): void {
  perFile(startCliCluster, (c) => c.stop(), ready);
}

export async function startCliCluster(): Promise<CliCluster> {
  const cluster = await startApiCluster();
  const { api } = cluster;
  try {
    const dir = await cluster.tempDir('skiff-cli-');
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, buildKubeconfig({ server: api.url, token: api.adminToken, name: 'test' }));
    const env = { KUBECONFIG: kubeconfig, HOME: dir };
    return {
      ...cluster,
      rest: cluster.admin,
      dir,
      kubeconfig,
      spawn(args) {
        return startSkiff(args, { env: { ...process.env, ...env } });
      },
      async skiff(args, opts = {}) {
        const proc = startSkiff(args, { env: { ...process.env, ...env, ...(opts.env ?? {}) }, stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        proc.child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
        proc.child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
        if (opts.stdin !== undefined) proc.child.stdin?.end(opts.stdin);
        const timer = setTimeout(() => void proc.stop(1000), 30_000);
        const { code } = await proc.exited;
        clearTimeout(timer);
        return { code, stdout, stderr };
      },
    };
  } catch (e) {
    await cluster.stop();
    throw e;
  }
}
