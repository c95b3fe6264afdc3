// What plain `skiff up` needs before the supervisor exists: the defaults and how to start
// `skiff up --foreground` detached. Apart from up.ts so that the command a user waits on loads
// none of the supervisor's code (credentials, YAML, kubeconfigs) before it spawns it.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { componentCommand, makeStateDir, PRIVATE_FILE_MODE, statePaths } from './state.js';

export const DEFAULTS = {
  apiPort: 6443,
  etcdPort: 2379,
  registryAddr: '127.0.0.1:5000',
  podCidr: '10.88.0.0/24',
  bridge: 'skiff0',
  serviceCidr: '10.96.0.0/16',
  nodePortRange: '30000-32767',
};

/**
 * V8's young generation may grow to 3 x 16 MB semi-spaces and a daemon keeps what it grew
 * to; 1 MB semi-spaces cost a few more scavenges on bursts and save 10-30 MB per daemon
 * (the API server most). A user's own --max-semi-space-size in NODE_OPTIONS is kept.
 */
export function daemonNodeOptions(): string {
  const user = process.env.NODE_OPTIONS ?? '';
  return /--max-semi-space-size/.test(user) ? user : `${user} --max-semi-space-size=1`.trim();
}

/** Starts `skiff up --foreground` detached, its output in the state dir; returns its PID. */
export async function startDetached(opts: { stateDir: string }, extraArgs: string[]): Promise<number> {
  const paths = statePaths(opts.stateDir);
  makeStateDir(paths);
  const out = openSync(`${paths.logDir}/skiff-up.log`, 'a', PRIVATE_FILE_MODE);
  const self = componentCommand();
  const child = spawn(self.command, [...self.args, 'up', '--foreground', '--state-dir', paths.root, ...extraArgs], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, SKIFF_LOG_JSON: '1', NODE_OPTIONS: daemonNodeOptions() },
  });
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the skiff supervisor');
  return child.pid;
}
