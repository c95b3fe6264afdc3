// `skiff cri [--root DIR] [--registry-config F] [--runtime crun|runc] VERB ...`: node-local
// commands in the spirit of crictl / docker, working directly on a runtime root.
import type { Command } from 'commander';
import { openCriRuntime, pruneExitedContainers, registerCriContainers } from './cri-containers.js';
import { registerCriImages } from './cri-images.js';

export interface CriGlobalOptions {
  root: string;
  registryConfig?: string;
  runtime?: string;
}

export function registerCri(program: Command): Command {
  const cri = program
    .command('cri')
    .description('node-local image and container commands on a runtime root (like crictl/docker)')
    .option('--root <dir>', 'runtime root directory', '/var/lib/skiff/runtime')
    .option('--registry-config <file>', 'registries.yaml (mirrors, auth, TLS) in k3s format')
    .option('--runtime <name>', 'OCI runtime: crun or runc (default: crun when installed)')
    .passThroughOptions();
  registerCriContainers(cri);
  // The image verbs ask the container runtime which images are in use (rmi refuses them,
  // prune keeps them) and let it remove exited containers before an image prune.
  registerCriImages(cri, {
    openImages: (o) => openCriRuntime(o).images,
    pruneContainers: (o) => pruneExitedContainers(openCriRuntime(o).runtime),
  });
  return cri;
}

/** The group options of `skiff cri`, read from a verb's command. */
export function criOptions(cmd: Command): CriGlobalOptions {
  const parent = cmd.parent;
  if (!parent) throw new Error('cri verb without its group');
  return parent.opts<CriGlobalOptions>();
}
