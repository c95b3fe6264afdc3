// skiff apply -f FILE|DIR|-: kubectl's client-side apply, printing "pod/kuard created",
// "configured" or "unchanged" per object; or with --server-side the server's apply
// ("serverside-applied"), with --field-manager and --force-conflicts. Files that fail to
// parse or validate are reported (file:line:col) and contribute nothing; exit code 1 if
// anything failed.
import { Command } from 'commander';
import type { KubeObject } from '../../api/types/meta.js';
import { applyObject, dryRunSuffix, type DryRun } from '../apply/apply-object.js';
import { plannedWrites, withWriteFlags, type WriteFlags } from '../apply/file-flags.js';
import type { PlannedObject } from '../apply/plan.js';
import { serverSideApply } from '../apply/server-side.js';
import { withConnectionFlags, type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { parseOutput, printObjects } from '../printers/output.js';
import { reportError, runVerb, type Io } from '../verb.js';

export interface ApplyFlags extends WriteFlags {
  output?: string;
  serverSide?: boolean;
  fieldManager?: string;
  forceConflicts?: boolean;
}

/** One object: its outcome word ("created", "serverside-applied", ...) and what the server answered. */
async function applyOne(flags: ApplyFlags, ctx: CliContext, p: PlannedObject, dryRun: DryRun, io: Io): Promise<{ result: string; object: KubeObject }> {
  if (flags.serverSide) {
    const fieldManager = flags.fieldManager ?? 'skiff';
    return { result: 'serverside-applied', object: await serverSideApply(ctx.rest, p.object, p.target, { fieldManager, force: flags.forceConflicts ?? false, dryRun }) };
  }
  const outcome = await applyObject(ctx.rest, p.object, p.target, dryRun);
  if (outcome.warning) io.stderr.write(`${outcome.warning}\n`);
  return outcome;
}

export async function applyAction(flags: ApplyFlags, ctx: CliContext, io: Io): Promise<void> {
  const output = flags.output ? parseOutput(flags.output) : undefined;
  if (output && output.format !== 'name' && output.format !== 'yaml' && output.format !== 'json') {
    throw new CliError(`apply prints -o name, yaml or json, not "${flags.output}"`);
  }
  if (!flags.serverSide && (flags.forceConflicts || flags.fieldManager)) throw new CliError('--force-conflicts and --field-manager only work with --server-side');
  const { dryRun, objects } = await plannedWrites(flags, ctx, io);
  const printed: KubeObject[] = [];
  for (const p of objects) {
    try {
      const { result, object } = await applyOne(flags, ctx, p, dryRun, io);
      if (!output) io.stdout.write(`${p.target.ref} ${result}${dryRunSuffix(dryRun)}\n`);
      else printed.push({ apiVersion: p.object.apiVersion, kind: p.object.kind, ...object });
    } catch (err) {
      reportError(err, io, ctx.connection.server);
    }
  }
  if (output) io.stdout.write(printObjects(printed, { output }, printed.length === 1));
}

export function applyCommand(): Command {
  const cmd = withWriteFlags(new Command('apply').description('Apply a configuration to resources by file name or stdin (client-side three-way merge, or --server-side)'))
    .option('-o, --output <format>', 'name, yaml or json')
    .option('--server-side', "let the server apply the configuration and track each field's manager")
    .option('--field-manager <name>', 'with --server-side: the name the fields are owned under (default: skiff)')
    .option('--force-conflicts', "with --server-side: take over fields another manager owns");
  withConnectionFlags(cmd);
  return cmd.action(async (flags: ApplyFlags) => runVerb(flags, (ctx, io) => applyAction(flags, ctx, io)));
}
