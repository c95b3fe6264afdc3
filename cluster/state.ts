// The layout of a skiff state dir (default /var/lib/skiff): everything `skiff up` makes
// lives under it, so `down --purge` is one removal and two clusters never share a file; only
// the runtime's state is kept apart, in memory (`runtimeStateDir`), and `down` removes it.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { makePrivateDirSync, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writePrivateFile } from '../runtime/file-modes.js';
import { isAlive } from '../runtime/process-alive.js';
import { defaultStateDir } from '../runtime/state-dir.js';

export { isAlive, makePrivateDirSync as makePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writePrivateFile };

export interface StatePaths {
  root: string;
  pidFile: string;
  statusFile: string;
  logDir: string;
  kubeconfig: string;
  etcdDir: string;
  registryDir: string;
  /** The kubelet's --root; its runtime lives in kubeletRoot/runtime. */
  kubeletRoot: string;
  runtimeRoot: string;
  /**
   * The runtime's state dir (records and bundles, which hold pods' env): a tmpfs outside this
   * dir, so the one thing of a cluster that is not under it (runtime/state-dir.ts).
   */
  runtimeStateDir: string;
  registriesYaml: string;
  /** Docker-style client config with the local registry's credentials (DOCKER_CONFIG=<root>/docker). */
  dockerConfig: string;
}

/** Where `skiff up` keeps a cluster unless told otherwise. */
export const DEFAULT_STATE_DIR = process.env.SKIFF_STATE_DIR ?? '/var/lib/skiff';

export function statePaths(root: string): StatePaths {
  const r = path.resolve(root);
  return {
    root: r,
    pidFile: path.join(r, 'skiff.pid'),
    statusFile: path.join(r, 'status.json'),
    logDir: path.join(r, 'logs'),
    kubeconfig: path.join(r, 'kubeconfig'),
    etcdDir: path.join(r, 'etcd'),
    registryDir: path.join(r, 'registry'),
    kubeletRoot: path.join(r, 'kubelet'),
    runtimeRoot: path.join(r, 'kubelet', 'runtime'),
    runtimeStateDir: defaultStateDir(path.join(r, 'kubelet', 'runtime')),
    registriesYaml: path.join(r, 'registries.yaml'),
    dockerConfig: path.join(r, 'docker', 'config.json'),
  };
}

// A state dir holds secrets (keys, tokens, kubeconfigs, registry credentials, etcd's data) and
// what the cluster records about itself: root alone reads them, files 0600 in 0700 directories
// (runtime/file-modes.ts). Certificates are the only files another user may read (pki.ts
// writes them 0644).

/** The state dir and its log dir, both private; first thing a supervisor (or its starter) does. */
export function makeStateDir(paths: StatePaths): void {
  makePrivateDirSync(paths.root);
  makePrivateDirSync(paths.logDir);
}

/** The PID of the running supervisor of this state dir, if one is running. */
export function runningPid(paths: StatePaths): number | undefined {
  if (!existsSync(paths.pidFile)) return undefined;
  const pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/** argv to run this same skiff program again (works from dist/ and from sources under tsx). */
export function selfCommand(): { command: string; args: string[] } {
  const entry = process.argv[1];
  if (!entry) throw new Error('cannot find the skiff entry point');
  return { command: process.execPath, args: [...process.execArgv, entry] };
}

/**
 * argv to run one supervised component (`component.js` beside the skiff entry: it loads only
 * that component's module); the full program when that file is not there.
 */
export function componentCommand(): { command: string; args: string[] } {
  const self = selfCommand();
  const entry = self.args[self.args.length - 1];
  let real = entry;
  try {
    real = realpathSync(entry);
  } catch {
    // keep the path as given
  }
  const component = path.join(path.dirname(real), `component${path.extname(real)}`);
  return existsSync(component) ? { command: self.command, args: [...self.args.slice(0, -1), component] } : self;
}
