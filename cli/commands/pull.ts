// skiff pull --node N IMAGE: has a node's kubelet pull an image (POST /images/pull through
// the node proxy) and shows its progress as docker does: bars per layer on a terminal, a
// line per layer and step otherwise, then "Status: ..." and the image ID. The user's
// credentials for the image's registry (their docker config, as `skiff login` keeps them)
// go with the request, as docker's client sends its own to the daemon. The kubelet
// answers 200 once the stream begins, so a failure arrives as the stream's last line.
import { Command } from 'commander';
import type { PullLine, PullRequestBody } from '../../api/wire/image-pull.js';
import { withConnectionFlags, type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { pullDisplay, type PullProgress } from '../images/pull-display.js';
import { kubeletStream, ndjson, targetNodes } from '../nodes/node-proxy.js';
import { runVerb, type Io } from '../verb.js';
import { withNodeFlag, type NodeFlags } from './images.js';

interface PullFlags extends NodeFlags {
  quiet?: boolean;
}

/** The user's credentials for an image's registry (from the docker config), handed in by cmd/. */
export type RegistryAuthFor = (image: string) => Promise<PullRequestBody['auth'] | undefined>;

/** Streams one pull on one node into `onProgress`; resolves with the image ID. */
export async function pullOnNode(ctx: CliContext, node: string, image: string, onProgress: (p: PullProgress) => void, signal?: AbortSignal, auth?: PullRequestBody['auth']): Promise<string> {
  const body: PullRequestBody | undefined = auth ? { auth } : undefined;
  const res = await kubeletStream(ctx.rest, node, '/images/pull', { method: 'POST', query: { image }, signal, ...(body ? { body } : {}) });
  for await (const value of ndjson(res)) {
    const line = value as PullLine;
    if (line.progress) onProgress(line.progress);
    else if (line.error !== undefined) throw new CliError(`pulling ${image} on node ${node}: ${line.error}`);
    else if (line.done && line.image) return line.image;
  }
  throw new CliError(`node ${node} ended the pull of ${image} without a result`);
}

export async function pullAction(image: string, flags: PullFlags, ctx: CliContext, io: Io, authFor?: RegistryAuthFor): Promise<void> {
  let node = flags.node;
  if (!node) {
    const nodes = await targetNodes(ctx.rest, undefined);
    if (nodes.length !== 1) throw new CliError(nodes.length === 0 ? 'the cluster has no nodes' : `the cluster has ${nodes.length} nodes: say which one pulls with --node NAME`);
    node = nodes[0] as string;
  }
  const display = flags.quiet ? undefined : pullDisplay(io.stdout as NodeJS.WritableStream & { isTTY?: boolean });
  let id: string;
  try {
    id = await pullOnNode(ctx, node, image, (p) => display?.onProgress(p), undefined, await authFor?.(image));
  } finally {
    // The bars stop first, so an error is not drawn over.
    display?.stop();
  }
  if (flags.quiet) io.stdout.write(`${id}\n`);
  else io.stdout.write(`Status: ${display?.fetched() ? 'Downloaded newer image' : 'Image is up to date'} for ${image} on node ${node}\nID: ${id}\n`);
}

/** `authFor`: the user's credentials for the image's registry, sent with the pull (as docker's client does). */
export function pullCommand(authFor?: RegistryAuthFor): Command {
  const cmd = new Command('pull')
    .description("Pull an image onto a node, with per-layer progress (through the API server's node proxy)")
    .argument('<image>', 'image reference, e.g. busybox, 127.0.0.1:5000/app:v1')
    .option('-q, --quiet', 'print only the image ID');
  withNodeFlag(cmd, 'the node that pulls (needed when the cluster has more than one)');
  withConnectionFlags(cmd);
  return cmd.action(async (image: string, flags: PullFlags) => runVerb(flags, (ctx, io) => pullAction(image, flags, ctx, io, authFor)));
}
