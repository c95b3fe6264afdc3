// The Service `expose` makes for an object, as kubectl's expose: the selector is a pod's labels
// or a Deployment's/ReplicaSet's matchLabels (matchExpressions cannot be a Service selector),
// the Service takes the object's labels, ports come from --port or else from the containers'
// ports (named port-1, port-2... when there are several), and every targetPort is --target-port
// or else the port itself.
import type { Container, Pod } from '../../api/types/core.js';
import type { LabelSelector } from '../../api/types/meta.js';
import type { Protocol, Service, ServicePort, ServiceType } from '../../api/types/service.js';
import { CliError } from '../errors.js';

export interface ExposeOptions {
  /** Service ports, comma separated. */
  port?: string;
  targetPort?: string;
  type?: string;
  name?: string;
  protocol?: string;
}

/** The exposable object: a pod, or a workload with a selector and a pod template. */
export interface Exposable {
  kind: string;
  metadata: { name?: string; labels?: Record<string, string> };
  spec?: { selector?: LabelSelector; containers?: Container[]; template?: { spec?: { containers?: Container[] } } };
}

const TYPES: readonly ServiceType[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];

function selectorFor(obj: Exposable): Record<string, string> {
  if (obj.kind === 'Pod') {
    const labels = obj.metadata.labels ?? {};
    if (Object.keys(labels).length === 0) throw new CliError('the pod has no labels and cannot be exposed');
    return labels;
  }
  const selector = obj.spec?.selector;
  if (selector?.matchExpressions?.length) throw new CliError(`couldn't convert expressions - "${JSON.stringify(selector.matchExpressions)}" to map-based selector format`);
  const labels = selector?.matchLabels ?? {};
  if (Object.keys(labels).length === 0) throw new CliError(`the ${obj.kind} has no selector and cannot be exposed`);
  return labels;
}

function containersOf(obj: Exposable): Container[] {
  return (obj.kind === 'Pod' ? (obj as unknown as Pod).spec?.containers : obj.spec?.template?.spec?.containers) ?? [];
}

function protocolOf(text: string | undefined): Protocol | undefined {
  if (text === undefined || text === '') return undefined;
  if (text !== 'TCP' && text !== 'UDP' && text !== 'SCTP') throw new CliError(`invalid protocol "${text}": use TCP, UDP or SCTP`);
  return text;
}

function portsFor(obj: Exposable, opts: ExposeOptions): { port: number; protocol?: Protocol }[] {
  const flagProtocol = protocolOf(opts.protocol);
  if (opts.port !== undefined && opts.port !== '') {
    return opts.port.split(',').map((p) => {
      const n = /^\d+$/.test(p.trim()) ? Number(p.trim()) : NaN;
      if (!(n >= 1 && n <= 65535)) throw new CliError(`invalid port "${p}"`);
      return { port: n, protocol: flagProtocol };
    });
  }
  const found = containersOf(obj).flatMap((c) => c.ports ?? []).map((p) => ({ port: p.containerPort, protocol: flagProtocol ?? (p.protocol as Protocol | undefined) }));
  if (found.length === 0) throw new CliError("couldn't find port via --port flag or introspection");
  return found;
}

export function serviceForExpose(obj: Exposable, opts: ExposeOptions): Service {
  const selector = selectorFor(obj);
  const ports = portsFor(obj, opts);
  if (opts.type !== undefined && !TYPES.includes(opts.type as ServiceType)) throw new CliError(`invalid service type "${opts.type}": use ${TYPES.join(', ')}`);
  const target = opts.targetPort === undefined || opts.targetPort === '' ? undefined : /^\d+$/.test(opts.targetPort) ? Number(opts.targetPort) : opts.targetPort;
  const servicePorts: ServicePort[] = ports.map((p, i) => ({
    ...(ports.length > 1 ? { name: `port-${i + 1}` } : {}),
    port: p.port,
    ...(p.protocol ? { protocol: p.protocol } : {}),
    targetPort: target ?? p.port,
  }));
  const labels = obj.metadata.labels;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: opts.name || obj.metadata.name, ...(labels && Object.keys(labels).length ? { labels } : {}) },
    spec: { selector, ports: servicePorts, ...(opts.type ? { type: opts.type as ServiceType } : {}) },
  } as Service;
}
