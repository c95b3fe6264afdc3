// skiff get: kubectl's get for the kinds skiff serves — lists or named objects, -A, -l,
// --field-selector, every -o format, --show-labels, --sort-by, and -w which keeps printing
// rows (or documents) as the objects change.
import { Command } from 'commander';
import { isApiError } from '../../api/errors.js';
import { apiVersionOf } from '../../api/resources.js';
import type { KubeList, KubeObject } from '../../api/types/meta.js';
import type { CliContext } from '../context.js';
import { withConnectionFlags, type ConnectionFlags } from '../context.js';
import { kubeYaml, parseOutput, printObjects, tableData, type PrintOptions } from '../printers/output.js';
import { columnWidths, renderRows } from '../printers/table.js';
import { parseResourceArgs, type ResourceRequest } from '../resource-args.js';
import { reportError, runVerb, type Io } from '../verb.js';

interface GetFlags extends ConnectionFlags {
  output?: string;
  selector?: string;
  fieldSelector?: string;
  allNamespaces?: boolean;
  watch?: boolean;
  watchOnly?: boolean;
  showLabels?: boolean;
  sortBy?: string;
  headers?: boolean;
  ignoreNotFound?: boolean;
}

/** List items come without kind and apiVersion; printers (-o name, yaml) need them. */
function typed(obj: KubeObject, req: ResourceRequest): KubeObject {
  return { apiVersion: apiVersionOf(req.info), kind: req.info.kind, ...obj };
}

interface Fetched {
  objects: KubeObject[];
  /** Per request, the list's resourceVersion to watch from. */
  versions: Map<ResourceRequest, string | undefined>;
}

async function fetchAll(ctx: CliContext, reqs: ResourceRequest[], flags: GetFlags, io: Io): Promise<Fetched> {
  const objects: KubeObject[] = [];
  const versions = new Map<ResourceRequest, string | undefined>();
  for (const req of reqs) {
    const client = ctx.rest.resource(req.info);
    const namespace = flags.allNamespaces ? '' : ctx.namespace;
    if (req.names.length === 0) {
      const list: KubeList = await client.listAll({ namespace, labelSelector: flags.selector, fieldSelector: flags.fieldSelector });
      versions.set(req, list.metadata?.resourceVersion);
      objects.push(...list.items.map((o) => typed(o, req)));
      continue;
    }
    for (const name of req.names) {
      try {
        objects.push(typed(await client.get(name, { namespace: ctx.namespace }), req));
      } catch (err) {
        if (flags.ignoreNotFound && isApiError(err, 'NotFound')) continue;
        // kubectl prints what it found and reports each missing name.
        reportError(err, io);
      }
    }
  }
  return { objects, versions };
}

function noneFound(ctx: CliContext, reqs: ResourceRequest[], flags: GetFlags): string {
  const namespaced = reqs.every((r) => r.info.namespaced);
  return namespaced && !flags.allNamespaces ? `No resources found in ${ctx.namespace} namespace.\n` : 'No resources found\n';
}

async function watch(ctx: CliContext, req: ResourceRequest, from: string | undefined, options: PrintOptions, flags: GetFlags, io: Io, widths: number[] | undefined): Promise<void> {
  const client = ctx.rest.resource(req.info);
  const fieldSelector = req.names.length === 1 ? [`metadata.name=${req.names[0]}`, flags.fieldSelector].filter(Boolean).join(',') : flags.fieldSelector;
  const events = await client.watch({
    namespace: flags.allNamespaces ? '' : ctx.namespace,
    labelSelector: flags.selector,
    fieldSelector,
    resourceVersion: from,
  });
  let cols = widths;
  for await (const ev of events) {
    if (ev.type === 'ERROR') throw new Error(ev.object.message ?? 'the watch ended with an error');
    if (ev.type === 'BOOKMARK') continue;
    if (req.names.length > 1 && !req.names.includes(ev.object.metadata.name ?? '')) continue;
    const obj = typed(ev.object, req);
    const format = options.output.format;
    if (format === 'table' || format === 'wide') {
      const t = tableData([obj], options, false, req.info.kind);
      if (!cols) {
        cols = columnWidths([t.headers, ...t.rows]);
        if (!options.noHeaders) io.stdout.write(renderRows([t.headers], cols));
      }
      io.stdout.write(renderRows(t.rows, cols));
    } else if (format === 'yaml') {
      io.stdout.write(`---\n${kubeYaml(obj)}`);
    } else {
      io.stdout.write(printObjects([obj], options, true));
    }
  }
}

export async function getAction(args: string[], flags: GetFlags, ctx: CliContext, io: Io): Promise<void> {
  const reqs = parseResourceArgs(args);
  const options: PrintOptions = {
    output: parseOutput(flags.output),
    withNamespace: Boolean(flags.allNamespaces) && reqs.some((r) => r.info.namespaced),
    showLabels: flags.showLabels,
    noHeaders: flags.headers === false,
    sortBy: flags.sortBy,
    clock: ctx.clock,
  };
  const watching = flags.watch || flags.watchOnly;
  if (watching && reqs.length > 1) throw new Error('watch is only supported on individual resources and resource collections, but 2 resources were found');
  const { objects, versions } = await fetchAll(ctx, reqs, flags, io);
  let widths: number[] | undefined;
  if (!flags.watchOnly) {
    const single = reqs.length === 1 && reqs[0]?.names.length === 1;
    if (objects.length === 0) {
      if (reqs.every((r) => r.names.length === 0) && (options.output.format === 'table' || options.output.format === 'wide')) io.stderr.write(noneFound(ctx, reqs, flags));
      else if (reqs.every((r) => r.names.length === 0) && (options.output.format === 'yaml' || options.output.format === 'json')) io.stdout.write(printObjects([], options));
    } else if (watching && (options.output.format === 'table' || options.output.format === 'wide')) {
      const t = tableData(objects, options);
      widths = columnWidths([t.headers, ...t.rows]);
      io.stdout.write(renderRows(options.noHeaders ? t.rows : [t.headers, ...t.rows], widths));
    } else {
      io.stdout.write(printObjects(objects, options, single));
    }
  }
  if (watching) {
    const req = reqs[0] as ResourceRequest;
    const from = versions.get(req) ?? objects.map((o) => o.metadata.resourceVersion).filter(Boolean).at(-1);
    await watch(ctx, req, from, options, flags, io, widths);
  }
}

export function getCommand(): Command {
  const cmd = new Command('get')
    .description('Display one or many resources (pods, nodes, namespaces, events, leases)')
    .argument('[resources...]', 'TYPE [NAME...] | TYPE/NAME... | TYPE1,TYPE2')
    .option('-o, --output <format>', 'output format: wide, yaml, json, name, jsonpath=TEMPLATE')
    .option('-l, --selector <selector>', 'label selector (e.g. -l app=web,tier!=db)')
    .option('--field-selector <selector>', 'field selector (e.g. --field-selector status.phase=Running)')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('-w, --watch', 'after listing, watch for changes')
    .option('--watch-only', 'watch for changes without listing first')
    .option('--show-labels', 'show all labels as the last column')
    .option('--sort-by <jsonpath>', 'sort by a JSONPath expression (e.g. .metadata.name)')
    .option('--no-headers', "don't print headers")
    .option('--ignore-not-found', 'treat "not found" as a successful retrieval');
  withConnectionFlags(cmd);
  return cmd.action(async (args: string[], flags: GetFlags) => runVerb(flags, (ctx, io) => getAction(args, flags, ctx, io)));
}
