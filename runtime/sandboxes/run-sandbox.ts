// RunPodSandbox: a pinned network namespace wired up by the CNI chain (loopback, bridge +
// host-local, portmap), the sandbox's /etc files, and the record. skiff has no pause
// container: the pinned namespace is what the pod's containers join. On any failure the
// steps already taken are undone.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RuntimeError, type PodSandboxConfig } from '../cri.js';
import { podIp } from '../network/cni.js';
import { applyPodResources, removeCgroupTree } from '../oci/cgroups.js';
import { createNetns, deleteNetns, netnsPath } from '../network/netns.js';
import { nowNs, saveSandbox, type RuntimeContext, type SandboxRecord } from '../runtime-context.js';
import { writeEtcFiles } from './etc-files.js';

function validate(config: PodSandboxConfig): void {
  const m = config?.metadata;
  if (!m?.name || !m.namespace || !m.uid) throw new RuntimeError('InvalidArgument', 'sandbox metadata needs name, namespace and uid');
  for (const p of config.portMappings ?? []) {
    if (!Number.isInteger(p.hostPort) || p.hostPort < 0 || p.hostPort > 65535 || !Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) {
      throw new RuntimeError('InvalidArgument', `invalid port mapping ${p.hostPort}:${p.containerPort}`);
    }
  }
}

export async function runPodSandbox(ctx: RuntimeContext, config: PodSandboxConfig): Promise<string> {
  validate(config);
  const m = config.metadata;
  for (const s of ctx.sandboxes.values()) {
    const o = s.config.metadata;
    if (o.name === m.name && o.namespace === m.namespace && o.uid === m.uid && o.attempt === m.attempt) {
      throw new RuntimeError('AlreadyExists', `sandbox ${m.namespace}/${m.name} attempt ${m.attempt} already exists as ${s.id}`);
    }
  }
  const id = crypto.randomBytes(32).toString('hex');
  const dir = path.join(ctx.dirs.sandboxes, id);
  const hostNetwork = config.linux?.hostNetwork === true;
  const hostname = (hostNetwork ? os.hostname() : config.hostname || m.name).slice(0, 63);
  const ownCgroup = !config.linux?.cgroupParent;
  const rec: SandboxRecord = {
    id,
    config,
    state: 'SANDBOX_NOTREADY',
    createdAt: nowNs(),
    hostname,
    cgroupParent: config.linux?.cgroupParent || `${ctx.cgroupParent}/pod-${id.slice(0, 32)}`,
    ownCgroup,
    logDirectory: config.logDirectory || path.join(ctx.dirs.logs, id),
    network: ctx.nodeNetwork,
  };
  await fs.mkdir(dir, { recursive: true });
  try {
    if (!hostNetwork) {
      rec.netnsName = `skiff-${id.slice(0, 20)}`;
      rec.netnsPath = netnsPath(rec.netnsName);
      // Saved before the namespace and CNI ADD, so a crash at any point in between (a kill -9
      // of the kubelet) still leaves a record that teardown finds and cleans up.
      await saveSandbox(ctx, rec);
      await createNetns(rec.netnsName);
      rec.cniResult = await ctx.network.add({ containerId: id, netns: rec.netnsPath, portMappings: config.portMappings });
      rec.ip = podIp(rec.cniResult);
    }
    await writeEtcFiles(dir, hostname, rec.ip, config.dnsConfig);
    if (config.linux?.resources) await applyPodResources(rec.cgroupParent, config.linux.resources);
    await fs.mkdir(rec.logDirectory, { recursive: true });
    rec.state = 'SANDBOX_READY';
    await saveSandbox(ctx, rec);
  } catch (e) {
    if (rec.netnsPath) {
      await ctx.network.del({ containerId: id, netns: rec.netnsPath, portMappings: config.portMappings }, rec.cniResult).catch(() => undefined);
    }
    if (rec.netnsName) await deleteNetns(rec.netnsName).catch(() => undefined);
    if (ownCgroup) await removeCgroupTree(rec.cgroupParent).catch(() => undefined);
    ctx.sandboxes.delete(id);
    await fs.rm(dir, { recursive: true, force: true });
    throw e;
  }
  ctx.logger.debug({ sandbox: id, pod: `${m.namespace}/${m.name}`, ip: rec.ip }, 'sandbox ready');
  return id;
}
