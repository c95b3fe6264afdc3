// RunPodSandbox: a pinned network namespace (lo up) wired up by the CNI chain (bridge +
// host-local, portmap), the sandbox's /etc files, and the record. skiff has no pause
// container: the pinned namespace is what the pod's containers join. On any failure the
// steps already taken are undone.
import crypto from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RuntimeError, type PodSandboxConfig } from '../cri.js';
import { PRIVATE_DIR_MODE } from '../file-modes.js';
import { podIp } from '../network/cni.js';
import { applyPodResources, removeCgroupTree } from '../oci/cgroups.js';
import { createNetns, deleteNetns, netnsPath } from '../network/netns.js';
import { nowNs, saveSandbox, type RuntimeContext, type SandboxRecord } from '../runtime-context.js';
import { StepTimes } from '../step-times.js';
import { writeHostsFile, writeNameFiles } from './etc-files.js';

function validate(config: PodSandboxConfig): void {
  const m = config?.metadata;
  if (!m?.name || !m.namespace || !m.uid) throw new RuntimeError('InvalidArgument', 'sandbox metadata needs name, namespace and uid');
  for (const p of config.portMappings ?? []) {
    if (!Number.isInteger(p.hostPort) || p.hostPort < 0 || p.hostPort > 65535 || !Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) {
      throw new RuntimeError('InvalidArgument', `invalid port mapping ${p.hostPort}:${p.containerPort}`);
    }
  }
}

/**
 * The sandbox's network, by RunPodSandbox and again by the docker-style restart
 * (restart-sandbox.ts): its pinned namespace wired up by CNI (ADD, with the sandbox's port
 * mappings), the bridge claimed for this root, and /etc/hosts naming the pod's IP. `beside`
 * runs while the bridge is claimed. On failure the caller calls disconnectNetwork.
 */
export async function connectNetwork(ctx: RuntimeContext, rec: SandboxRecord, dir: string, t: StepTimes, beside: () => Promise<void> = async () => undefined): Promise<void> {
  if (rec.netnsName && rec.netnsPath) {
    const name = rec.netnsName;
    // The CNI plugins start while the namespace is made, and get their configuration once it is there.
    const netnsReady = t.time('netns', () => createNetns(name));
    // Whether the bridge is this root's is checked meanwhile (once per runtime instance).
    const ready = Promise.all([netnsReady, t.time('bridgeCheck', () => ctx.bridgeOwner.check())]);
    ready.catch(() => undefined); // the ADD fails with it
    try {
      rec.cniResult = await t.time('cni', () => ctx.networkFor(rec.network).add({ containerId: rec.id, netns: netnsPath(name), portMappings: rec.config.portMappings }, { ready, times: t }));
    } catch (e) {
      throw await ctx.bridgeOwner.explain(e);
    }
    rec.ip = podIp(rec.cniResult);
  }
  // The bridge is marked as this root's beside the remaining steps.
  const claimed = rec.netnsName ? t.time('bridgeClaim', () => ctx.bridgeOwner.claim()) : Promise.resolve();
  claimed.catch(() => undefined); // awaited below
  await t.time('hosts', () => writeHostsFile(dir, rec.hostname, rec.ip));
  await beside();
  await claimed;
}

/** Undoes a connectNetwork cut short (best effort: the error that cut it short is the one to report). */
export async function disconnectNetwork(ctx: RuntimeContext, rec: SandboxRecord): Promise<void> {
  if (rec.netnsPath) {
    await ctx.networkFor(rec.network).del({ containerId: rec.id, netns: rec.netnsPath, portMappings: rec.config.portMappings }, rec.cniResult).catch(() => undefined);
  }
  if (rec.netnsName) await deleteNetns(rec.netnsName).catch(() => undefined);
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
  const t = new StepTimes();
  try {
    // Small metadata on the critical path is written synchronously (see runtime-context.ts).
    // Private like the records in it; the /etc files in it stay readable by every user of the
    // pod's containers, which reach them through bind mounts, not through this directory.
    fsSync.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    if (!hostNetwork) {
      rec.netnsName = `skiff-${id.slice(0, 20)}`;
      rec.netnsPath = netnsPath(rec.netnsName);
      // Saved before anything else is made, so a crash at any point from here on (a kill -9
      // of the kubelet) still leaves a record that teardown finds and cleans up.
      await t.time('record', () => saveSandbox(ctx, rec));
    }
    fsSync.mkdirSync(rec.logDirectory, { recursive: true });
    await t.time('etcFiles', () => writeNameFiles(dir, hostname, config.dnsConfig));
    await connectNetwork(ctx, rec, dir, t, async () => {
      const podResources = config.linux?.resources;
      if (podResources) await t.time('podCgroup', () => applyPodResources(rec.cgroupParent, podResources));
    });
    rec.state = 'SANDBOX_READY';
    await t.time('recordReady', () => saveSandbox(ctx, rec));
  } catch (e) {
    await disconnectNetwork(ctx, rec);
    if (ownCgroup) await removeCgroupTree(rec.cgroupParent).catch(() => undefined);
    ctx.sandboxes.delete(id);
    if (rec.logDirectory.startsWith(ctx.dirs.logs + path.sep)) await fs.rm(rec.logDirectory, { recursive: true, force: true });
    await fs.rm(dir, { recursive: true, force: true });
    throw e;
  }
  ctx.logger.debug({ sandbox: id, pod: `${m.namespace}/${m.name}`, ip: rec.ip, ms: t.done() }, 'sandbox ready');
  return id;
}
