// skiff top nodes|pods: kubectl top's tables (NAME CPU(cores) CPU% MEMORY(bytes) MEMORY% for
// nodes; NAME CPU(cores) MEMORY(bytes) for pods, with -n, -A, -l and --containers) from
// each kubelet's Summary API through the node proxy, so no metrics-server is needed.
import { Command } from 'commander';
import { Quantity } from '../../api/quantity.js';
import type { Node, Pod } from '../../api/types/core.js';
import { withConnectionFlags, type CliContext, type ConnectionFlags } from '../context.js';
import { CliError } from '../errors.js';
import { renderTable } from '../printers/table.js';
import { formatCpu, formatMemory, percent } from '../top/format.js';
import { nodeUsage, podUsages, type PodUsage, type Usage } from '../../api/metrics/usage.js';
import { sampleNodes } from '../top/summary.js';
import { runVerb, type Io } from '../verb.js';

interface TopFlags extends ConnectionFlags {
  selector?: string;
  sortBy?: string;
  /** false with --no-headers (commander's negated option). */
  headers?: boolean;
}

interface TopPodFlags extends TopFlags {
  allNamespaces?: boolean;
  containers?: boolean;
}

function sorter<T extends Usage>(sortBy: string | undefined): ((a: T, b: T) => number) | undefined {
  if (sortBy === undefined) return undefined;
  if (sortBy === 'cpu') return (a, b) => b.nanoCores - a.nanoCores;
  if (sortBy === 'memory') return (a, b) => b.workingSetBytes - a.workingSetBytes;
  throw new CliError(`--sort-by accepts only cpu or memory, not "${sortBy}"`);
}

function allocatable(node: Node, resource: 'cpu' | 'memory'): number | undefined {
  const q = node.status?.allocatable?.[resource];
  if (q === undefined) return undefined;
  const parsed = Quantity.parse(q);
  // CPU is compared in nanocores, memory in bytes.
  return resource === 'cpu' ? parsed.milliValue() * 1e6 : parsed.value();
}

export async function topNodesAction(name: string | undefined, flags: TopFlags, ctx: CliContext, io: Io): Promise<void> {
  const list = name ? [await ctx.rest.nodes.get(name)] : (await ctx.rest.nodes.listAll({ labelSelector: flags.selector })).items;
  if (list.length === 0) throw new CliError('No resources found');
  list.sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  const { samples, failed } = await sampleNodes(ctx.rest, list.map((n) => n.metadata.name ?? ''));
  for (const [node, err] of failed) io.stderr.write(`Warning: no metrics from node ${node}: ${(err as Error).message.trim()}\n`);
  const rows: { u: Usage; row: string[] }[] = [];
  for (const [i, node] of list.entries()) {
    const nodeName = node.metadata.name ?? '';
    const u = nodeUsage(samples[i]);
    if (!u) {
      rows.push({ u: { nanoCores: -1, workingSetBytes: -1, timestamp: '', windowMs: 0 }, row: [nodeName, '<unknown>', '<unknown>', '<unknown>', '<unknown>'] });
      continue;
    }
    rows.push({
      u,
      row: [nodeName, formatCpu(u.nanoCores), percent(u.nanoCores, allocatable(node, 'cpu')), formatMemory(u.workingSetBytes), percent(u.workingSetBytes, allocatable(node, 'memory'))],
    });
  }
  const sort = sorter(flags.sortBy);
  if (sort) rows.sort((a, b) => sort(a.u, b.u));
  io.stdout.write(renderTable({ headers: ['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%'], rows: rows.map((r) => r.row) }, { noHeaders: flags.headers === false }));
}

export async function topPodsAction(name: string | undefined, flags: TopPodFlags, ctx: CliContext, io: Io): Promise<void> {
  const all = flags.allNamespaces ?? false;
  if (all && name) throw new CliError('a pod name cannot be given with -A');
  const namespace = all ? undefined : ctx.namespace;
  const pods: Pod[] = name
    ? [await ctx.rest.pods.get(name, { namespace })]
    : (await ctx.rest.pods.listAll({ namespace: namespace ?? '', labelSelector: flags.selector })).items;
  const wanted = new Set(pods.map((p) => p.metadata.uid ?? ''));
  const nodes = [...new Set(pods.map((p) => p.spec.nodeName).filter((n): n is string => Boolean(n)))].sort();
  if (pods.length === 0) {
    io.stderr.write(all ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`);
    return;
  }
  const { samples, failed } = await sampleNodes(ctx.rest, nodes);
  for (const [node, err] of failed) io.stderr.write(`Warning: no metrics from node ${node}: ${(err as Error).message.trim()}\n`);
  const usages = samples.flatMap(podUsages).filter((u) => wanted.has(u.uid));
  if (name && usages.length === 0) throw new CliError(`Metrics not available for pod ${namespace}/${name}`);
  if (usages.length === 0) throw new CliError(`Metrics not available for pods in ${all ? 'the cluster' : `namespace ${namespace}`}: none of them runs yet`);
  usages.sort((a, b) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : a.namespace < b.namespace ? -1 : 1));
  const sort = sorter<PodUsage>(flags.sortBy);
  if (sort) usages.sort(sort);
  const lead = (u: PodUsage) => (all ? [u.namespace] : []);
  const headers = [...(all ? ['NAMESPACE'] : []), ...(flags.containers ? ['POD', 'NAME'] : ['NAME']), 'CPU(cores)', 'MEMORY(bytes)'];
  const rows = flags.containers
    ? usages.flatMap((u) => u.containers.map((c) => [...lead(u), u.name, c.name, formatCpu(c.nanoCores), formatMemory(c.workingSetBytes)]))
    : usages.map((u) => [...lead(u), u.name, formatCpu(u.nanoCores), formatMemory(u.workingSetBytes)]);
  io.stdout.write(renderTable({ headers, rows }, { noHeaders: flags.headers === false }));
}

function common(cmd: Command): Command {
  cmd
    .argument('[name]', 'only this one')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web')
    .option('--sort-by <field>', 'cpu or memory (largest first)')
    .option('--no-headers', "don't print headers");
  return withConnectionFlags(cmd);
}

export function topCommand(): Command {
  const top = new Command('top').description("Show CPU and memory use of nodes or pods (kubectl top), from the kubelets' Summary API");
  const nodes = common(new Command('nodes').aliases(['node', 'no']).description('CPU and memory of nodes'));
  nodes.action(async (name: string | undefined, flags: TopFlags) => runVerb(flags, (ctx, io) => topNodesAction(name, flags, ctx, io)));
  const pods = common(new Command('pods').aliases(['pod', 'po']).description('CPU and memory of pods'))
    .option('-A, --all-namespaces', 'pods of every namespace')
    .option('--containers', 'a line per container');
  pods.action(async (name: string | undefined, flags: TopPodFlags) => runVerb(flags, (ctx, io) => topPodsAction(name, flags, ctx, io)));
  return top.addCommand(nodes).addCommand(pods);
}
