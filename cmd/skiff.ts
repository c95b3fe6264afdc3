#!/usr/bin/env node
// The `skiff` entry point: one program, every component a subcommand (kubectl-style verbs
// for users, daemons such as `skiff apiserver` for the cluster). Each subcommand lives in
// its own file under cmd/ and only parses flags, builds the concrete objects and starts them.
import { Command } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { registerCli } from '../cli/index.js';
import { apiserverCommand } from './apiserver.js';
import { controllerManagerCommand } from './controller-manager.js';
import { downCommand, statusCommand, upCommand } from './up.js';
import { labCommand } from './lab.js';
import { registerCri } from './cri.js';
import { schedulerCommand } from './scheduler.js';
import { kubeletCommand } from './kubelet.js';

export function buildProgram(): Command {
  const program = new Command('skiff')
    .description('A Kubernetes-style orchestrator: real etcd, real containers, real networking.')
    .version('0.1.0', '--skiff-version', 'print the skiff version')
    .showHelpAfterError()
    .enablePositionalOptions();
  // Subcommand groups register themselves here, one file each under cmd/.
  program.addCommand(apiserverCommand());
  program.addCommand(controllerManagerCommand());
  program.addCommand(upCommand());
  program.addCommand(downCommand());
  program.addCommand(statusCommand());
  program.addCommand(labCommand());
  registerCri(program);
  registerCli(program);
  program.addCommand(schedulerCommand());
  program.addCommand(kubeletCommand());
  return program;
}

function isEntryPoint(): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  try {
    return realpathSync(argv1) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
