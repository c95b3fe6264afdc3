// The user-facing verbs of `skiff`, kubectl's and docker's, registered on the one program
// cmd/skiff.ts builds (daemons such as `skiff apiserver` register there too).
import type { Command } from 'commander';
import { apiResourcesCommand } from './commands/api-resources.js';
import { applyCommand } from './commands/apply.js';
import { clusterInfoCommand } from './commands/cluster-info.js';
import { completionCommand } from './commands/completion.js';
import { configCommand } from './commands/config.js';
import { createCommand } from './commands/create.js';
import { deleteCommand } from './commands/delete.js';
import { describeCommand } from './commands/describe.js';
import { getCommand } from './commands/get.js';
import { imagesCommand } from './commands/images.js';
import { logsCommand } from './commands/logs.js';
import { attachCommand, execCommand } from './commands/exec.js';
import { cpCommand } from './commands/cp.js';
import { exposeCommand } from './commands/expose.js';
import { portForwardCommand } from './commands/port-forward.js';
import { pruneCommand } from './commands/prune.js';
import { pullCommand, type RegistryAuthFor } from './commands/pull.js';
import { rmiCommand } from './commands/rmi.js';
import { topCommand } from './commands/top.js';
import { runCommand } from './commands/run.js';
import { versionCommand } from './commands/version.js';

/** What the entry point hands the verbs: where the user's registry credentials are found. */
export interface CliEnv {
  registryAuthFor?: RegistryAuthFor;
}

export function registerCli(program: Command, env: CliEnv = {}): Command {
  const verbs = [
    getCommand(),
    describeCommand(),
    applyCommand(),
    createCommand(),
    deleteCommand(),
    logsCommand(),
    execCommand(),
    attachCommand(),
    cpCommand(),
    portForwardCommand(),
    exposeCommand(),
    runCommand(),
    imagesCommand(),
    pullCommand(env.registryAuthFor),
    rmiCommand(),
    pruneCommand(),
    topCommand(),
    versionCommand(),
    clusterInfoCommand(),
    configCommand(),
    apiResourcesCommand(),
    completionCommand(() => program),
  ];
  for (const cmd of verbs) program.addCommand(cmd);
  return program;
}
