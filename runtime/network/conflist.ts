// The CNI network configuration list skiff generates for a node: a bridge with host-local
// IPAM on the node's pod CIDR (the bridge is the pods' gateway), then portmap for hostPorts
// (with SNAT, so connections from the node's own loopback reach pods too). `lo` is up from
// the moment the namespace is made (netns.ts), so no loopback plugin runs.

export interface NetworkOptions {
  /** Network name; also names host-local's allocation directory. */
  name: string;
  bridge: string;
  podCidr: string;
  /** host-local's dataDir (under the runtime root so runtimes never share allocations). */
  ipamDataDir: string;
  cniVersion?: string;
}

export interface PluginConf {
  type: string;
  [key: string]: unknown;
}

export interface ConfList {
  cniVersion: string;
  name: string;
  plugins: PluginConf[];
}

export function buildConfList(o: NetworkOptions): ConfList {
  if (o.bridge.length > 15) throw new Error(`bridge name ${o.bridge} is longer than 15 characters (IFNAMSIZ)`);
  return {
    cniVersion: o.cniVersion ?? '1.0.0',
    name: o.name,
    plugins: [
      {
        type: 'bridge',
        bridge: o.bridge,
        isGateway: true,
        // No masquerade: skiff pods talk to each other and to the node; traffic to the outside
        // world is not something the runtime sets up.
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: o.podCidr }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: o.ipamDataDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}
