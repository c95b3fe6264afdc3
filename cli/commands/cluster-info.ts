// skiff cluster-info: where the control plane answers (after checking that it does).
import { Command } from 'commander';
import { withConnectionFlags, type ConnectionFlags } from '../context.js';
import { runVerb } from '../verb.js';

export function clusterInfoCommand(): Command {
  const cmd = new Command('cluster-info').description('Display the address of the control plane');
  withConnectionFlags(cmd);
  return cmd.action(async (flags: ConnectionFlags) =>
    runVerb(flags, async (ctx, io) => {
      // An answer from /version proves the address, the credentials aside.
      await ctx.rest.request({ path: '/version' });
      io.stdout.write(`Kubernetes control plane is running at ${ctx.connection.server}\n\n`);
      io.stdout.write("To further debug and diagnose cluster problems, use 'skiff get events -A' and 'skiff describe node'.\n");
    }),
  );
}
