// skiff config: view (secrets redacted unless --raw; --minify for the current context),
// current-context, get-contexts, use-context and set-context --namespace. Edits keep the
// file's comments and layout and go to the file kubectl would write: --kubeconfig, else
// the first KUBECONFIG file.
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseDocument, isSeq, isMap } from 'yaml';
import { kubeconfigPaths, loadKubeconfig, type Kubeconfig } from '../../client/kubeconfig.js';
import { CliError } from '../errors.js';
import { kubeYaml } from '../printers/output.js';
import { renderTable } from '../printers/table.js';
import { runLocal } from '../verb.js';

interface ConfigFlags {
  kubeconfig?: string;
}

const SECRET_DATA = ['certificate-authority-data', 'client-certificate-data', 'client-key-data'];

/** kubectl config view: -data fields become DATA+OMITTED, tokens and passwords REDACTED. */
export function redact(config: Kubeconfig): Kubeconfig {
  const hide = (o: Record<string, unknown>) => {
    const out = { ...o };
    for (const k of SECRET_DATA) if (out[k] !== undefined) out[k] = 'DATA+OMITTED';
    for (const k of ['token', 'password']) if (out[k] !== undefined) out[k] = 'REDACTED';
    return out;
  };
  return {
    ...config,
    clusters: config.clusters.map((c) => ({ ...c, cluster: hide({ ...c.cluster }) as never })),
    users: config.users.map((u) => ({ ...u, user: hide({ ...u.user }) as never })),
  };
}

/** Only the current context, its cluster and its user (kubectl config view --minify). */
export function minify(config: Kubeconfig, contextName?: string): Kubeconfig {
  const name = contextName ?? config['current-context'];
  const ctx = config.contexts.find((c) => c.name === name);
  if (!ctx) throw new CliError(name ? `context "${name}" does not exist` : 'current-context must exist in order to minify');
  return {
    ...config,
    'current-context': ctx.name,
    contexts: [ctx],
    clusters: config.clusters.filter((c) => c.name === ctx.context.cluster),
    users: config.users.filter((u) => u.name === ctx.context.user),
  };
}

function targetFile(flags: ConfigFlags): string {
  if (flags.kubeconfig) return flags.kubeconfig;
  const paths = kubeconfigPaths();
  return paths.find((p) => existsSync(p)) ?? (paths[0] as string);
}

async function editFile(flags: ConfigFlags, edit: (doc: ReturnType<typeof parseDocument>) => void): Promise<void> {
  const file = targetFile(flags);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
  }
  const doc = parseDocument(text);
  edit(doc);
  await writeFile(file, doc.toString(), { mode: 0o600 });
}

export function configCommand(): Command {
  const config = new Command('config').description('Show or change kubeconfig files (the same files kubectl reads)');
  const kubeconfigOpt = (c: Command) => c.option('--kubeconfig <file>', 'the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)');

  config.addCommand(
    kubeconfigOpt(new Command('view'))
      .description('Show the merged kubeconfig (secrets redacted)')
      .option('--raw', 'show certificates and tokens as they are')
      .option('--minify', 'only what the current context uses')
      .option('--context <name>', 'with --minify: this context instead of the current one')
      .option('-o, --output <format>', 'yaml (default) or json')
      .action(async (flags: ConfigFlags & { raw?: boolean; minify?: boolean; context?: string; output?: string }) =>
        runLocal((io) => {
          let cfg = loadKubeconfig(flags.kubeconfig);
          if (flags.minify) cfg = minify(cfg, flags.context);
          if (!flags.raw) cfg = redact(cfg);
          io.stdout.write(flags.output === 'json' ? `${JSON.stringify(cfg, null, 2)}\n` : kubeYaml(cfg));
        }),
      ),
  );

  config.addCommand(
    kubeconfigOpt(new Command('current-context'))
      .description('Print the current context')
      .action(async (flags: ConfigFlags) =>
        runLocal((io) => {
          const cur = loadKubeconfig(flags.kubeconfig)['current-context'];
          if (!cur) throw new CliError('current-context is not set');
          io.stdout.write(`${cur}\n`);
        }),
      ),
  );

  config.addCommand(
    kubeconfigOpt(new Command('get-contexts'))
      .description('List the contexts')
      .action(async (flags: ConfigFlags) =>
        runLocal((io) => {
          const cfg = loadKubeconfig(flags.kubeconfig);
          const rows = cfg.contexts.map((c) => [c.name === cfg['current-context'] ? '*' : '', c.name, c.context.cluster, c.context.user, c.context.namespace ?? '']);
          io.stdout.write(renderTable({ headers: ['CURRENT', 'NAME', 'CLUSTER', 'AUTHINFO', 'NAMESPACE'], rows }));
        }),
      ),
  );

  config.addCommand(
    kubeconfigOpt(new Command('use-context'))
      .description('Set the current context')
      .argument('<name>')
      .action(async (name: string, flags: ConfigFlags) =>
        runLocal(async (io) => {
          const cfg = loadKubeconfig(flags.kubeconfig);
          if (!cfg.contexts.some((c) => c.name === name)) throw new CliError(`no context exists with the name: "${name}"`);
          await editFile(flags, (doc) => doc.set('current-context', name));
          io.stdout.write(`Switched to context "${name}".\n`);
        }),
      ),
  );

  config.addCommand(
    kubeconfigOpt(new Command('set-context'))
      .description('Change a context (its namespace), by name or --current')
      .argument('[name]')
      .option('--current', 'the current context')
      .option('--namespace <namespace>', 'the default namespace of the context')
      .action(async (name: string | undefined, flags: ConfigFlags & { current?: boolean; namespace?: string }) =>
        runLocal(async (io) => {
          const cfg = loadKubeconfig(flags.kubeconfig);
          const target = flags.current ? cfg['current-context'] : name;
          if (!target) throw new CliError('you must specify a context name or --current');
          await editFile(flags, (doc) => {
            const contexts = doc.get('contexts');
            const entry = isSeq(contexts) ? contexts.items.find((i) => isMap(i) && i.get('name') === target) : undefined;
            if (!entry || !isMap(entry)) throw new CliError(`no context exists with the name: "${target}" in ${targetFile(flags)}`);
            if (flags.namespace !== undefined) doc.setIn(['contexts', contexts && isSeq(contexts) ? contexts.items.indexOf(entry) : 0, 'context', 'namespace'], flags.namespace);
          });
          io.stdout.write(`Context "${target}" modified.\n`);
        }),
      ),
  );
  return config;
}
