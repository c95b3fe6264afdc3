// The OCI runtime-spec config.json for one application container: its process, root, mounts,
// namespaces (joining the sandbox's pinned network namespace), security defaults and resources
// under the pod's cgroup. Pure: everything it needs comes in as data, so it is unit-tested
// without processes; the container's create step gathers the data.
import type { LinuxContainerResources, LinuxContainerSecurityContext, Mount } from '../cri.js';
import { ALL_CAPABILITIES, MASKED_PATHS, READONLY_PATHS, effectiveCapabilities } from './defaults.js';
import { toOciResources, type OciResources } from './resources.js';
import type { ResolvedUser } from './user.js';

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: OciResources;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    sysctl?: Record<string, string>;
  };
}

export interface SpecInput {
  args: string[];
  env: string[];
  cwd: string;
  user: ResolvedUser;
  hostname?: string;
  /** The sandbox's pinned network namespace; undefined for host networking. */
  netnsPath?: string;
  cgroupsPath: string;
  resources?: LinuxContainerResources;
  security?: LinuxContainerSecurityContext;
  mounts?: Mount[];
  /** Host paths of the sandbox's generated /etc files, bind-mounted read-only. */
  etc?: { hosts?: string; resolvConf?: string; hostname?: string };
  annotations?: Record<string, string>;
  /** Rootfs directory, relative to the bundle or absolute. */
  rootPath?: string;
  /** The pod's (namespaced) sysctls, e.g. net.ipv4.ip_unprivileged_port_start. */
  sysctls?: Record<string, string>;
  /** A terminal for the process (the container's `tty`); conmon makes it through the console socket. */
  terminal?: boolean;
}

function baseMounts(hostNetwork: boolean): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    // sysfs can only be mounted fresh from a network namespace the container owns; on the host's
    // network it is bound from the host, read-only, as runc's rootless spec does.
    hostNetwork
      ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
      : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

function propagationOption(p: Mount['propagation']): string {
  switch (p) {
    case 'PROPAGATION_HOST_TO_CONTAINER':
      return 'rslave';
    case 'PROPAGATION_BIDIRECTIONAL':
      return 'rshared';
    default:
      return 'rprivate';
  }
}

export function buildSpec(input: SpecInput): OciSpec {
  const sec = input.security ?? {};
  const privileged = sec.privileged === true;
  const caps = privileged ? [...ALL_CAPABILITIES] : effectiveCapabilities(sec.capabilities?.addCapabilities, sec.capabilities?.dropCapabilities);
  const hostNetwork = input.netnsPath === undefined;

  const mounts = baseMounts(hostNetwork);
  const userDestinations = new Set((input.mounts ?? []).map((m) => m.containerPath));
  const etc: [string, string | undefined][] = [
    ['/etc/hosts', input.etc?.hosts],
    ['/etc/resolv.conf', input.etc?.resolvConf],
    ['/etc/hostname', input.etc?.hostname],
  ];
  for (const [dest, src] of etc) {
    if (src && !userDestinations.has(dest)) mounts.push({ destination: dest, type: 'bind', source: src, options: ['rbind', 'rprivate', 'ro'] });
  }
  for (const m of input.mounts ?? []) {
    mounts.push({
      destination: m.containerPath,
      type: 'bind',
      source: m.hostPath,
      options: ['rbind', propagationOption(m.propagation), m.readonly ? 'ro' : 'rw'],
    });
  }

  const namespaces: { type: string; path?: string }[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (input.netnsPath) namespaces.push({ type: 'network', path: input.netnsPath });

  const resources = toOciResources(input.resources);
  // Deny every device but the ones the runtime creates itself (null, zero, full, tty, random, urandom, pts).
  resources.devices = privileged ? [{ allow: true, access: 'rwm' }] : [{ allow: false, access: 'rwm' }];

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: input.terminal === true,
      user: { uid: input.user.uid, gid: input.user.gid, ...(input.user.additionalGids.length ? { additionalGids: input.user.additionalGids } : {}) },
      args: input.args,
      env: input.env,
      cwd: input.cwd || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      // Kubernetes: allowPrivilegeEscalation=false becomes noNewPrivs; privileged never has it.
      noNewPrivileges: !privileged && sec.noNewPrivs === true,
    },
    root: { path: input.rootPath ?? 'rootfs', readonly: sec.readonlyRootfs === true },
    mounts,
    linux: { namespaces, cgroupsPath: input.cgroupsPath, resources },
  };
  if (input.hostname) spec.hostname = input.hostname;
  if (input.sysctls && Object.keys(input.sysctls).length) spec.linux.sysctl = { ...input.sysctls };
  if (input.annotations && Object.keys(input.annotations).length) spec.annotations = input.annotations;
  if (!privileged) {
    spec.linux.maskedPaths = [...MASKED_PATHS];
    spec.linux.readonlyPaths = [...READONLY_PATHS];
  }
  return spec;
}
