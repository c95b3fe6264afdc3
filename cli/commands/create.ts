// skiff create -f FILE|DIR|-: creates every object as written (no last-applied record
// unless --save-config); an existing object is an AlreadyExists error, as with kubectl.
import { Command } from 'commander';
import { createObject, dryRunSuffix } from '../apply/apply-object.js';
import { plannedWrites, withWriteFlags, type WriteFlags } from '../apply/file-flags.js';
import { withLastApplied } from '../apply/last-applied.js';
import { withConnectionFlags, type CliContext } from '../context.js';
import { reportError, runVerb, type Io } from '../verb.js';

interface CreateFlags extends WriteFlags {
  saveConfig?: boolean;
}

export async function createAction(flags: CreateFlags, ctx: CliContext, io: Io): Promise<void> {
  // generateName is allowed here: the server picks the name.
  const { dryRun, objects } = await plannedWrites(flags, ctx, io, { needName: false });
  for (const p of objects) {
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
  const cmd = withWriteFlags(new Command('create').description('Create resources from a file or stdin')).option(
    '--save-config',
    'record the configuration in the last-applied annotation, so a later apply can merge',
  );
  withConnectionFlags(cmd);
  return cmd.action(async (flags: CreateFlags) => runVerb(flags, (ctx, io) => createAction(flags, ctx, io)));
}
