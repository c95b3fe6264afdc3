// `skiff lab ...`: multi-node lab clusters on one machine (cluster/lab.ts).
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connectionFromKubeconfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest.js';
import { removeAllPods } from '../cluster/down.js';
import { labControl, labStateDir, runLab, setPartition } from '../cluster/lab.js';
import type { LabNetworkPlan } from '../cluster/lab-network.js';
import { parseProxyAddress, startProxy } from '../cluster/lab-proxy.js';
import { isAlive, runningPid, selfCommand, statePaths } from '../cluster/state.js';

const BASE = process.env.SKIFF_STATE_DIR ?? '/var/lib/skiff';

function labPlan(stateDir: string, name: string): LabNetworkPlan {
  const file = labControl(stateDir).planFile;
  if (!existsSync(file)) throw new Error(`no lab "${name}" in ${stateDir}`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { plan: LabNetworkPlan }).plan;
}

function nodeIndex(plan: LabNetworkPlan, k: string): number {
  const i = Number(k);
  if (!plan.nodes.some((n) => n.index === i)) throw new Error(`lab ${plan.lab} has nodes 1..${plan.nodes.length}, not "${k}"`);
  return i;
}

async function waitNodesReady(kubeconfig: string, names: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let client: RestClient | undefined;
  let missing = names;
  try {
    while (Date.now() < deadline) {
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
  const stateOpt = (c: Command) => c.option('--state-dir <dir>', 'base state dir (labs live in DIR/labs/NAME)', BASE);

  stateOpt(lab.command('up'))
    .description('start a lab cluster')
    .requiredOption('--name <name>', 'lab name')
    .option('--nodes <n>', 'number of nodes', '3')
    .option('--etcd-members <n>', 'etcd members: 1 or 3', '1')
    .option('--node-capacity <list>', 'capacity of each node, e.g. cpu=2,memory=4Gi')
    .option('--scheduler-config <file>', "KubeSchedulerConfiguration for the lab's scheduler (e.g. NodeResourcesFit MostAllocated)")
    .option('--foreground', 'supervise in this process', false)
    .option('--timeout <seconds>', 'how long to wait for the nodes', '180')
    .action(async (f: { name: string; nodes: string; etcdMembers: string; nodeCapacity?: string; schedulerConfig?: string; foreground: boolean; stateDir: string; timeout: string }) => {
      const dir = labStateDir(f.stateDir, f.name);
      const members = Number(f.etcdMembers);
      if (members !== 1 && members !== 3) throw new Error('--etcd-members must be 1 or 3');
      const opts = { name: f.name, nodes: Number(f.nodes), stateDir: dir, etcdMembers: members as 1 | 3, nodeCapacity: f.nodeCapacity, schedulerConfig: f.schedulerConfig };
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
      await mkdir(paths.logDir, { recursive: true });
      const out = openSync(`${paths.logDir}/lab-up.log`, 'a');
      const self = selfCommand();
      const args = ['lab', 'up', '--foreground', '--name', f.name, '--nodes', f.nodes, '--etcd-members', f.etcdMembers, '--state-dir', f.stateDir];
      if (f.nodeCapacity) args.push('--node-capacity', f.nodeCapacity);
      if (f.schedulerConfig) args.push('--scheduler-config', path.resolve(f.schedulerConfig));
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

  lab
    .command('proxy', { hidden: true })
    .description('pipe a TCP port and a unix socket (used inside lab nodes)')
    .requiredOption('--listen <addr>', 'tcp:HOST:PORT or unix:/PATH')
    .requiredOption('--connect <addr>', 'tcp:HOST:PORT or unix:/PATH')
    .option('--block-file <file>', 'refuse and cut connections while this file exists')
    .action(async (f: { listen: string; connect: string; blockFile?: string }) => {
      const p = await startProxy({ listen: parseProxyAddress(f.listen), connect: parseProxyAddress(f.connect), blockFile: f.blockFile });
      const stop = () => void p.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });

  lab
    .command('clean-node', { hidden: true })
    .description("remove every pod of a lab node's runtime (run inside the node's namespace)")
    .requiredOption('--root <dir>', 'the node runtime root')
    .requiredOption('--pod-cidr <cidr>', "the node's pod CIDR")
    .action(async (f: { root: string; podCidr: string }) => {
      const r = await removeAllPods(f.root, f.podCidr);
      process.stdout.write(`removed ${r.containers} container(s) and ${r.sandboxes} sandbox(es)\n`);
    });
  return lab;
}
