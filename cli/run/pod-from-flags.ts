// `skiff run NAME --image IMG` as a Pod: kubectl run's pod (label run=NAME, container named
// like the pod, --port, --env, --labels, --restart, --command -- ARGS) plus docker run's
// resource and port flags, translated the way skiff's kubelet maps them back to cgroups:
//   --publish [IP:]HOST:CONTAINER[/PROTO] -> containerPort + hostPort (+ hostIP)
//   --memory 512m (docker units: b k m g, binary) -> limits.memory 512Mi
//   --memory-swap (memory + swap; -1 unlimited) -> limits["skiff.dev/memory-swap"]
//   --cpu-shares N -> requests.cpu N*1000/1024 milli (so cpu.shares comes back as N)
//   --cpus 1.5 -> limits.cpu 1500m (CFS quota)
import { MEMORY_SWAP_RESOURCE } from '../../api/pod-resources.js';
import { formatBytes, formatMilliCPU, isQuantity, Quantity } from '../../api/quantity.js';
import type { Container, ContainerPort, Pod, RestartPolicy } from '../../api/types/core.js';
import { CliError } from '../errors.js';

export const MEMORY_SWAP = MEMORY_SWAP_RESOURCE;

export interface RunFlags {
  image?: string;
  port?: string;
  publish?: string[];
  env?: string[];
  labels?: string;
  annotations?: string[];
  restart?: string;
  command?: boolean;
  memory?: string;
  memorySwap?: string;
  cpuShares?: string;
  cpus?: string;
  imagePullPolicy?: string;
}

const DOCKER_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** docker's memory sizes (512m = 512 MiB) or a Kubernetes quantity (512Mi, 1G) -> bytes. */
export function parseMemory(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)([bkmgt]?)$/i.exec(value.trim());
  if (m) return Math.round(Number(m[1]) * (DOCKER_UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
  if (isQuantity(value)) return Quantity.parse(value).value();
  throw new CliError(`invalid ${flag} "${value}": use a size such as 512m, 1g (docker) or 512Mi, 1Gi`);
}

/** docker's restart policies mapped onto a pod's; kubectl's names pass as they are. */
export function restartPolicy(value: string | undefined): RestartPolicy {
  const v = (value ?? 'Always').trim();
  const lower = v.toLowerCase();
  if (lower === 'always' || lower === 'unless-stopped') return 'Always';
  if (lower === 'never' || lower === 'no') return 'Never';
  if (lower === 'onfailure' || lower === 'on-failure' || /^on-failure:\d+$/.test(lower)) return 'OnFailure';
  throw new CliError(`invalid restart policy: ${v}: use Always, OnFailure or Never (docker: always, on-failure, no, unless-stopped)`);
}

/** "[IP:]HOST:CONTAINER[/PROTO]" or "CONTAINER[/PROTO]" -> a container port. */
export function parsePublish(spec: string): ContainerPort {
  const [addr = '', proto = 'tcp'] = spec.split('/');
  const protocol = proto.toUpperCase();
  if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') throw new CliError(`invalid protocol "${proto}" in --publish ${spec}`);
  const parts = addr.split(':');
  const port = (s: string | undefined): number => {
    const n = Number(s);
    if (!s || !Number.isInteger(n) || n < 1 || n > 65535) throw new CliError(`invalid port "${s ?? ''}" in --publish ${spec}: a number from 1 to 65535`);
    return n;
  };
  const out: ContainerPort = { containerPort: port(parts[parts.length - 1]), protocol: protocol as ContainerPort['protocol'] };
  if (parts.length >= 2 && parts[parts.length - 2] !== '') out.hostPort = port(parts[parts.length - 2]);
  if (parts.length === 3 && parts[0]) out.hostIP = parts[0];
  if (parts.length > 3) throw new CliError(`invalid --publish ${spec}: use [IP:]HOST:CONTAINER[/PROTO]`);
  return out;
}

function keyValues(flag: string, items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new CliError(`invalid ${flag} "${item}": use KEY=VALUE`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export function podFromFlags(name: string, flags: RunFlags, args: string[]): Pod {
  if (!flags.image) throw new CliError('required flag(s) "image" not set');
  const container: Container = { name, image: flags.image };
  if (args.length > 0) {
    if (flags.command) container.command = args;
    else container.args = args;
  } else if (flags.command) {
    throw new CliError('--command needs the command after --, e.g. skiff run NAME --image IMG --command -- sleep 3600');
  }
  const ports: ContainerPort[] = (flags.publish ?? []).map(parsePublish);
  if (flags.port) {
    const p = Number(flags.port);
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new CliError(`invalid --port "${flags.port}"`);
    if (!ports.some((x) => x.containerPort === p)) ports.unshift({ containerPort: p });
  }
  if (ports.length) container.ports = ports.map((p) => (p.protocol === 'TCP' ? { ...p, protocol: undefined } : p)).map(dropUndefined);
  const env = keyValues('--env', flags.env ?? []);
  if (Object.keys(env).length) container.env = Object.entries(env).map(([k, v]) => ({ name: k, value: v }));

  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  const memory = flags.memory ? parseMemory('--memory', flags.memory) : undefined;
  if (memory !== undefined) limits.memory = formatBytes(memory);
  if (flags.memorySwap !== undefined) {
    if (memory === undefined) throw new CliError('You should always set the Memory limit when using Memoryswap limit, see usage.');
    if (flags.memorySwap.trim() === '-1') limits[MEMORY_SWAP] = '-1';
    else {
      const swap = parseMemory('--memory-swap', flags.memorySwap);
      if (swap < memory) throw new CliError('Minimum memoryswap limit should be larger than memory limit, see usage.');
      limits[MEMORY_SWAP] = formatBytes(swap);
    }
  }
  if (flags.cpuShares !== undefined) {
    const shares = Number(flags.cpuShares);
    if (!Number.isInteger(shares) || shares < 2) throw new CliError(`invalid --cpu-shares "${flags.cpuShares}": a whole number of at least 2`);
    // Rounded, not truncated, so the kubelet's milli*1024/1000 gives the same shares back.
    requests.cpu = formatMilliCPU(Math.round((shares * 1000) / 1024));
  }
  if (flags.cpus !== undefined) {
    const cpus = Number(flags.cpus);
    if (!Number.isFinite(cpus) || cpus <= 0) throw new CliError(`invalid --cpus "${flags.cpus}": a positive number such as 0.5 or 2`);
    limits.cpu = formatMilliCPU(Math.round(cpus * 1000));
  }
  if (Object.keys(limits).length || Object.keys(requests).length) {
    container.resources = {};
    if (Object.keys(limits).length) container.resources.limits = limits;
    if (Object.keys(requests).length) container.resources.requests = requests;
  }
  if (flags.imagePullPolicy) {
    if (!['Always', 'IfNotPresent', 'Never'].includes(flags.imagePullPolicy)) throw new CliError(`invalid --image-pull-policy "${flags.imagePullPolicy}": Always, IfNotPresent or Never`);
    container.imagePullPolicy = flags.imagePullPolicy as Container['imagePullPolicy'];
  }
  const labels = flags.labels ? keyValues('--labels', flags.labels.split(',').filter(Boolean)) : { run: name };
  const annotations = keyValues('--annotations', flags.annotations ?? []);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: { containers: [container], restartPolicy: restartPolicy(flags.restart), dnsPolicy: 'ClusterFirst' },
  };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
