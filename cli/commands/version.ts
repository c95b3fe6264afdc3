// skiff version: the client's version and the server's (GET /version), as kubectl prints them.
import { Command } from 'commander';
import { withConnectionFlags, type CliContext, type ConnectionFlags } from '../context.js';
import { CliError } from '../errors.js';
import { kubeYaml } from '../printers/output.js';
import { runLocal, runVerb, type Io } from '../verb.js';

export const CLIENT_VERSION = { major: '1', minor: '30', gitVersion: 'v0.1.0-skiff', platform: `${process.platform}/${process.arch}` };

interface VersionFlags extends ConnectionFlags {
  client?: boolean;
  output?: string;
}

interface ServerVersion {
  gitVersion?: string;
  [k: string]: unknown;
}

function print(io: Io, flags: VersionFlags, server?: ServerVersion): void {
  const doc = { clientVersion: CLIENT_VERSION, ...(server ? { serverVersion: server } : {}) };
  if (flags.output === 'json') io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  else if (flags.output === 'yaml') io.stdout.write(kubeYaml(doc));
  else if (flags.output) throw new CliError(`--output must be 'yaml' or 'json'`);
  else io.stdout.write(`Client Version: ${CLIENT_VERSION.gitVersion}\n${server ? `Server Version: ${server.gitVersion ?? 'unknown'}\n` : ''}`);
}

export function versionCommand(): Command {
  const cmd = new Command('version')
    .description('Print the client and server version information')
    .option('--client', 'only the client version (no server needed)')
    .option('-o, --output <format>', 'yaml or json');
  withConnectionFlags(cmd);
  return cmd.action(async (flags: VersionFlags) => {
    if (flags.client) return runLocal((io) => print(io, flags));
    return runVerb(flags, async (ctx: CliContext, io) => {
      const server = await ctx.rest.request<ServerVersion>({ path: '/version' });
      print(io, flags, server);
    });
  });
}
