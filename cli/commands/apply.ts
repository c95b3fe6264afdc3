// skiff apply -f FILE|DIR|-: kubectl's client-side apply. Prints "pod/kuard created",
// "configured" or "unchanged" per object; files that fail to parse or validate are
// reported (file:line:col) and contribute nothing; exit code 1 if anything failed.
import { Command } from 'commander';
import type { KubeObject } from '../../api/types/meta.js';
import { applyObject, dryRunSuffix, parseDryRun } from '../apply/apply-object.js';
import { parseValidate, planApply } from '../apply/plan.js';
import { withConnectionFlags, type CliContext, type ConnectionFlags } from '../context.js';
import { CliError } from '../errors.js';
import { parseOutput, printObjects } from '../printers/output.js';
import { readStdin } from '../stdin.js';
import { reportError, runVerb, type Io } from '../verb.js';

export interface ApplyFlags extends ConnectionFlags {
  filename?: string[];
  recursive?: boolean;
  dryRun?: string | boolean;
  validate?: string | boolean;
  output?: string;
}

export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export async function applyAction(flags: ApplyFlags, ctx: CliContext, io: Io): Promise<void> {
  const dryRun = parseDryRun(flags.dryRun);
  const output = flags.output ? parseOutput(flags.output) : undefined;
  if (output && output.format !== 'name' && output.format !== 'yaml' && output.format !== 'json') {
    throw new CliError(`apply prints -o name, yaml or json, not "${flags.output}"`);
  }
  const plan = await planApply(flags.filename ?? [], {
    recursive: flags.recursive,
    readStdin: () => readStdin(),
    namespace: ctx.namespace,
    explicitNamespace: ctx.explicitNamespace,
    validate: parseValidate(flags.validate),
    warn: (line) => io.stderr.write(`${line}\n`),
  });
  for (const e of plan.errors) reportError(new CliError(e), io);
  const printed: KubeObject[] = [];
  for (const p of plan.objects) {
    try {
      const outcome = await applyObject(ctx.rest, p.object, p.target, dryRun);
      if (outcome.warning) io.stderr.write(`${outcome.warning}\n`);
      if (!output) io.stdout.write(`${p.target.ref} ${outcome.result}${dryRunSuffix(dryRun)}\n`);
      else printed.push({ apiVersion: p.object.apiVersion, kind: p.object.kind, ...outcome.object });
    } catch (err) {
      reportError(err, io, ctx.connection.server);
    }
  }
  if (output) io.stdout.write(printObjects(printed, { output }, printed.length === 1));
}

export function applyCommand(): Command {
  const cmd = new Command('apply')
    .description('Apply a configuration to resources by file name or stdin (client-side apply, three-way merge)')
    .option('-f, --filename <file>', 'a file, a directory or - for stdin (repeatable)', collect)
    .option('-R, --recursive', 'process the directory given in -f recursively')
    .option('--dry-run [strategy]', 'none, client or server: only print what would be sent', 'none')
    .option('--validate [mode]', 'strict (default), warn or ignore (also true/false): check manifests against the schema first', 'strict')
    .option('-o, --output <format>', 'name, yaml or json');
  withConnectionFlags(cmd);
  return cmd.action(async (flags: ApplyFlags) => runVerb(flags, (ctx, io) => applyAction(flags, ctx, io)));
}
