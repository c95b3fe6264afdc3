// One container's rules (validateContainers and friends in Kubernetes' validation.go): name,
// image, ports, env, volume mounts, probes, resources, security context. Runs after the
// schema has checked types, so fields have the types core.ts declares.
import { isIP } from 'node:net';
import { configMapKeyErrors, dns1123LabelErrors, envVarNameErrors, portNameErrors } from '../names.js';
import { Quantity } from '../quantity.js';
import type { Container, ContainerPort, EnvFromSource, EnvVar, IntOrString, LifecycleHandler, Probe, SecurityContext } from '../types/core.js';
import type { StatusCause } from '../types/meta.js';
import { duplicate, forbidden, invalid, notFound, notSupported, required } from './field.js';
import type { FieldPath } from './field.js';
import { validateResourceRequirements } from './resources.js';

const MAX_INT32 = 2147483647;

const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const ENV_RESOURCES = ['limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage'];

export function validatePortNumber(port: number, path: FieldPath): StatusCause[] {
  return port >= 1 && port <= 65535 && Number.isInteger(port) ? [] : [invalid(path, port, 'must be between 1 and 65535, inclusive')];
}

export function validatePortNumOrName(port: IntOrString, path: FieldPath): StatusCause[] {
  if (typeof port === 'number') return validatePortNumber(port, path);
  if (port === '') return [required(path)];
  return portNameErrors(port).map((msg) => invalid(path, port, msg));
}

function validatePorts(ports: ContainerPort[], path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = path.index(i);
    if (port.name) {
      for (const msg of portNameErrors(port.name)) causes.push(invalid(p.child('name'), port.name, msg));
      if (names.has(port.name)) causes.push(duplicate(p.child('name'), port.name));
      names.add(port.name);
    }
    if (!port.containerPort) causes.push(required(p.child('containerPort')));
    else causes.push(...validatePortNumber(port.containerPort, p.child('containerPort')));
    if (port.hostPort) causes.push(...validatePortNumber(port.hostPort, p.child('hostPort')));
    if (port.hostIP && !isIP(port.hostIP)) causes.push(invalid(p.child('hostIP'), port.hostIP, 'must be a valid IP address'));
  });
  return causes;
}

function validateEnv(env: EnvVar[], path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  env.forEach((ev, i) => {
    const p = path.index(i);
    if (!ev.name) causes.push(required(p.child('name')));
    else for (const msg of envVarNameErrors(ev.name)) causes.push(invalid(p.child('name'), ev.name, msg));
    if (!ev.valueFrom) return;
    const vf = p.child('valueFrom');
    const sources = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const).filter((k) => ev.valueFrom?.[k]);
    if (ev.value) causes.push(invalid(vf, '', 'may not be specified when `value` is not empty'));
    if (sources.length === 0) causes.push(invalid(vf, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (sources.length > 1) causes.push(invalid(vf, '', 'may not have more than one field specified at a time'));
    const fieldRef = ev.valueFrom.fieldRef;
    if (fieldRef) {
      const fp = fieldRef.fieldPath;
      const subscripted = /^metadata\.(labels|annotations)\['[^']+'\]$/.test(fp);
      if (!fp) causes.push(required(vf.child('fieldRef', 'fieldPath')));
      else if (!subscripted && !ENV_FIELD_PATHS.includes(fp)) causes.push(notSupported(vf.child('fieldRef', 'fieldPath'), fp, ENV_FIELD_PATHS));
    }
    for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const ref = ev.valueFrom[k];
      if (!ref) continue;
      if (!ref.name) causes.push(required(vf.child(k, 'name')));
      if (!ref.key) causes.push(required(vf.child(k, 'key')));
      else for (const msg of configMapKeyErrors(ref.key)) causes.push(invalid(vf.child(k, 'key'), ref.key, msg));
    }
    const resRef = ev.valueFrom.resourceFieldRef;
    if (resRef) {
      if (!ENV_RESOURCES.includes(resRef.resource)) causes.push(notSupported(vf.child('resourceFieldRef', 'resource'), resRef.resource, ENV_RESOURCES));
      if (resRef.divisor !== undefined) {
        try {
          if (Quantity.parse(resRef.divisor).sign() <= 0) causes.push(invalid(vf.child('resourceFieldRef', 'divisor'), resRef.divisor, 'must be greater than 0'));
        } catch (e) {
          causes.push(invalid(vf.child('resourceFieldRef', 'divisor'), resRef.divisor, (e as Error).message));
        }
      }
    }
  });
  return causes;
}

/** validateEnvFrom: a valid prefix, and exactly one of configMapRef and secretRef, named. */
function validateEnvFrom(envFrom: EnvFromSource[], path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  envFrom.forEach((ef, i) => {
    const p = path.index(i);
    if (ef.prefix) for (const msg of envVarNameErrors(ef.prefix)) causes.push(invalid(p.child('prefix'), ef.prefix, msg));
    const refs = (['configMapRef', 'secretRef'] as const).filter((k) => ef[k]);
    if (refs.length === 0) causes.push(invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (refs.length > 1) causes.push(invalid(p, '', 'may not have more than one field specified at a time'));
    for (const k of refs) if (!ef[k]?.name) causes.push(required(p.child(k, 'name')));
  });
  return causes;
}

function validateVolumeMounts(c: Container, volumes: ReadonlySet<string>, path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const p = path.index(i);
    if (!m.name) causes.push(required(p.child('name')));
    else if (!volumes.has(m.name)) causes.push(notFound(p.child('name'), m.name));
    if (!m.mountPath) causes.push(required(p.child('mountPath')));
    else if (mountPaths.has(m.mountPath)) causes.push(invalid(p.child('mountPath'), m.mountPath, 'must be unique'));
    mountPaths.add(m.mountPath);
    if (m.subPath) {
      if (m.subPath.startsWith('/')) causes.push(invalid(p.child('subPath'), m.subPath, 'must be a relative path'));
      if (m.subPath.split('/').includes('..')) causes.push(invalid(p.child('subPath'), m.subPath, "must not contain '..'"));
    }
  });
  return causes;
}

