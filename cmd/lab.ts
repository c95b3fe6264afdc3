// `skiff lab ...`: multi-node lab clusters on one machine (cluster/lab.ts).
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connectionFromKubeconfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest.js';
import { removeAllPods } from '../cluster/down.js';
import { labControl, labStateDir, runLab, setPartition } from '../cluster/lab.js';
import { labNode, type LabNetworkPlan } from '../cluster/lab-network.js';
import { componentCommand, DEFAULT_STATE_DIR, isAlive, makeStateDir, PRIVATE_FILE_MODE, runningPid, statePaths } from '../cluster/state.js';
import { parseGoDuration } from '../api/duration.js';
import { labProxyCommand } from './lab-proxy.js';
import { removeProxyChains } from '../proxy/iptables.js';


interface LabUpFlags {
  name: string;
  nodes: string;
  etcdMembers: string;
  nodeCapacity?: string;
  schedulerConfig?: string;
  nodeMonitorGracePeriod?: string;
  defaultNotReadyTolerationSeconds?: string;
  defaultUnreachableTolerationSeconds?: string;
  syncFrequency?: string;
  foreground: boolean;
  stateDir: string;
  timeout: string;
}

function labPlan(stateDir: string, name: string): LabNetworkPlan {
  const file = labControl(stateDir).planFile;
  if (!existsSync(file)) throw new Error(`no lab "${name}" in ${stateDir}`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { plan: LabNetworkPlan }).plan;
}

function labEtcdMembers(stateDir: string, name: string): number {
  labPlan(stateDir, name);
  const lab = JSON.parse(readFileSync(labControl(stateDir).planFile, 'utf8')) as { etcd?: { members: unknown[] } };
  return lab.etcd?.members.length ?? 1;
}

function nodeIndex(plan: LabNetworkPlan, k: string): number {
  const i = Number(k);
  if (!plan.nodes.some((n) => n.index === i)) throw new Error(`lab ${plan.lab} has nodes 1..${plan.nodes.length}, not "${k}"`);
  return i;
}

