// skiff describe pod|node|configmap|secret|service NAME (or TYPE/NAME, or a name prefix, or every object of the
// type): the object plus what kubectl gathers around it — its events; for a node its
// pods and its lease; a Secret shows sizes, never values. Field selectors the server may not know fall back to filtering here.
import { Command } from 'commander';
import { isApiError } from '../../api/errors.js';
import { findResource, type ResourceInfo } from '../../api/resources.js';
import type { ConfigMap, Event, Node, Pod, Secret } from '../../api/types/core.js';
import type { Lease } from '../../api/types/coordination.js';
import type { KubeObject } from '../../api/types/meta.js';
import type { EndpointSlice, Service } from '../../api/types/service.js';
import { withConnectionFlags, type CliContext, type ConnectionFlags } from '../context.js';
import { annotationLines, describeEvents, labelLines, multiline } from '../describe/common.js';
import { describeConfigMap, describeSecret } from '../describe/configmap.js';
import { describeNode } from '../describe/node.js';
import { describePod } from '../describe/pod.js';
import { describeService } from '../describe/service.js';
import { DescribeWriter } from '../describe/tabwriter.js';
import { CliError } from '../errors.js';
import { kubeYaml } from '../printers/output.js';
import { parseResourceArgs } from '../resource-args.js';
import { runVerb, type Io } from '../verb.js';

interface DescribeFlags extends ConnectionFlags {
  selector?: string;
  allNamespaces?: boolean;
  showEvents?: boolean | string;
}

const info = (kind: string): ResourceInfo => {
  const r = findResource(kind);
  if (!r) throw new Error(`${kind} is not served`);
  return r;
};

/** Lists with a field selector; when the server refuses the selector, lists all and filters here. */
async function listFiltered<T extends KubeObject>(
  ctx: CliContext,
  kind: string,
  namespace: string,
  fieldSelector: string,
  keep: (o: T) => boolean,
): Promise<T[]> {
  const client = ctx.rest.resource<T>(info(kind));
  try {
    return (await client.listAll({ namespace, fieldSelector })).items.filter(keep);
  } catch (err) {
    if (!isApiError(err, 'BadRequest')) throw err;
    return (await client.listAll({ namespace })).items.filter(keep);
  }
}

async function eventsFor(ctx: CliContext, obj: KubeObject, kind: string): Promise<Event[]> {
  const { name = '', namespace = '', uid = '' } = obj.metadata;
  const selector = [`involvedObject.kind=${kind}`, `involvedObject.name=${name}`, ...(namespace ? [`involvedObject.namespace=${namespace}`] : []), ...(uid ? [`involvedObject.uid=${uid}`] : [])].join(',');
  return listFiltered<Event>(ctx, 'Event', namespace || '', selector, (e) =>
    e.involvedObject?.name === name && (e.involvedObject.kind ?? kind) === kind && (!uid || !e.involvedObject.uid || e.involvedObject.uid === uid),
  );
}

function describeGeneric(obj: KubeObject, events: Event[] | undefined): string {
  const w = new DescribeWriter();
  w.line(0, `Name:\t${obj.metadata.name ?? ''}`);
  if (obj.metadata.namespace) w.line(0, `Namespace:\t${obj.metadata.namespace}`);
  multiline(w, 0, 'Labels', labelLines(obj.metadata.labels));
  multiline(w, 0, 'Annotations', annotationLines(obj.metadata.annotations));
  const status = (obj as { status?: { phase?: string } }).status?.phase;
  if (status) w.line(0, `Status:\t${status}`);
  const rest = { ...(obj as unknown as Record<string, unknown>) };
  for (const k of ['apiVersion', 'kind', 'metadata', 'status']) delete rest[k];
  let text = w.toString();
  if (Object.keys(rest).length) text += kubeYaml(rest);
  const ew = new DescribeWriter();
  describeEvents(ew, events);
  return text + ew.toString();
}

async function describeOne(ctx: CliContext, r: ResourceInfo, obj: KubeObject, withEvents: boolean): Promise<string> {
  const events = withEvents ? await eventsFor(ctx, obj, r.kind) : undefined;
  if (r.kind === 'Pod') return describePod(obj as Pod, events, ctx.clock);
  if (r.kind === 'ConfigMap') return describeConfigMap(obj as ConfigMap, events, ctx.clock);
  // Sizes only: a Secret's values never reach the terminal.
  if (r.kind === 'Secret') return describeSecret(obj as Secret, events, ctx.clock);
  if (r.kind === 'Service') {
    const { name = '', namespace = '' } = obj.metadata;
    const slices = await ctx.rest.resource<EndpointSlice>(info('EndpointSlice')).listAll({ namespace, labelSelector: `kubernetes.io/service-name=${name}` });
    return describeService(obj as Service, slices.items, events, ctx.clock);
  }
  if (r.kind === 'Node') {
    const name = obj.metadata.name ?? '';
    const pods = await listFiltered<Pod>(ctx, 'Pod', '', `spec.nodeName=${name},status.phase!=Succeeded,status.phase!=Failed`, (p) =>
      p.spec?.nodeName === name && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    );
    let lease: Lease | undefined;
    try {
      lease = await ctx.rest.leases.get(name, { namespace: 'kube-node-lease' });
    } catch {
      // A node without a lease (no kubelet yet) is described without one.
    }
    return describeNode({ node: obj as Node, pods, lease, events }, ctx.clock);
  }
  return describeGeneric(obj, events);
}

export async function describeAction(args: string[], flags: DescribeFlags, ctx: CliContext, io: Io): Promise<void> {
  const reqs = parseResourceArgs(args, 'describe');
  const withEvents = flags.showEvents !== false && flags.showEvents !== 'false';
  const pages: string[] = [];
  for (const req of reqs) {
    const client = ctx.rest.resource(req.info);
    const namespace = req.info.namespaced ? (flags.allNamespaces ? '' : ctx.namespace) : undefined;
    let objects: KubeObject[];
    if (req.names.length === 0) {
      objects = (await client.listAll({ namespace, labelSelector: flags.selector })).items;
    } else {
      objects = [];
      for (const name of req.names) {
        try {
          objects.push(await client.get(name, { namespace }));
        } catch (err) {
          if (!isApiError(err, 'NotFound')) throw err;
          // kubectl describe matches a name prefix when no object has the exact name.
          const matches = (await client.listAll({ namespace })).items.filter((o) => o.metadata.name?.startsWith(name));
          if (matches.length === 0) throw err;
          objects.push(...matches);
        }
      }
    }
    for (const o of objects) pages.push(await describeOne(ctx, req.info, o, withEvents));
  }
  if (pages.length === 0) {
    if (reqs.some((r) => r.names.length > 0)) throw new CliError('nothing to describe');
    io.stderr.write(`No resources found in ${ctx.namespace} namespace.\n`);
    return;
  }
  io.stdout.write(pages.join('\n\n'));
}

export function describeCommand(): Command {
  const cmd = new Command('describe')
    .description('Show details of a resource or group of resources (pods, nodes, ...), with their events')
    .argument('<resources...>', 'TYPE [NAME_PREFIX...] | TYPE/NAME')
    .option('-l, --selector <selector>', 'describe the objects matching this label selector')
    .option('-A, --all-namespaces', 'across all namespaces')
    .option('--show-events [bool]', 'show the events of each object (--show-events=false to leave them out)', true);
  withConnectionFlags(cmd);
  return cmd.action(async (args: string[], flags: DescribeFlags) => runVerb(flags, (ctx, io) => describeAction(args, flags, ctx, io)));
}
