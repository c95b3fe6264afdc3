// Invoking CNI plugins as the CNI spec says: the plugin binary from CNI_PATH, the verb and the
// container in environment variables (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME,
// CNI_PATH), the network configuration as JSON on stdin, the result (or an error object) as JSON
// on stdout. A list runs in order for ADD, each plugin getting the previous result, and in
// reverse for DEL. DEL tolerates what is already gone, so teardown is idempotent.
import path from 'node:path';
import { RuntimeError, type PortMapping } from '../cri.js';
import { runCommand } from '../oci/command.js';
import { buildConfList, loopbackConf, type ConfList, type NetworkOptions, type PluginConf } from './conflist.js';

export interface CniResult {
  cniVersion?: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: unknown[];
  dns?: unknown;
}

export interface AttachRequest {
  containerId: string;
  netns: string;
  ifName?: string;
  portMappings?: PortMapping[];
}

interface RuntimeConfig {
  portMappings?: { hostPort: number; containerPort: number; protocol: string; hostIP?: string }[];
}

export class CniNetwork {
  readonly conf: ConfList;
  readonly binDir: string;

  constructor(opts: NetworkOptions & { binDir?: string }) {
    this.conf = buildConfList(opts);
    this.binDir = opts.binDir ?? '/usr/lib/cni';
  }

  private async invoke(command: 'ADD' | 'DEL' | 'CHECK', plugin: PluginConf | ReturnType<typeof loopbackConf>, req: AttachRequest, ifName: string, extra: Record<string, unknown>): Promise<CniResult | undefined> {
    const stdin = JSON.stringify({ ...plugin, ...extra });
    const env = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: req.containerId,
      CNI_NETNS: req.netns,
      CNI_IFNAME: ifName,
      CNI_PATH: this.binDir,
    };
    const r = await runCommand(path.join(this.binDir, plugin.type), [], { input: stdin, env, timeoutMs: 30_000 });
    if (r.code !== 0) {
      let msg = r.stderr.trim() || r.stdout.trim();
      try {
        const e = JSON.parse(r.stdout) as { code?: number; msg?: string; details?: string };
        msg = `${e.msg ?? ''}${e.details ? `: ${e.details}` : ''} (code ${e.code})`;
      } catch {
        // not a CNI error object; keep the raw text
      }
      throw new RuntimeError('Internal', `CNI ${plugin.type} ${command} for ${req.containerId}: ${msg}`);
    }
    if (command !== 'ADD' || !r.stdout.trim()) return undefined;
    return JSON.parse(r.stdout) as CniResult;
  }

  private runtimeConfig(plugin: PluginConf, req: AttachRequest): RuntimeConfig | undefined {
    const caps = (plugin.capabilities ?? {}) as Record<string, boolean>;
    // A mapping without a host port only documents the container port (containerd skips it too).
    const mappings = (req.portMappings ?? []).filter((p) => p.hostPort > 0);
    if (!caps.portMappings || mappings.length === 0) return undefined;
    return {
      portMappings: mappings.map((p) => ({
        hostPort: p.hostPort,
        containerPort: p.containerPort,
        protocol: p.protocol.toLowerCase(),
        ...(p.hostIp ? { hostIP: p.hostIp } : {}),
      })),
    };
  }

  /** Sets up lo and eth0 in the namespace; returns the bridge chain's result (with the pod IP). */
  async add(req: AttachRequest): Promise<CniResult> {
    const ifName = req.ifName ?? 'eth0';
    // lo and eth0 are independent interfaces: bring lo up while the chain runs (one plugin exec less on the critical path).
    const lo = this.invoke('ADD', loopbackConf(this.conf.cniVersion), req, 'lo', {});
    let prev: CniResult | undefined;
    try {
      for (const plugin of this.conf.plugins) {
        const extra: Record<string, unknown> = { cniVersion: this.conf.cniVersion, name: this.conf.name };
        if (prev) extra.prevResult = prev;
        const rc = this.runtimeConfig(plugin, req);
        if (rc) extra.runtimeConfig = rc;
        else if (plugin.capabilities) {
          // Without port mappings there is nothing for portmap to do; skipping it keeps setup cheap.
          continue;
        }
        prev = (await this.invoke('ADD', plugin, req, ifName, extra)) ?? prev;
      }
      await lo;
    } catch (e) {
      await lo.catch(() => undefined);
      await this.del({ ...req }, prev).catch(() => undefined);
      throw e;
    }
    return prev ?? {};
  }

  /** Tears the chain down in reverse; idempotent (missing netns, veth or chains are fine). */
  async del(req: AttachRequest, prevResult?: CniResult): Promise<void> {
    const ifName = req.ifName ?? 'eth0';
    const errors: string[] = [];
    for (const plugin of [...this.conf.plugins].reverse()) {
      const extra: Record<string, unknown> = { cniVersion: this.conf.cniVersion, name: this.conf.name };
      if (prevResult) extra.prevResult = prevResult;
      const rc = this.runtimeConfig(plugin, req);
      if (rc) extra.runtimeConfig = rc;
      else if (plugin.capabilities) continue;
      try {
        await this.invoke('DEL', plugin, req, ifName, extra);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    if (errors.length) throw new RuntimeError('Internal', errors.join('; '));
  }
}

export function podIp(result: CniResult | undefined): string | undefined {
  const ip = result?.ips?.find((i) => i.address.includes('.')) ?? result?.ips?.[0];
  return ip?.address.split('/')[0];
}

/** Removes the node bridge (when a node, or a test, goes away); idempotent. */
export async function deleteBridge(bridge: string): Promise<void> {
  const r = await runCommand('ip', ['link', 'delete', bridge, 'type', 'bridge']);
  if (r.code !== 0 && !/Cannot find device|does not exist/.test(r.stderr)) throw new RuntimeError('Internal', `ip link delete ${bridge}: ${r.stderr.trim()}`);
}
