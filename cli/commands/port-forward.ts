// skiff port-forward TYPE/NAME|POD [LOCAL:]REMOTE... [--address ADDR,...]: kubectl's verb. One
// SPDY/3.1 connection to pods/POD/portforward through the API server (tunnelled in a WebSocket
// when the server takes it, as kubectl 1.31+ does) carries every local connection
// (streams/port-forwarder.ts). pod/NAME and a bare NAME name a pod; svc/NAME, deploy/NAME and
// rs/NAME pick the first of their selector's pods in kubectl's order (the reverse of ActivePods:
// scheduled, Running, Ready, ready longest, fewest restarts, oldest), once the API server
// serves those kinds (discovery says so); until then they fail saying that they are not served.
import { Command } from 'commander';
import type { Duplex } from 'node:stream';
import { isApiError } from '../../api/errors.js';
import { PORT_FORWARD_CLIENT_WINDOWS, PORT_FORWARD_PROTOCOL, PORT_FORWARD_WEBSOCKET_TOKEN, WebSocketStream } from '../../api/httpstream/port-forward.js';
import { SpdySession } from '../../api/httpstream/spdy-session.js';
import { compareActivePods } from '../../api/active-pods.js';
import { labelSelectorFromObject, labelSelectorFromSet } from '../../api/selectors/labels.js';
import type { LabelSelector } from '../../api/types/meta.js';
import type { Service } from '../../api/types/service.js';
import { openWebSocket, upgradeToSpdy } from '../../client/upgrade.js';
import { withConnectionFlags, type CliContext, type ConnectionFlags } from '../context.js';
import { CliError } from '../errors.js';
import { PortForwarder, parsePortMapping } from '../streams/port-forwarder.js';
import { runVerb, type Io } from '../verb.js';
import { translateServicePorts } from './port-forward-service.js';

interface PortForwardFlags extends ConnectionFlags {
  address: string;
}

/** The kinds port-forward understands, by every name kubectl accepts, with where discovery lists them. */
const KINDS: Record<string, { kind: PortForwardTarget['kind']; resource: string; groupVersion: string }> = {};
for (const [names, kind, resource, groupVersion] of [
  [['pod', 'pods', 'po'], 'pod', 'pods', 'v1'],
  [['service', 'services', 'svc'], 'service', 'services', 'v1'],
  [['deployment', 'deployments', 'deploy'], 'deployment', 'deployments', 'apps/v1'],
  [['replicaset', 'replicasets', 'rs'], 'replicaset', 'replicasets', 'apps/v1'],
] as const) {
  for (const name of names) KINDS[name] = { kind, resource, groupVersion };
}

export interface PortForwardTarget {
  kind: 'pod' | 'service' | 'deployment' | 'replicaset';
  name: string;
}

export function parseTarget(arg: string): PortForwardTarget {
  const slash = arg.indexOf('/');
  if (slash < 0) return { kind: 'pod', name: arg };
  const info = KINDS[arg.slice(0, slash).toLowerCase()];
  const name = arg.slice(slash + 1);
  if (!info || name === '') throw new CliError(`cannot port-forward to "${arg}": use POD, pod/NAME, svc/NAME, deploy/NAME or rs/NAME`);
  return { kind: info.kind, name };
}

async function served(ctx: CliContext, groupVersion: string, resource: string): Promise<boolean> {
  const path = groupVersion === 'v1' ? '/api/v1' : `/apis/${groupVersion}`;
  try {
    const list = await ctx.rest.request<{ resources?: { name: string }[] }>({ path });
    return list.resources?.some((r) => r.name === resource) ?? false;
  } catch {
    return false;
  }
}

/** A service's selector map or a workload's label selector as a query; an empty one selects no pod to forward to. */
function selectorText(object: ServiceShape & WorkloadShape, kind: PortForwardTarget['kind'], what: string): string {
  const selector = kind === 'service' ? labelSelectorFromSet(object.spec?.selector as Record<string, string> | undefined) : labelSelectorFromObject(object.spec?.selector as LabelSelector | undefined);
  if (selector.isEmpty()) throw new CliError(`${what} has no selector: no pod to forward to`);
  return selector.toString();
}

interface ServiceShape {
  spec?: { selector?: Record<string, string> };
}
interface WorkloadShape {
  spec?: { selector?: LabelSelector };
}

