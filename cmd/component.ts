// The entry point `skiff up` and labs start their supervised processes from (the supervisor
// itself, the one-process control plane `server`, apiserver, scheduler, controller-manager,
// kubelet, lab proxies). Same flags as `skiff <component> ...`, but it loads only the one
// component's module: the full `skiff` program loads every command and its libraries, which
// costs each daemon seconds of CPU at start and tens of MB it keeps for its whole life.
import { Command } from 'commander';
import { existsSync } from 'node:fs';

type Loader = (argv: string[]) => Promise<Command[]>;

const LOADERS: Record<string, Loader> = {
  apiserver: async () => [(await import('./apiserver.js')).apiserverCommand()],
  scheduler: async () => [(await import('./scheduler.js')).schedulerCommand()],
  'controller-manager': async () => [(await import('./controller-manager.js')).controllerManagerCommand()],
  kubelet: async () => [(await import('./kubelet.js')).kubeletCommand()],
  server: async () => [(await import('./server.js')).serverCommand()],
  up: async () => [(await import('./up.js')).upCommand()],
  lab: async (argv) => {
    if (argv[1] === 'proxy') return [new Command('lab').addCommand((await import('./lab-proxy.js')).labProxyCommand())];
    return [(await import('./lab.js')).labCommand()];
  },
};

async function main(argv: string[]): Promise<void> {
  const load = LOADERS[argv[0] ?? ''];
  if (!load) throw new Error(`not a supervised component: "${argv[0] ?? ''}" (one of ${Object.keys(LOADERS).join(', ')}); use the skiff command`);
  const program = new Command('skiff').enablePositionalOptions();
  for (const c of await load(argv)) program.addCommand(c);
  // Started together with the API server so that loading overlaps its start; the
  // supervisor makes this file once the API server answers.
  const gate = process.env.SKIFF_START_GATE;
  while (gate && !existsSync(gate)) await new Promise((r) => setTimeout(r, 50));
  await program.parseAsync(argv, { from: 'user' });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
