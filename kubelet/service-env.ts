// Service links: the environment the kubelet gives a pod for the Services it may talk to, as
// getServiceEnvVarMap and envvars.FromServices. The `kubernetes` Service of `default` in every
// namespace; with enableServiceLinks (the default) every Service of the pod's own namespace
// too, a same-named one there winning. Only Services with a cluster IP (not headless, not
// ExternalName): {NAME}_SERVICE_HOST, _SERVICE_PORT (the first port), _SERVICE_PORT_{PORTNAME}
// for named ports, and the docker-link {NAME}_PORT, _PORT_{port}_{PROTO}[_PROTO|_PORT|_ADDR].
import { isServiceIPSet } from '../api/service-endpoints.js';
import type { Service } from '../api/types/service.js';

/** The Services whose variables every pod gets, in `default`. */
const MASTER_SERVICES = new Set(['kubernetes']);

/** makeEnvVariableName: upper case, dashes to underscores. */
function envName(s: string): string {
  return s.replaceAll('-', '_').toUpperCase();
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** FromServices for one Service, in Kubernetes' order. */
function serviceVars(svc: Service, out: Map<string, string>): void {
  const ports = svc.spec.ports ?? [];
  const ip = svc.spec.clusterIP ?? '';
  const prefix = envName(svc.metadata.name ?? '');
  const first = ports[0];
  if (!first) return;
  out.set(`${prefix}_SERVICE_HOST`, ip);
  out.set(`${prefix}_SERVICE_PORT`, String(first.port));
  for (const sp of ports) if (sp.name) out.set(`${prefix}_SERVICE_PORT_${envName(sp.name)}`, String(sp.port));
  ports.forEach((sp, i) => {
    const proto = (sp.protocol ?? 'TCP').toLowerCase();
    const url = `${proto}://${joinHostPort(ip, sp.port)}`;
    // Docker special-cases the first port.
    if (i === 0) out.set(`${prefix}_PORT`, url);
    const pp = `${prefix}_PORT_${sp.port}_${proto.toUpperCase()}`;
    out.set(pp, url);
    out.set(`${pp}_PROTO`, proto);
    out.set(`${pp}_PORT`, String(sp.port));
    out.set(`${pp}_ADDR`, ip);
  });
}

/** getServiceEnvVarMap: the service-link variables of a pod in `namespace`. */
export function serviceEnvVars(services: readonly Service[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  const chosen = new Map<string, Service>();
  for (const svc of services) {
    if (!isServiceIPSet(svc)) continue;
    const name = svc.metadata.name ?? '';
    const ns = svc.metadata.namespace ?? 'default';
    if (ns === 'default' && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, svc);
    } else if (ns === namespace && enableServiceLinks) {
      chosen.set(name, svc);
    }
  }
  const out = new Map<string, string>();
  for (const name of [...chosen.keys()].sort()) serviceVars(chosen.get(name) as Service, out);
  return out;
}
