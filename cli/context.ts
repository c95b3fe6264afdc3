// What every verb that talks to a cluster shares: kubectl's connection flags (--kubeconfig,
// --context, -n, -s, --token, --request-timeout), the REST client they resolve to, and the
// namespace rules (-n, else the context's namespace, else "default"; -A for all).
import type { Command } from 'commander';
import { connectionFromKubeconfig, type ClusterConnection } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest.js';
import type { Clock } from './printers/age.js';
import { systemClock } from './printers/age.js';
import { parseDuration } from '../api/duration.js';

export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  server?: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
  requestTimeout?: string;
}

/** Adds the connection flags to a verb (per verb, because `skiff` also hosts daemons with their own flags). */
export function withConnectionFlags(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'the kubeconfig context to use')
    .option('-n, --namespace <namespace>', 'the namespace scope of this request')
    .option('-s, --server <url>', 'the address and port of the API server')
    .option('--token <token>', 'bearer token for authentication to the API server')
    .option('--insecure-skip-tls-verify', "don't check the server's certificate (insecure)")
    .option('--request-timeout <duration>', 'how long to wait for a single request (e.g. 30s, 1m; 0 = no limit)', '0');
}

export { parseDuration } from '../api/duration.js';

export interface CliContext {
  rest: RestClient;
  connection: ClusterConnection;
  /** -n, else the context's namespace. */
  namespace: string;
  /** True when -n was given (apply refuses objects of another namespace then). */
  explicitNamespace: boolean;
  clock: Clock;
}

export function resolveConnection(flags: ConnectionFlags): ClusterConnection {
  let connection: ClusterConnection;
  try {
    connection = connectionFromKubeconfig({ kubeconfig: flags.kubeconfig, context: flags.context });
  } catch (err) {
    // With --server on the command line no kubeconfig is needed, as with kubectl -s.
    if (!flags.server) throw err;
    connection = { server: flags.server, namespace: 'default' };
  }
  if (flags.server) connection = { ...connection, server: flags.server.replace(/\/+$/, '') };
  if (flags.token) connection = { ...connection, token: flags.token };
  if (flags.insecureSkipTlsVerify) connection = { ...connection, insecureSkipTLSVerify: true };
  if (flags.namespace) connection = { ...connection, namespace: flags.namespace };
  return connection;
}

export function cliContext(flags: ConnectionFlags): CliContext {
  const connection = resolveConnection(flags);
  const timeout = parseDuration(flags.requestTimeout ?? '0');
  const rest = new RestClient(connection, { userAgent: 'skiff/0.1.0', timeoutMs: timeout > 0 ? timeout : 5 * 60_000 });
  return { rest, connection, namespace: connection.namespace, explicitNamespace: Boolean(flags.namespace), clock: systemClock };
}