/** `failed` answers why the nodes will never come (a join that failed), to stop waiting at once. */
async function waitNodesReady(kubeconfig: string, names: string[], timeoutMs: number, failed?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let client: RestClient | undefined;
  let missing = names;
  try {
    while (Date.now() < deadline) {
      const why = failed?.();
      if (why) throw new Error(why);
      if (!client && existsSync(kubeconfig)) client = new RestClient(connectionFromKubeconfig({ kubeconfig }), { timeoutMs: 3000 });
      if (client) {
        try {
          const list = await client.nodes.list();
          const ready = new Set(list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name));
          missing = names.filter((n) => !ready.has(n));
          if (missing.length === 0) return;
        } catch {
          // API server still starting
        }
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    client?.close();
  }
  throw new Error(`lab nodes not Ready after ${timeoutMs / 1000} s: ${missing.join(', ')}`);
}

export function labCommand(): Command {
  const lab = new Command('lab').description('multi-node lab clusters on this machine, each node in its own network namespace');
  const stateOpt = (c: Command) => c.option('--state-dir <dir>', 'base state dir (labs live in DIR/labs/NAME)', DEFAULT_STATE_DIR);

  stateOpt(lab.command('up'))
    .description('start a lab cluster')
    .requiredOption('--name <name>', 'lab name')
    .option('--nodes <n>', 'number of nodes', '3')
    .option('--etcd-members <n>', 'etcd members: 1 or 3', '1')
    .option('--node-capacity <list>', 'capacity of each node, e.g. cpu=2,memory=4Gi')
    .option('--scheduler-config <file>', "KubeSchedulerConfiguration for the lab's scheduler (e.g. NodeResourcesFit MostAllocated)")
    .option('--node-monitor-grace-period <d>', 'how long a silent node stays Ready before it is Unknown (e.g. 20s; default 40s)')
    .option('--default-not-ready-toleration-seconds <n>', "the lab API server's tolerationSeconds for the not-ready:NoExecute toleration every pod gets (default 300)")
    .option('--default-unreachable-toleration-seconds <n>', "the lab API server's tolerationSeconds for the unreachable:NoExecute toleration every pod gets (default 300)")
    .option('--sync-frequency <d>', "each kubelet's --sync-frequency: ConfigMap and Secret updates reach pods within it (default 1m)")
    .option('--foreground', 'supervise in this process', false)
    .option('--timeout <seconds>', 'how long to wait for the nodes', '180')
    .action(async (f: LabUpFlags) => {
      const dir = labStateDir(f.stateDir, f.name);
      const members = Number(f.etcdMembers);
      if (members !== 1 && members !== 3) throw new Error('--etcd-members must be 1 or 3');
      if (f.nodeMonitorGracePeriod) parseGoDuration(f.nodeMonitorGracePeriod); // a bad value fails here, not in the lab's controller-manager
      if (f.syncFrequency) parseGoDuration(f.syncFrequency); // and here, not in every kubelet
      for (const [flag, v] of [['--default-not-ready-toleration-seconds', f.defaultNotReadyTolerationSeconds], ['--default-unreachable-toleration-seconds', f.defaultUnreachableTolerationSeconds]] as const) {
        if (v !== undefined && !/^\d+$/.test(v)) throw new Error(`${flag} must be a whole number of seconds, not ${JSON.stringify(v)}`); // and here, not in the lab's API server
      }
      const opts = {
        name: f.name,
        nodes: Number(f.nodes),
        stateDir: dir,
        etcdMembers: members as 1 | 3,
        nodeCapacity: f.nodeCapacity,
        schedulerConfig: f.schedulerConfig,
        nodeMonitorGracePeriod: f.nodeMonitorGracePeriod,
        defaultNotReadyTolerationSeconds: f.defaultNotReadyTolerationSeconds,
        defaultUnreachableTolerationSeconds: f.defaultUnreachableTolerationSeconds,
        syncFrequency: f.syncFrequency,
      };
      if (f.foreground) {
        const stop = new AbortController();
        for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort());
        await runLab({ ...opts, tee: process.stdout.isTTY ? process.stdout : undefined }, stop.signal, (info) =>
          process.stdout.write(`lab ${f.name}: components started; kubeconfig ${info.kubeconfig}\n`),
        );
        return;
      }
      const paths = statePaths(dir);
      const pid = runningPid(paths);
      if (pid !== undefined) {
        process.stdout.write(`lab ${f.name} is already running (pid ${pid}); kubeconfig: ${paths.kubeconfig}\n`);
        return;
      }
      makeStateDir(paths);
      const out = openSync(`${paths.logDir}/lab-up.log`, 'a', PRIVATE_FILE_MODE);
      const self = componentCommand();
      const args = ['lab', 'up', '--foreground', '--name', f.name, '--nodes', f.nodes, '--etcd-members', f.etcdMembers, '--state-dir', f.stateDir];
      if (f.nodeCapacity) args.push('--node-capacity', f.nodeCapacity);
      if (f.schedulerConfig) args.push('--scheduler-config', path.resolve(f.schedulerConfig));
      if (f.nodeMonitorGracePeriod) args.push('--node-monitor-grace-period', f.nodeMonitorGracePeriod);
      if (f.defaultNotReadyTolerationSeconds) args.push('--default-not-ready-toleration-seconds', f.defaultNotReadyTolerationSeconds);
      if (f.defaultUnreachableTolerationSeconds) args.push('--default-unreachable-toleration-seconds', f.defaultUnreachableTolerationSeconds);
      if (f.syncFrequency) args.push('--sync-frequency', f.syncFrequency);
      const child = spawn(self.command, [...self.args, ...args], { detached: true, stdio: ['ignore', out, out], env: { ...process.env, SKIFF_LOG_JSON: '1' } });
      child.unref();
      const names = Array.from({ length: Number(f.nodes) }, (_, i) => `${f.name}-${i + 1}`);
      await waitNodesReady(paths.kubeconfig, names, Number(f.timeout) * 1000);
      if (child.pid === undefined || !isAlive(child.pid)) throw new Error(`the lab supervisor exited; see ${paths.logDir}/lab-up.log`);
      process.stdout.write(
        [`lab ${f.name} is up: ${names.join(', ')} Ready.`, `  export KUBECONFIG=${paths.kubeconfig}`, `  skiff lab down --name ${f.name}`, ''].join('\n'),
      );
    });

  stateOpt(lab.command('down'))
    .description('stop a lab and remove all of it')
    .requiredOption('--name <name>', 'lab name')
    .action(async (f: { name: string; stateDir: string }) => {
      const paths = statePaths(labStateDir(f.stateDir, f.name));
      const pid = runningPid(paths);
      if (pid !== undefined) {
        process.kill(pid, 'SIGTERM');
        const deadline = Date.now() + 120_000;
        while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      }
      await rm(paths.root, { recursive: true, force: true });
      process.stdout.write(`lab ${f.name} removed\n`);
    });

  stateOpt(lab.command('status'))
    .description('show the lab and its components')
    .requiredOption('--name <name>', 'lab name')
    .action((f: { name: string; stateDir: string }) => {
      const paths = statePaths(labStateDir(f.stateDir, f.name));
      const pid = runningPid(paths);
      const status = existsSync(paths.statusFile) ? readFileSync(paths.statusFile, 'utf8') : '{}';
      process.stdout.write(`lab ${f.name}: ${pid !== undefined ? `running (pid ${pid})` : 'not running'}\n${status}\n`);
    });

  for (const [verb, what] of [
    ['stop-node', 'stop the kubelet of node K (it stays stopped)'],
    ['start-node', 'start the kubelet of node K again'],
    ['partition-node', 'cut node K off the lab network and the API server'],
    ['heal-node', 'reconnect node K'],
  ] as const) {
    stateOpt(lab.command(`${verb} <name> <k>`))
      .description(what)
      .action(async (name: string, k: string, f: { stateDir: string }) => {
        const dir = labStateDir(f.stateDir, name);
        const plan = labPlan(dir, name);
        const i = nodeIndex(plan, k);
        const ctl = labControl(dir);
        if (verb === 'stop-node') await writeFile(ctl.stopFile(i), new Date().toISOString());
        if (verb === 'start-node') await rm(ctl.stopFile(i), { force: true });
        if (verb === 'partition-node') await setPartition(dir, plan, i, true);
        if (verb === 'heal-node') await setPartition(dir, plan, i, false);
        process.stdout.write(`lab ${name}: ${verb} ${i} done\n`);
      });
  }

  stateOpt(lab.command('add-node <name>'))
    .description('a new node joins the running lab: its own network namespace, credentials and kubelet')
    .option('--timeout <seconds>', 'how long to wait for the node to be Ready', '180')
    .action(async (name: string, f: { stateDir: string; timeout: string }) => {
      const dir = labStateDir(f.stateDir, name);
      const paths = statePaths(dir);
      const plan = labPlan(dir, name);
      if (runningPid(paths) === undefined) throw new Error(`lab ${name} is not running`);
      const node = labNode(name, Math.max(...plan.nodes.map((n) => n.index)) + 1);
      const ctl = labControl(dir);
      await rm(ctl.addNodeError(node.index), { force: true });
      await writeFile(ctl.addNodeFile(node.index), new Date().toISOString());
      const error = () => (existsSync(ctl.addNodeError(node.index)) ? `lab ${name}: node ${node.name} could not join: ${readFileSync(ctl.addNodeError(node.index), 'utf8').trim()}` : undefined);
      await waitNodesReady(paths.kubeconfig, [node.name], Number(f.timeout) * 1000, error);
      process.stdout.write(`lab ${name}: node ${node.name} joined (${node.ip}, pods ${node.podCidr})\n`);
    });

  for (const [verb, what] of [
    ['stop-etcd', 'stop etcd member I (0-based, as in its name lab-NAME-etcd-I) and keep it stopped'],
    ['start-etcd', 'start etcd member I again'],
  ] as const) {
    stateOpt(lab.command(`${verb} <name> <i>`))
      .description(what)
      .action(async (name: string, i: string, f: { stateDir: string }) => {
        const dir = labStateDir(f.stateDir, name);
        const members = labEtcdMembers(dir, name);
        const k = Number(i);
        if (!Number.isInteger(k) || k < 0 || k >= members) throw new Error(`lab ${name} has etcd members 0..${members - 1}, not "${i}"`);
        const file = labControl(dir).stopEtcdFile(k);
        if (verb === 'stop-etcd') await writeFile(file, new Date().toISOString());
        else await rm(file, { force: true });
        process.stdout.write(`lab ${name}: ${verb} ${k} done\n`);
      });
  }

  lab.addCommand(labProxyCommand(), { hidden: true });

  lab
    .command('clean-node', { hidden: true })
    .description("remove every pod of a lab node's runtime (run inside the node's namespace)")
    .requiredOption('--root <dir>', 'the node runtime root')
    .requiredOption('--pod-cidr <cidr>', "the node's pod CIDR")
    .option('--proxy-chain-tag <tag>', "the node proxy's chain tag: its chains are removed too")
    .action(async (f: { root: string; podCidr: string; proxyChainTag?: string }) => {
      // A lab going down is its machines losing power: the pods are killed, not asked to stop.
      const r = await removeAllPods(f.root, f.podCidr, undefined, 0);
      process.stdout.write(`removed ${r.containers} container(s) and ${r.sandboxes} sandbox(es); ${r.stateDir}\n`);
      if (f.proxyChainTag) process.stdout.write(`${await removeProxyChains(f.proxyChainTag)}\n`);
    });
  return lab;
}
