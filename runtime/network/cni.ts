// Invoking CNI plugins as the CNI spec says: the plugin binary from CNI_PATH, the verb and the
// container in environment variables (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME,
// CNI_PATH), the network configuration as JSON on stdin, the result (or an error object) as JSON
// on stdout. A list runs in order for ADD, each plugin getting the previous result, and in
// reverse for DEL. DEL tolerates what is already gone, so teardown is idempotent.
import path from 'node:path';
import { RuntimeError, type PortMapping } from '../cri.js';
import { runCommand } from '../oci/command.js';
import type { StepTimes } from '../step-times.js';
import { buildConfList, type ConfList, type NetworkOptions, type PluginConf } from './conflist.js';

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

export interface AddOptions {
  /** Settles when the namespace is there (plugins start meanwhile); a rejection fails the ADD. */
  ready?: Promise<unknown>;
  /** Where each plugin's time goes. */
  times?: StepTimes;
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

  /**
   * Runs one plugin. `extra` may be a promise: the plugin is started at once and gets its
   * configuration on stdin when the promise resolves (a plugin reads all of stdin before it
   * touches the namespace), so its start-up overlaps whatever it waits for.
   */
  private async invoke(command: 'ADD' | 'DEL' | 'CHECK', plugin: PluginConf, req: AttachRequest, ifName: string, extra: Record<string, unknown> | Promise<Record<string, unknown>>): Promise<CniResult | undefined> {
    const stdin = extra instanceof Promise ? extra.then((x) => JSON.stringify({ ...plugin, ...x })) : JSON.stringify({ ...plugin, ...extra });
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

  /** Sets up eth0 in the namespace (lo is up already: netns.ts); returns the chain's result (with the pod IP). */
  async add(req: AttachRequest, opts: AddOptions = {}): Promise<CniResult> {
    const ifName = req.ifName ?? 'eth0';
    const ready = Promise.resolve(opts.ready).then(() => undefined);
    // A plugin's time counts from when it has its input; `p` may fail before that (it is
    // observed here at once, so that failure is never reported as unhandled).
    const timed = <T>(step: string, start: Promise<unknown>, p: Promise<T>): Promise<T> => {
      p.catch(() => undefined);
      if (!opts.times) return p;
      const times = opts.times;
      return start.then(() => times.time(step, () => p), () => p);
    };
    // Every plugin of the chain starts now; each gets its configuration once what it needs is
    // there: the namespace for the first, the previous plugin's result for the next.
    let last: CniResult | undefined;
    let prev: Promise<CniResult | undefined> = ready.then(() => undefined);
    const steps: Promise<unknown>[] = [];
    for (const plugin of this.conf.plugins) {
      const rc = this.runtimeConfig(plugin, req);
      // Without port mappings there is nothing for portmap to do; skipping it keeps setup cheap.
      if (!rc && plugin.capabilities) continue;
      const input = prev.then((prevResult) => ({
        cniVersion: this.conf.cniVersion,
        name: this.conf.name,
        ...(prevResult ? { prevResult } : {}),
        ...(rc ? { runtimeConfig: rc } : {}),
      }));
      const before = prev;
      prev = timed(`cni.${plugin.type}`, input, this.invoke('ADD', plugin, req, ifName, input)).then(async (r) => {
        if (r) last = r;
        return r ?? (await before);
      });
      steps.push(prev.catch(() => undefined));
    }
    try {
      await prev;
    } catch (e) {
      await Promise.all(steps);
      await this.del({ ...req }, last).catch(() => undefined);
      throw e;
    }
    return last ?? {};
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
