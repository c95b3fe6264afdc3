// `skiff cri [--root DIR] [--registry-config F] [--runtime crun|runc] VERB ...`: node-local
// commands in the spirit of crictl / docker, working directly on a runtime root.
import { Command } from 'commander';

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
  return cri;
}

/** The group options of `skiff cri`, read from a verb's command. */
export function criOptions(cmd: Command): CriGlobalOptions {
  const parent = cmd.parent;
  if (!parent) throw new Error('cri verb without its group');
  return parent.opts<CriGlobalOptions>();
}
