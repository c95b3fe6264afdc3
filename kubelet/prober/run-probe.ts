// Runs one probe of a container once: picks the handler (httpGet, tcpSocket, exec) and
// resolves its target (the pod IP unless the probe names a host; named ports from the
// container's ports list).
import type { Container, IntOrString, Probe } from '../../api/types/core.js';
import type { RuntimeService } from '../../runtime/cri.js';
import { execProbe } from './exec-probe.js';
import { httpProbe } from './http-probe.js';
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

export async function runProbe(probe: Probe, t: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutSeconds = probe.timeoutSeconds ?? PROBE_DEFAULTS.timeoutSeconds;
  if (probe.exec) return execProbe(t.runtime, t.containerId, probe.exec.command ?? [], timeoutSeconds);
  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port, t.container);
    if (port === undefined) return { result: 'Failure', output: `unknown port ${JSON.stringify(probe.httpGet.port)}` };
    return httpProbe(
      {
        scheme: probe.httpGet.scheme ?? 'HTTP',
        host: probe.httpGet.host || t.podIP,
        port,
        path: probe.httpGet.path ?? '/',
        headers: Object.fromEntries((probe.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value])),
      },
      timeoutSeconds * 1000,
    );
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, t.container);
    if (port === undefined) return { result: 'Failure', output: `unknown port ${JSON.stringify(probe.tcpSocket.port)}` };
    return tcpProbe(probe.tcpSocket.host || t.podIP, port, timeoutSeconds * 1000);
  }
  return { result: 'Failure', output: 'missing probe handler' };
}
