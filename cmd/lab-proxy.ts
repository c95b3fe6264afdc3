// `skiff lab proxy` (hidden): the pipe between a TCP port and a unix socket that carries a lab
// node's traffic to the control plane. Its own file, with nothing heavier than the proxy to
// load, because a lab runs three of these per node.
import { Command } from 'commander';
import { parseProxyAddress, startProxy } from '../cluster/lab-proxy.js';

export function labProxyCommand(): Command {
  return new Command('proxy')
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
}