/** The pod to forward to, and the port specs to forward to it (a service maps its ports to the pod's targetPorts). */
export async function resolvePod(ctx: CliContext, target: PortForwardTarget, specs: string[]): Promise<{ pod: string; specs: string[] }> {
  if (target.kind === 'pod') return { pod: target.name, specs };
  const info = Object.values(KINDS).find((k) => k.kind === target.kind)!;
  if (!(await served(ctx, info.groupVersion, info.resource))) throw new CliError(`${info.resource} are not served by this API server yet`);
  const object = (await ctx.rest.resourceByName(info.resource).get(target.name, { namespace: ctx.namespace })) as unknown as ServiceShape & WorkloadShape;
  const pods = await ctx.rest.pods.list({ namespace: ctx.namespace, labelSelector: selectorText(object, target.kind, `${target.kind} ${target.name}`) });
  // kubectl's GetFirstPod: the most active pod first (its caller then refuses one not Running).
  const pod = pods.items.sort((a, b) => compareActivePods(b, a))[0];
  if (!pod?.metadata.name) throw new CliError(`no pod for ${target.kind} ${target.name}`);
  if (target.kind !== 'service') return { pod: pod.metadata.name, specs };
  return { pod: pod.metadata.name, specs: translateServicePorts(specs, object as unknown as Service, pod) };
}

/**
 * The byte stream the SPDY session runs on: KEP-4006's WebSocket tunnel first, as kubectl 1.31+
 * does, else (or with SKIFF_PORT_FORWARD_WEBSOCKETS=false, kubectl's
 * KUBECTL_PORT_FORWARD_WEBSOCKETS) the SPDY/3.1 upgrade.
 */
async function connect(ctx: CliContext, path: string, query: URLSearchParams): Promise<Duplex> {
  if (process.env.SKIFF_PORT_FORWARD_WEBSOCKETS !== 'false') {
    const { ws, opened } = openWebSocket(ctx.rest, path, query, [PORT_FORWARD_WEBSOCKET_TOKEN]);
    const stream = new WebSocketStream(ws);
    stream.on('error', () => undefined); // a refused upgrade is handled below; the session reports a lost one
    try {
      await opened;
      if (ws.protocol === PORT_FORWARD_WEBSOCKET_TOKEN) return stream;
      stream.destroy();
    } catch (err) {
      stream.destroy();
      // A Status that is about the pod, not the protocol, is the answer: SPDY would get the same.
      if (isApiError(err) && (err.code === 404 || err.code === 403 || err.code === 401)) throw err;
    }
  }
  return (await upgradeToSpdy(ctx.rest, path, query, [PORT_FORWARD_PROTOCOL])).socket;
}

export async function portForwardAction(arg: string, specs: string[], flags: PortForwardFlags, ctx: CliContext, io: Io): Promise<void> {
  if (specs.length === 0) throw new CliError('at least 1 PORT is required for port-forward');
  const addresses = flags.address.split(',').map((a) => a.trim()).filter(Boolean);
  const { pod: name, specs: translated } = await resolvePod(ctx, parseTarget(arg), specs);
  const mappings = translated.map(parsePortMapping);
  const pod = await ctx.rest.pods.get(name, { namespace: ctx.namespace });
  if (pod.status?.phase !== 'Running') throw new CliError(`unable to forward port because pod is not running. Current status=${pod.status?.phase ?? 'Unknown'}`);
  const query = new URLSearchParams();
  for (const m of mappings) query.append('ports', String(m.remote));
  const path = ctx.rest.pods.path({ namespace: ctx.namespace, name, subresource: 'portforward' });
  const session = new SpdySession(await connect(ctx, path, query), { role: 'client', ...PORT_FORWARD_CLIENT_WINDOWS });
  const forwarder = new PortForwarder(session, io);
  let stopped = false;
  const ended = new Promise<void>((resolve, reject) => {
    const stop = () => {
      stopped = true;
      session.close();
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    session.once('close', () => (stopped ? resolve() : reject(new CliError('lost connection to pod'))));
  });
  try {
    await forwarder.listen(addresses, mappings);
    await ended;
  } finally {
    // Ending it ourselves (a listener that failed, say) is no lost connection: `ended` may never be awaited.
    stopped = true;
    forwarder.close();
    session.destroy();
  }
}

export function portForwardCommand(): Command {
  const cmd = new Command('port-forward')
    .description('Forward one or more local ports to a pod')
    .usage('TYPE/NAME [LOCAL_PORT:]REMOTE_PORT [...[LOCAL_PORT_N:]REMOTE_PORT_N]')
    .argument('<target>', 'POD, pod/NAME, svc/NAME, deploy/NAME or rs/NAME')
    .argument('[ports...]', '[LOCAL:]REMOTE, or :REMOTE for any free local port')
    .option('--address <addresses>', 'addresses to listen on, comma separated', '127.0.0.1');
  withConnectionFlags(cmd);
  return cmd.action(async (target: string, ports: string[], flags: PortForwardFlags) => runVerb(flags, (ctx, io) => portForwardAction(target, ports, flags, ctx, io)));
}
