// Which runtime root a node bridge belongs to. Each root keeps its own host-local IP
// allocations, so two roots on one bridge would hand out the same addresses, and a bridge made
// for one pod CIDR refuses another. The owner is written on the bridge itself, as its alias
// (`ip link set dev B alias ...`): it lives and dies with the bridge and is per network
// namespace, as bridges are (every lab node has its own). Checked before the first CNI ADD of
// a runtime instance, so a clash is an error naming the other user, not the bridge plugin's
// "already has an IP address different from ...".
import fs from 'node:fs';
import { RuntimeError } from '../cri.js';
import { runCommand } from '../oci/command.js';

const PREFIX = 'skiff runtime ';

interface BridgeInfo {
  alias?: string;
  /** IPv4 addresses as address/prefix. */
  addresses: string[];
}

async function readBridge(bridge: string): Promise<BridgeInfo | undefined> {
  const r = await runCommand('ip', ['-j', '-d', 'addr', 'show', 'dev', bridge]);
  if (r.code !== 0) {
    if (/does not exist|Cannot find device/.test(r.stderr)) return undefined;
    throw new RuntimeError('Internal', `ip addr show dev ${bridge}: ${r.stderr.trim()}`);
  }
  const [link] = JSON.parse(r.stdout) as { ifalias?: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  if (!link) return undefined;
  return { alias: link.ifalias, addresses: (link.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`) };
}

/** The bridge address host-local's `isGateway` gives a pod CIDR: its first host, with its prefix. */
export function gatewayOf(podCidr: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(podCidr);
  if (!m) throw new RuntimeError('InvalidArgument', `pod CIDR ${podCidr} is not an IPv4 CIDR`);
  const prefix = Number(m[5]);
  const base = m.slice(1, 5).reduce((n, o) => n * 256 + Number(o), 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const gw = ((base & mask) >>> 0) + 1;
  return `${[24, 16, 8, 0].map((s) => (gw >>> s) & 255).join('.')}/${prefix}`;
}

const ownerText = (root: string, podCidr: string) => `${PREFIX}${root} ${podCidr}`;

function parseOwner(alias: string | undefined): { root: string; podCidr: string } | undefined {
  if (!alias?.startsWith(PREFIX)) return undefined;
  const rest = alias.slice(PREFIX.length);
  const sp = rest.lastIndexOf(' ');
  return sp > 0 ? { root: rest.slice(0, sp), podCidr: rest.slice(sp + 1) } : undefined;
}

/** The runtime root whose bridge this is, while that root exists (for `skiff down`). */
export async function liveBridgeOwner(bridge: string): Promise<{ root: string; podCidr: string } | undefined> {
  const owner = parseOwner((await readBridge(bridge))?.alias);
  return owner && fs.existsSync(owner.root) ? owner : undefined;
}

export interface BridgeOwnerOptions {
  bridge: string;
  podCidr: string;
  /** This runtime's root. */
  root: string;
}

/**
 * Guards one runtime instance's node bridge: `check` before a CNI ADD (once per instance; a
 * later clash, e.g. a bridge deleted and made again by someone else, still surfaces: `explain`
 * turns the plugin's error into ours), `claim` after each one succeeds (one `ip` call, beside
 * the sandbox's other steps: a bridge made again since is claimed again).
 */
export class BridgeOwner {
  readonly #o: BridgeOwnerOptions;
  #checked?: Promise<void>;

  constructor(o: BridgeOwnerOptions) {
    this.#o = o;
  }

  /** Rejects when the bridge belongs to another live root or has another address. */
  check(): Promise<void> {
    this.#checked ??= this.#check();
    this.#checked.catch(() => {
      this.#checked = undefined;
    });
    return this.#checked;
  }

  async #check(): Promise<void> {
    const { bridge, podCidr, root } = this.#o;
    const info = await readBridge(bridge);
    if (!info) return;
    const owner = parseOwner(info.alias);
    this.#refuseOtherRoot(owner);
    const want = gatewayOf(podCidr);
    const other = info.addresses.filter((a) => a !== want);
    if (other.length) {
      const who = owner ? `the skiff runtime at ${owner.root} (gone)` : info.alias ? `"${info.alias}"` : 'a program that did not name itself on it: another program, or an older skiff';
      throw new RuntimeError(
        'FailedPrecondition',
        `bridge ${bridge} already has the address ${other.join(', ')} (made by ${who}), not ${want} for this runtime's pod CIDR ${podCidr} (${root}): choose another bridge and pod CIDR, or delete the bridge (ip link delete ${bridge})`,
      );
    }
  }

  // A root whose directory is gone left the bridge behind; its allocations went with it.
  #refuseOtherRoot(owner: { root: string; podCidr: string } | undefined): void {
    const { bridge, podCidr, root } = this.#o;
    if (owner && owner.root !== root && fs.existsSync(owner.root)) {
      throw new RuntimeError(
        'FailedPrecondition',
        `bridge ${bridge} is used by the skiff runtime at ${owner.root} (pod CIDR ${owner.podCidr}); this runtime (${root}, pod CIDR ${podCidr}) needs a bridge of its own: choose another bridge and pod CIDR, or remove that runtime's pods and the bridge (ip link delete ${bridge})`,
      );
    }
  }

  /** Marks the bridge as this root's (after the bridge plugin made or joined it); rejects when another live root claimed it meanwhile. */
  async claim(): Promise<void> {
    const { bridge, podCidr, root } = this.#o;
    const text = ownerText(root, podCidr);
    const info = await readBridge(bridge);
    if (!info || info.alias === text) return;
    this.#refuseOtherRoot(parseOwner(info.alias));
    const r = await runCommand('ip', ['link', 'set', 'dev', bridge, 'alias', text]);
    if (r.code !== 0) throw new RuntimeError('Internal', `ip link set dev ${bridge} alias: ${r.stderr.trim()}`);
  }

  /** The clear error for a failed ADD when the bridge is the cause; `e` itself otherwise. */
  async explain(e: unknown): Promise<unknown> {
    this.#checked = undefined;
    try {
      await this.check();
    } catch (clash) {
      return clash;
    }
    return e;
  }
}
