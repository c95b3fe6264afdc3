// skiff images [--node N]: the images on the cluster's nodes, as `docker images` shows them
// (REPOSITORY TAG IMAGE ID CREATED SIZE), read from each kubelet's GET /images through the
// API server's node proxy. With more than one node a NODE column leads.
import { Command } from 'commander';
import { withConnectionFlags, type CliContext, type ConnectionFlags } from '../context.js';
import { CliError } from '../errors.js';
import { imageRows, shortId, type NodeImage } from '../images/image-format.js';
import { kubeletRequest, targetNodes } from '../nodes/node-proxy.js';
import { renderTable } from '../printers/table.js';
import { reportError, runVerb, type Io } from '../verb.js';

export interface NodeFlags extends ConnectionFlags {
  node?: string;
}

interface ImagesFlags extends NodeFlags {
  quiet?: boolean;
}

export async function nodeImages(ctx: CliContext, node: string): Promise<NodeImage[]> {
  const answer = await kubeletRequest<{ images?: NodeImage[] }>(ctx.rest, node, '/images');
  if (!answer || !Array.isArray(answer.images)) throw new CliError(`node ${node} answered GET /images without an image list`);
  return answer.images;
}

export async function imagesAction(flags: ImagesFlags, ctx: CliContext, io: Io): Promise<void> {
  const nodes = await targetNodes(ctx.rest, flags.node);
  if (nodes.length === 0) throw new CliError('the cluster has no nodes');
  const many = nodes.length > 1;
  const now = ctx.clock().getTime();
  const rows: string[][] = [];
  const ids: string[] = [];
  for (const node of nodes) {
    let list: NodeImage[];
    try {
      list = await nodeImages(ctx, node);
    } catch (err) {
      // One node that does not answer is reported; the others are still listed.
      if (!many) throw err;
      reportError(new CliError(`node ${node}: ${(err as Error).message.trim()}`), io);
      continue;
    }
    for (const img of list) if (!ids.includes(shortId(img.id))) ids.push(shortId(img.id));
    for (const r of imageRows(list, now)) rows.push(many ? [node, ...r] : r);
  }
  if (flags.quiet) {
    io.stdout.write(ids.map((id) => `${id}\n`).join(''));
    return;
  }
  const headers = ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'];
  io.stdout.write(renderTable({ headers: many ? ['NODE', ...headers] : headers, rows }));
}

export function withNodeFlag(cmd: Command, what: string): Command {
  return cmd.option('--node <name>', what);
}

export function imagesCommand(): Command {
  const cmd = new Command('images').description("List the images on the cluster's nodes (docker images, through the API server's node proxy)").option('-q, --quiet', 'only image IDs');
  withNodeFlag(cmd, 'only this node (default: every node)');
  withConnectionFlags(cmd);
  return cmd.action(async (flags: ImagesFlags) => runVerb(flags, (ctx, io) => imagesAction(flags, ctx, io)));
}
