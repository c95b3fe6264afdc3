// skiff create -f FILE|DIR|-: creates every object as written (no last-applied record
// unless --save-config); an existing object is an AlreadyExists error, as with kubectl.
import { Command } from 'commander';
import { createObject, dryRunSuffix, parseDryRun } from '../apply/apply-object.js';
import { withLastApplied } from '../apply/last-applied.js';
import { parseValidate, planApply } from '../apply/plan.js';
import { withConnectionFlags, type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { readStdin } from '../stdin.js';
import { reportError, runVerb, type Io } from '../verb.js';
import { collect, type ApplyFlags } from './apply.js';

interface CreateFlags extends ApplyFlags {
  saveConfig?: boolean;
}

export async function createAction(flags: CreateFlags, ctx: CliContext, io: Io): Promise<void> {
  const dryRun = parseDryRun(flags.dryRun);
  const plan = await planApply(flags.filename ?? [], {
    recursive: flags.recursive,
    readStdin: () => readStdin(),
    namespace: ctx.namespace,
    explicitNamespace: ctx.explicitNamespace,
    validate: parseValidate(flags.validate),
    needName: false,
    warn: (line) => io.stderr.write(`${line}\n`),
  });
  for (const e of plan.errors) reportError(new CliError(e), io);
  for (const p of plan.objects) {
    try {
      const body = flags.saveConfig ? withLastApplied(p.object) : p.object;
      const created = await createObject(ctx.rest, body, p.target, dryRun);
      const name = created.metadata.name ?? p.target.name;
      io.stdout.write(`${p.target.ref.replace(/\/.*$/, '')}/${name} created${dryRunSuffix(dryRun)}\n`);
    } catch (err) {
      reportError(err, io, ctx.connection.server);
    }
  }
}

export function createCommand(): Command {
  const cmd = new Command('create')
    .description('Create resources from a file or stdin')
    .option('-f, --filename <file>', 'a file, a directory or - for stdin (repeatable)', collect)
    .option('-R, --recursive', 'process the directory given in -f recursively')
    .option('--dry-run [strategy]', 'none, client or server', 'none')
    .option('--validate [mode]', 'strict (default), warn or ignore', 'strict')
    .option('--save-config', 'record the configuration in the last-applied annotation, so a later apply can merge');
  withConnectionFlags(cmd);
  return cmd.action(async (flags: CreateFlags) => runVerb(flags, (ctx, io) => createAction(flags, ctx, io)));
}
