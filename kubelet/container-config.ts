// The CRI configs the kubelet hands the runtime: the sandbox (metadata, hostname, port
// mappings from hostPorts, labels, pod cgroup) and each container (image, command/args,
// environment, mounts, resources, security context, labels and the annotations that let a
// restarted kubelet re-adopt it).
import type { Container, Pod } from '../api/types/core.js';
import type { ContainerConfig, LinuxContainerSecurityContext, PodSandboxConfig, PortMapping } from '../runtime/cri.js';
import { containerResources, podResources } from './cgroup-resources.js';
import { expandCommand, makeEnvironment, type EnvContext } from './env.js';
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_GRACE_PERIOD,
  ANNOTATION_HOST_NETWORK,
  ANNOTATION_RESTART_COUNT,
  containerLabels,
  hashContainer,
  podLabels,
} from './labels.js';
import type { Mount } from '../runtime/cri.js';
import { terminationAnnotations } from './termination-message.js';

export class ConfigError extends Error {}

export interface SandboxConfigOptions {
  attempt: number;
  /** Where container logs go (the runtime picks one when unset). */
  logDirectory?: string;
  /** The pod's resolv.conf (kubelet/dns-config.ts); the node's when unset. */
  dnsConfig?: PodSandboxConfig['dnsConfig'];
}

export function portMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ protocol: p.protocol ?? 'TCP', containerPort: p.containerPort, hostPort: p.hostPort, ...(p.hostIP ? { hostIp: p.hostIP } : {}) });
    }
  }
  return out;
}

export function sandboxConfig(pod: Pod, opts: SandboxConfigOptions): PodSandboxConfig {
  const name = pod.metadata.name ?? '';
  return {
    metadata: { name, uid: pod.metadata.uid ?? '', namespace: pod.metadata.namespace ?? 'default', attempt: opts.attempt },
    // A DNS label: at most 63 characters, no trailing dot or dash.
    hostname: (pod.spec.hostname ?? name).slice(0, 63).replace(/[-.]+$/, ''),
    ...(opts.logDirectory ? { logDirectory: opts.logDirectory } : {}),
    ...(opts.dnsConfig ? { dnsConfig: opts.dnsConfig } : {}),
    portMappings: portMappings(pod),
    labels: podLabels(pod),
    annotations: { ...(pod.metadata.annotations ?? {}), [ANNOTATION_HOST_NETWORK]: String(pod.spec.hostNetwork === true) },
    linux: { resources: podResources(pod), hostNetwork: pod.spec.hostNetwork === true },
  };
}

export function securityContext(pod: Pod, c: Container): LinuxContainerSecurityContext {
  const psc = pod.spec.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
  const runAsNonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
  if (runAsNonRoot && runAsUser === 0) {
    throw new ConfigError(`container's runAsUser breaks non-root policy (pod: "${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})", container: ${c.name})`);
  }
  const groups = [...(psc.supplementalGroups ?? []), ...(psc.fsGroup !== undefined ? [psc.fsGroup] : [])];
  return {
    ...(runAsUser !== undefined ? { runAsUser } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup } : {}),
    ...(sc.privileged ? { privileged: true } : {}),
    ...(sc.readOnlyRootFilesystem ? { readonlyRootfs: true } : {}),
    ...(sc.allowPrivilegeEscalation === false ? { noNewPrivs: true } : {}),
    ...(sc.capabilities ? { capabilities: { addCapabilities: sc.capabilities.add ?? [], dropCapabilities: sc.capabilities.drop ?? [] } } : {}),
    ...(groups.length ? { supplementalGroups: groups } : {}),
  };
}

export interface ContainerConfigOptions {
  /** The image as resolved by the pull (an image ID or the reference). */
  image: string;
  restartCount: number;
  init: boolean;
  mounts: Mount[];
  env: EnvContext;
  memoryCapacity?: number;
}

export function containerConfig(pod: Pod, c: Container, opts: ContainerConfigOptions): ContainerConfig {
  const envs = makeEnvironment(pod, c, opts.env);
  const command = expandCommand(c.command, envs);
  const args = expandCommand(c.args, envs);
  return {
    metadata: { name: c.name, attempt: opts.restartCount },
    image: { image: opts.image },
    ...(command ? { command } : {}),
    ...(args ? { args } : {}),
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    envs,
    mounts: opts.mounts,
    labels: containerLabels(pod, c, opts.init),
    annotations: {
      [ANNOTATION_CONTAINER_HASH]: hashContainer(c),
      [ANNOTATION_RESTART_COUNT]: String(opts.restartCount),
      [ANNOTATION_GRACE_PERIOD]: String(pod.spec.terminationGracePeriodSeconds ?? 30),
      ...terminationAnnotations(c),
    },
    logPath: `${c.name}/${opts.restartCount}.log`,
    ...(c.stdin ? { stdin: true } : {}),
    ...(c.stdin && c.stdinOnce ? { stdinOnce: true } : {}),
    ...(c.tty ? { tty: true } : {}),
    linux: { resources: containerResources(pod, c, opts.memoryCapacity ?? 0), securityContext: securityContext(pod, c) },
  };
}
