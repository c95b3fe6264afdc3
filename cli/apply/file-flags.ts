// What every verb that reads manifests shares (apply, create, delete): the -f/-R flags, and
// for the writing verbs --dry-run and --validate, with one way from those flags to the
// planned objects. File errors are reported as they are found and the rest goes on, as
// kubectl does: a broken file contributes nothing, the others still apply.
import type { Command } from 'commander';
import type { CliContext, ConnectionFlags } from '../context.js';
import { CliError } from '../errors.js';
import { readStdin } from '../stdin.js';
import { reportError, type Io } from '../verb.js';
import { parseDryRun, type DryRun } from './apply-object.js';
import { parseValidate, planApply, type Plan, type PlannedObject, type Validation } from './plan.js';

/** commander's collector for repeatable options (-f a -f b). */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export interface FilenameFlags extends ConnectionFlags {
  filename?: string[];
  recursive?: boolean;
}

export interface WriteFlags extends FilenameFlags {
  dryRun?: string | boolean;
  validate?: string | boolean;
}

export function withFilenameFlags(cmd: Command, what = 'a file, a directory or - for stdin (repeatable)'): Command {
  return cmd.option('-f, --filename <file>', what, collect).option('-R, --recursive', 'process the directory given in -f recursively');
}

export function withWriteFlags(cmd: Command): Command {
  return withFilenameFlags(cmd)
    .option('--dry-run [strategy]', 'none, client or server: only show what would be sent', 'none')
    .option('--validate [mode]', 'strict (default), warn or ignore (also true/false): check manifests against the schema first', 'strict');
}

/** The objects of the -f arguments, mapped to their resources and namespaces. */
export function planFromFlags(flags: FilenameFlags, ctx: CliContext, opts: { validate: Validation; needName?: boolean; warn?: (line: string) => void }): Promise<Plan> {
  return planApply(flags.filename ?? [], {
    recursive: flags.recursive,
    readStdin: () => readStdin(),
    namespace: ctx.namespace,
    explicitNamespace: ctx.explicitNamespace,
    ...opts,
  });
}

/** For apply and create: the dry-run mode and the planned objects; each bad file is reported on stderr. */
export async function plannedWrites(flags: WriteFlags, ctx: CliContext, io: Io, opts: { needName?: boolean } = {}): Promise<{ dryRun: DryRun; objects: PlannedObject[] }> {
  const dryRun = parseDryRun(flags.dryRun);
  const plan = await planFromFlags(flags, ctx, { validate: parseValidate(flags.validate), needName: opts.needName, warn: (line) => io.stderr.write(`${line}\n`) });
  for (const e of plan.errors) reportError(new CliError(e), io);
  return { dryRun, objects: plan.objects };
}
