// `skiff cri ...` for the CLI suite: the same group registration and error handling as
// cmd/skiff.ts, without loading every other component of the program (each CLI call is a
// fresh process, and transpiling the whole program per call costs seconds under load).
import { Command } from 'commander';
import { registerCri } from '../../cmd/cri.js';

const program = new Command('skiff').enablePositionalOptions().showHelpAfterError();
registerCri(program);
program.parseAsync(['node', 'skiff', 'cri', ...process.argv.slice(2)]).catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
