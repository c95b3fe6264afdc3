// What every `skiff cri` verb shares: the group's flags (which runtime root, registries.yaml,
// OCI runtime) and what the entry point hands in, so these verbs create no logger and read
// no cluster state of their own.
import type { Command } from 'commander';
import type { Logger } from 'pino';

export interface CriGlobalOptions {
  root: string;
  /** The runtime's state dir (runtime/state-dir.ts); derived from the root when absent. */
  state?: string;
  registryConfig?: string;
  runtime?: string;
}

/** Given by the entry point (cmd/cri.ts). */
export interface CriEnv {
  /** The process's logger for the runtime. */
  logger(): Logger;
  /** Docker config files with registry credentials, besides registries.yaml. */
  dockerConfigs(): string[];
  /**
   * The command line that runs `skiff cri` again, up to its group options (node, its flags,
   * the script, `cri`): conmon runs the cleanup verb with it when a detached container exits.
   */
  selfCommand(): string[];
}

/** The group options of `skiff cri`, read from a verb's command. */
export function criOptions(cmd: Command): CriGlobalOptions {
  const parent = cmd.parent;
  if (!parent) throw new Error('cri verb without its group');
  return parent.opts<CriGlobalOptions>();
}
