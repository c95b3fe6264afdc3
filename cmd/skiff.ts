#!/usr/bin/env node
// The `skiff` entry point: one program, every component a subcommand (kubectl-style verbs
// for users, daemons such as `skiff apiserver` for the cluster). Each subcommand lives in
// its own file under cmd/ and only parses flags, builds the concrete objects and starts them.
//
// Loading every command means loading the API server, the runtime, the builder and the
// certificate code: seconds of CPU and tens of MB before anything runs. So the program
// loads only the group the first argument names; help, completion and anything it does not
// know load them all, so that commander's listing and errors stay complete.
import { Command } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Register = (program: Command) => void | Promise<void>;

/** Command groups by the top-level name they register. */
const GROUPS: Record<string, Register> = {
  apiserver: async (p) => void p.addCommand((await import('./apiserver.js')).apiserverCommand()),
  server: async (p) => void p.addCommand((await import('./server.js')).serverCommand()),
  'controller-manager': async (p) => void p.addCommand((await import('./controller-manager.js')).controllerManagerCommand()),
  up: async (p) => void p.addCommand((await import('./up.js')).upCommand()),
  down: async (p) => void p.addCommand((await import('./up.js')).downCommand()),
  status: async (p) => void p.addCommand((await import('./up.js')).statusCommand()),
  lab: async (p) => void p.addCommand((await import('./lab.js')).labCommand()),
  cri: async (p) => void (await import('./cri.js')).registerCri(p),
  scheduler: async (p) => void p.addCommand((await import('./scheduler.js')).schedulerCommand()),
  kubelet: async (p) => void p.addCommand((await import('./kubelet.js')).kubeletCommand()),
  build: async (p) => void p.addCommand((await import('./build.js')).buildCommand()),
  image: async (p) => void p.addCommand((await import('../cli/node/image.js')).imageCommand()),
  login: async (p) => void p.addCommand((await import('../cli/node/login.js')).loginCommand()),
  logout: async (p) => void p.addCommand((await import('../cli/node/login.js')).logoutCommand()),
};
/** The user verbs (get, apply, logs, ...) register together from cli/. */
const registerCliVerbs: Register = async (p) =>
  void (await import('../cli/index.js')).registerCli(p, { registryAuthFor: async (image) => (await import('./docker-configs.js')).cliRegistryAuth(image) });

function emptyProgram(): Command {
  return new Command('skiff')
    .description('A Kubernetes-style orchestrator: real etcd, real containers, real networking.')
    .version('0.1.0', '--skiff-version', 'print the skiff version')
    .showHelpAfterError()
    .enablePositionalOptions();
}

/** The whole program, every command registered (help, completion, tests). */
export async function buildProgram(): Promise<Command> {
  const program = emptyProgram();
  for (const name of ['apiserver', 'server', 'controller-manager', 'up', 'down', 'status', 'lab', 'cri']) await GROUPS[name]?.(program);
  await registerCliVerbs(program);
  for (const name of ['scheduler', 'kubelet', 'build', 'image', 'login', 'logout']) await GROUPS[name]?.(program);
  return program;
}

/** The program for one invocation: only the group argv names, when it names one. */
export async function programFor(args: string[]): Promise<Command> {
  const first = args[0];
  if (first === undefined || first.startsWith('-') || first === 'help' || first === 'completion') return buildProgram();
  const program = emptyProgram();
  const group = GROUPS[first];
  if (group) {
    await group(program);
    return program;
  }
  await registerCliVerbs(program);
  if (program.commands.some((c) => c.name() === first || c.aliases().includes(first))) return program;
  return buildProgram(); // unknown: let commander say so, with every command listed
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
  programFor(process.argv.slice(2))
    .then((program) => program.parseAsync(process.argv))
    .catch((err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
