// The installed kubectl against a real skiff API server on a real etcd (fixtures/apiserver.ts's
// startApiCluster, with its clients, hollow nodes and scheduler), over HTTPS with the
// admin token and a private HOME and cache: what the compat suites share. `kubectl()` never
// throws on a non-zero exit; `version` picks one of the installed kubectl 1.27-1.33.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';
import { KUBECTL, kubectlBinary } from '../fixtures/kubectl-stream-checks.js';
import { parseGoDuration } from '../../api/duration.js';
import { haveTool } from '../fixtures/tools.js';

// Where kubectl and its versioned binaries are: known in one place, the stream checks' fixture.
export { KUBECTL, kubectlBinary };
/** Outside CI a missing kubectl skips the compat suites; under CI it fails them (fixtures/tools.ts). */
export const haveKubectl = haveTool(KUBECTL);

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface KubectlCluster extends ApiCluster {
  dir: string;
  /** kubectl's environment: PATH, a private HOME and cache, KUBECONFIG. */
  env: NodeJS.ProcessEnv;
  /** `env` adds to kubectl's environment (KUBE_EDITOR, KUBECTL_EXTERNAL_DIFF); `timeoutMs` (default 30 s) for a long verb (drain). */
  kubectl(args: string[], opts?: { stdin?: string; version?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<KubectlResult>;
}

/**
 * `nodes`: names that get node tokens (api.nodeToken), as startApiServer takes them.
 * `process`: the API server as a `skiff apiserver` process at this log level, so a suite can
 * read its log (api.proc.output()); in-process otherwise.
 */
/** 30 s, or kubectl's own `--timeout=D` (rollout status, wait, drain) and 10 s more: kubectl's limit decides, not ours. */
function killAfterMs(args: string[]): number {
  const flag = args.find((a) => a.startsWith('--timeout='));
  if (!flag) return 30_000;
  try {
    return parseGoDuration(flag.slice('--timeout='.length)) + 10_000;
  } catch {
    return 30_000;
  }
}

export async function startKubectlCluster(opts: { nodes?: string[]; process?: { logLevel: string } } = {}): Promise<KubectlCluster> {
  const cluster = await startApiCluster({ inProcess: !opts.process, tls: true, ...(opts.nodes ? { nodes: opts.nodes } : {}), ...(opts.process ? { logLevel: opts.process.logLevel } : {}) });
  const { api } = cluster;
  try {
    const dir = await cluster.tempDir('skiff-compat-');
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, buildKubeconfig({ server: api.httpsUrl as string, ca: await readFile(api.caFile as string), token: api.adminToken, name: 'compat' }));
    // HOME and the cache dir private to this run: no ~/.kube of the machine's user is read or written.
    const env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: path.join(dir, 'cache') };
    return {
      ...cluster,
      dir,
      env,
      kubectl(args, opts = {}) {
        return new Promise((resolve) => {
          const child = execFile(kubectlBinary(opts.version), args, { env: { ...env, ...opts.env }, encoding: 'utf8', timeout: opts.timeoutMs ?? killAfterMs(args) }, (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
            // Killed by our own limit: say so, rather than leave an exit code 1 with nothing on stderr.
            resolve({ code, stdout, stderr: err?.killed ? `${stderr}[killed by the harness after ${opts.timeoutMs ?? killAfterMs(args)} ms]\n` : stderr });
          });
          if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
          else child.stdin?.end();
        });
      },
    };
  } catch (e) {
    await cluster.stop();
    throw e;
  }
}
