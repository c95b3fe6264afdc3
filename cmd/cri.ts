// `skiff cri [--root DIR] [--state DIR] [--registry-config F] [--runtime crun|runc] VERB ...`: node-local
// commands in the spirit of crictl / docker, working directly on a runtime root. The verbs
// live in cli/node/; this entry point gives them the process's logger and credentials.
import type { Command } from 'commander';
import { registerCriContainers } from '../cli/node/cri-containers.js';
import { registerCriImages } from '../cli/node/cri-images.js';
import type { CriEnv } from '../cli/node/cri-options.js';
import { openCriImages, pruneExitedContainers, withRuns } from '../cli/node/cri-runs.js';
import { cliDockerConfigs } from './docker-configs.js';
import { createLogger } from './log.js';

export type { CriGlobalOptions } from '../cli/node/cri-options.js';

/**
 * How this process was started, as far as `skiff cri`: the node binary with its own flags and
 * the entry script (absolute, as node gives it). An entry point other than cmd/skiff.ts (the
 * test suites' lighter one) passes its own.
 */
const thisProgram = (): string[] => [process.execPath, ...process.execArgv, process.argv[1], 'cri'];

export function registerCri(program: Command, selfCommand: () => string[] = thisProgram): Command {
  const cri = program
    .command('cri')
    .description('node-local image and container commands on a runtime root (like crictl/docker)')
    .option('--root <dir>', 'runtime root directory', '/var/lib/skiff/runtime')
    .option('--state <dir>', "runtime state (records, bundles: on a tmpfs, mounted if need be; default /run/skiff/<root's name>-<hash>)")
    .option('--registry-config <file>', 'registries.yaml (mirrors, auth, TLS) in k3s format')
    .option('--runtime <name>', 'OCI runtime: crun or runc (default: crun when installed)')
    .passThroughOptions();
  const env: CriEnv = {
    logger: () => createLogger('cri', process.env.SKIFF_LOG_LEVEL ?? 'warn'),
    dockerConfigs: cliDockerConfigs,
    selfCommand,
  };
  registerCriContainers(cri, env);
  // The image verbs ask the container runtime which images are in use (rmi refuses them,
  // prune keeps them) and let it remove exited containers before an image prune.
  registerCriImages(cri, env, {
    openImages: (o) => openCriImages(o, env),
    pruneContainers: (o) => withRuns(o, env, ({ runtime }) => pruneExitedContainers(runtime)),
  });
  return cri;
}
