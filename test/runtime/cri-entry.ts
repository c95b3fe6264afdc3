// `skiff cri ...` for the CLI suite: the same group registration and error handling as
// cmd/skiff.ts, without loading every other component of the program (each CLI call is a
// fresh process, and transpiling the whole program per call costs seconds under load).
// conmon runs the cleanup verb through this entry too: with tsx named by its full URL, since
// conmon's working directory (the bundle) has no node_modules to find it from.
import { Command } from 'commander';
import { registerCri } from '../../cmd/cri.js';

const self = () => [process.execPath, '--import', import.meta.resolve('tsx'), process.argv[1]];
const program = new Command('skiff').enablePositionalOptions().showHelpAfterError();
registerCri(program, self);
program.parseAsync(['node', 'skiff', 'cri', ...process.argv.slice(2)]).catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
