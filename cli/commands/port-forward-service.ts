// How `port-forward svc/NAME` turns the ports the user named into ports of the chosen pod, as
// kubectl's translateServicePortToTargetPort: a remote port is a Service port (by number or by
// its name), mapped to its targetPort (a number, or a container port name looked up in the pod);
// a headless Service's ports are the pods' own. A bare PORT keeps the Service port locally
// ("80" becomes 80 -> 8080); a bare port name listens on the Service port's number.
import type { Pod } from '../../api/types/core.js';
import type { Service } from '../../api/types/service.js';
import { CliError } from '../errors.js';

/** kubectl's splitPort: "L:R" or "P" (which is "P:P"). */
function splitPort(spec: string): [local: string, remote: string] {
  const parts = spec.split(':');
  return parts.length === 2 ? [parts[0]!, parts[1]!] : [parts[0]!, parts[0]!];
}

/** kubectl's LookupContainerPortNumberByName. */
function containerPortByName(pod: Pod, name: string): number {
  for (const c of pod.spec.containers) {
    const found = c.ports?.find((p) => p.name === name);
    if (found) return found.containerPort;
  }
  throw new CliError(`Pod '${pod.metadata.name ?? ''}' does not have a named port '${name}'`);
}

/** kubectl's LookupContainerPortNumberByServicePort. */
export function containerPortForServicePort(svc: Service, pod: Pod, port: number): number {
  const sp = svc.spec?.ports?.find((p) => p.port === port);
  if (!sp) throw new CliError(`Service ${svc.metadata.name ?? ''} does not have a service port ${port}`);
  if (svc.spec?.clusterIP === 'None') return port;
  const target = sp.targetPort;
  if (target === undefined || target === 0 || target === '') return sp.port;
  if (typeof target === 'number') return target;
  return containerPortByName(pod, target);
}

/** Each [LOCAL:]REMOTE of a service forward as the [LOCAL:]REMOTE to forward to the pod. */
export function translateServicePorts(specs: string[], svc: Service, pod: Pod): string[] {
  return specs.map((spec) => {
    let [local, remote] = splitPort(spec);
    let port = /^\d+$/.test(remote) ? Number(remote) : NaN;
    if (Number.isNaN(port)) {
      const named = svc.spec?.ports?.find((p) => p.name === remote);
      if (!named) throw new CliError(`Service '${svc.metadata.name ?? ''}' does not have a named port '${remote}'`);
      port = named.port;
      if (local === remote) local = String(port);
    }
    remote = String(containerPortForServicePort(svc, pod, port));
    return local !== remote ? `${local}:${remote}` : remote;
  });
}
