// Runs one probe of a container once: picks the handler (httpGet, tcpSocket, exec) and
// resolves its target (the pod IP unless the probe names a host; named ports from the
// container's ports list).
import type { Container, HTTPGetAction, IntOrString, Probe } from '../../api/types/core.js';
import type { RuntimeService } from '../../runtime/cri.js';
import { execProbe } from './exec-probe.js';
import { httpProbe, type HttpProbeTarget } from './http-probe.js';
import { tcpProbe } from './tcp-probe.js';
import { PROBE_DEFAULTS, type ProbeOutcome } from './types.js';

export interface ProbeTarget {
  podIP: string;
  containerId: string;
  container: Container;
  runtime: RuntimeService;
}

export function resolvePort(port: IntOrString, c: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^[0-9]+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

/**
 * The request an HTTPGetAction makes (a probe's or a lifecycle hook's): to the pod IP unless it
 * names a host, a named port from the container's ports; an error when either is missing.
 */
export function httpGetTarget(action: HTTPGetAction, c: Container, podIP: string | undefined): HttpProbeTarget | { error: string } {
  const port = resolvePort(action.port, c);
  if (port === undefined) return { error: `unknown port ${JSON.stringify(action.port)}` };
  const host = action.host || podIP;
  if (!host) return { error: 'no host to reach: the pod has no IP' };
  return { scheme: action.scheme ?? 'HTTP', host, port, path: action.path ?? '/', headers: Object.fromEntries((action.httpHeaders ?? []).map((h) => [h.name, h.value])) };
}

export async function runProbe(probe: Probe, t: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutSeconds = probe.timeoutSeconds ?? PROBE_DEFAULTS.timeoutSeconds;
  if (probe.exec) return execProbe(t.runtime, t.containerId, probe.exec.command ?? [], timeoutSeconds);
  if (probe.httpGet) {
    const target = httpGetTarget(probe.httpGet, t.container, t.podIP);
    if ('error' in target) return { result: 'Failure', output: target.error };
    return httpProbe(target, timeoutSeconds * 1000);
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, t.container);
    if (port === undefined) return { result: 'Failure', output: `unknown port ${JSON.stringify(probe.tcpSocket.port)}` };
    return tcpProbe(probe.tcpSocket.host || t.podIP, port, timeoutSeconds * 1000);
  }
  return { result: 'Failure', output: 'missing probe handler' };
}