type ProbeKind = 'livenessProbe' | 'readinessProbe' | 'startupProbe';

/** A probe's or a hook's handler (Kubernetes' validateHandler): exactly one of `kinds`, each well formed. */
function validateHandler(h: Probe & LifecycleHandler, kinds: readonly ('exec' | 'httpGet' | 'tcpSocket' | 'sleep')[], path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  const handlers = kinds.filter((k) => h[k]);
  if (handlers.length === 0) causes.push(required(path, 'must specify a handler type'));
  for (const extra of handlers.slice(1)) causes.push(forbidden(path.child(extra), 'may not specify more than 1 handler type'));
  if (h.exec && !h.exec.command?.length) causes.push(required(path.child('exec', 'command')));
  if (h.httpGet) causes.push(...validatePortNumOrName(h.httpGet.port, path.child('httpGet', 'port')));
  if (h.tcpSocket) causes.push(...validatePortNumOrName(h.tcpSocket.port, path.child('tcpSocket', 'port')));
  return causes;
}

function validateProbe(probe: Probe, kind: ProbeKind, path: FieldPath): StatusCause[] {
  const causes = validateHandler(probe, ['exec', 'httpGet', 'tcpSocket'], path);
  if (probe.initialDelaySeconds !== undefined && probe.initialDelaySeconds < 0) {
    causes.push(invalid(path.child('initialDelaySeconds'), probe.initialDelaySeconds, 'must be greater than or equal to 0'));
  }
  // Defaulting turns an absent (or zero) value into 1/10/1/3, so anything below 1 here is a mistake.
  for (const f of ['timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    const v = probe[f];
    if (v !== undefined && v < 1) causes.push(invalid(path.child(f), v, 'must be greater than or equal to 1'));
  }
  if (kind !== 'readinessProbe' && probe.successThreshold !== undefined && probe.successThreshold > 1) {
    causes.push(invalid(path.child('successThreshold'), probe.successThreshold, 'must be 1'));
  }
  if (probe.terminationGracePeriodSeconds !== undefined) {
    if (kind === 'readinessProbe') causes.push(invalid(path.child('terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
    else if (probe.terminationGracePeriodSeconds <= 0) causes.push(invalid(path.child('terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  return causes;
}

/** A lifecycle hook (Kubernetes' validateHandler for preStop): one handler; a sleep within the pod's grace period. */
function validateLifecycleHandler(h: LifecycleHandler, gracePeriod: number | undefined, path: FieldPath): StatusCause[] {
  const causes = validateHandler(h, ['exec', 'httpGet', 'sleep'], path);
  const sleep = h.sleep?.seconds;
  if (sleep !== undefined && gracePeriod !== undefined && (sleep < 0 || sleep > gracePeriod)) {
    causes.push(invalid(path.child('sleep'), sleep, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`));
  }
  return causes;
}

export function validateIds(sc: { runAsUser?: number; runAsGroup?: number } | undefined, path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const f of ['runAsUser', 'runAsGroup'] as const) {
    const v = sc?.[f];
    if (v !== undefined && (v < 0 || v > MAX_INT32)) causes.push(invalid(path.child(f), v, `must be between 0 and ${MAX_INT32}, inclusive`));
  }
  return causes;
}

function validateSecurityContext(sc: SecurityContext | undefined, path: FieldPath): StatusCause[] {
  const causes = validateIds(sc, path);
  if (sc?.privileged && sc.allowPrivilegeEscalation === false) {
    causes.push(invalid(path, undefined, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  }
  return causes;
}

export interface ContainerContext {
  volumes: ReadonlySet<string>;
  init: boolean;
  /** The pod's terminationGracePeriodSeconds (defaulted): a preStop sleep stays within it. */
  gracePeriod?: number;
}

export function validateContainer(c: Container, path: FieldPath, ctx: ContainerContext): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!c.name) causes.push(required(path.child('name')));
  else for (const msg of dns1123LabelErrors(c.name)) causes.push(invalid(path.child('name'), c.name, msg));
  if (!c.image) causes.push(required(path.child('image')));
  else if (c.image.trim() !== c.image) causes.push(invalid(path.child('image'), c.image, 'must not have leading or trailing whitespace'));
  causes.push(...validatePorts(c.ports ?? [], path.child('ports')));
  causes.push(...validateEnv(c.env ?? [], path.child('env')));
  causes.push(...validateEnvFrom(c.envFrom ?? [], path.child('envFrom')));
  causes.push(...validateVolumeMounts(c, ctx.volumes, path.child('volumeMounts')));
  for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const probe = c[kind];
    if (!probe) continue;
    // Init containers run to completion, so probes have nothing to watch over.
    if (ctx.init) causes.push(forbidden(path.child(kind), 'may not be set for init containers'));
    else causes.push(...validateProbe(probe, kind, path.child(kind)));
  }
  if (c.lifecycle && ctx.init) causes.push(forbidden(path.child('lifecycle'), 'may not be set for init containers without restartPolicy=Always'));
  else if (c.lifecycle?.preStop) causes.push(...validateLifecycleHandler(c.lifecycle.preStop, ctx.gracePeriod, path.child('lifecycle', 'preStop')));
  causes.push(...validateResourceRequirements(c.resources, path.child('resources')));
  causes.push(...validateSecurityContext(c.securityContext, path.child('securityContext')));
  return causes;
}
