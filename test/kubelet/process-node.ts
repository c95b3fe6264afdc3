// The kubelet suites' node whose kubelet is a process of its own (`skiff kubelet`), on the
// control plane of harness.ts: its kubeconfig written with the node's token, with
// `kubeletServer` its HTTPS API too (a certificate the API server trusts), and the runtime
// cleaned up through a runtime instance on its root, since containers outlive the kubelet.
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import type { RestClient } from '../../client/rest.js';
import { ImageService } from '../../runtime/image-service.js';
import { SkiffRuntimeService } from '../../runtime/runtime-service.js';
import { kubeletPki } from '../fixtures/kubelet-pki.js';
import { startSkiff, type Proc } from '../fixtures/process.js';
import { expectStateDirReleased } from '../fixtures/runtime-state.js';
import { cleanRuntime, nodeNetwork, startControlPlane, type ControlPlane } from './harness.js';

export interface ProcessNodeOptions {
  /** Names the node, namespace, bridge and cgroup parent ("kr" -> node kr-<hex>). */
  prefix: string;
  /** Second octet of the pod CIDR (10.X.Y.0/24), apart from other suites'. */
  cidrSecondOctet: number;
  /** Also serve the kubelet's HTTPS API: --address 127.0.0.1, --kubelet-port 0, a token file the API server knows. */
  kubeletServer?: boolean;
  /** API server in the test process (default) or as `skiff apiserver`. */
  apiInProcess?: boolean;
}

export interface ProcessNode {
  cp: ControlPlane;
  node: string;
  ns: string;
  admin: RestClient;
  image: string;
  /** The kubelet's --root; its runtime lives under <root>/runtime. */
  kubeletRoot: string;
  /** The running `skiff kubelet` (replaced by startKubelet()). */
  kubelet: Proc;
  /** Starts another `skiff kubelet` with the same flags (after a kill). */
  startKubelet(): Proc;
  /** A fresh runtime instance on the kubelet's root (it reads the records once: make one per look). */
  readRuntime(): SkiffRuntimeService;
  teardown(): Promise<void>;
}

export async function startProcessNode(opts: ProcessNodeOptions): Promise<ProcessNode> {
  const pki = opts.kubeletServer ? await kubeletPki(opts.prefix) : undefined;
  const cp = await startControlPlane({
    prefix: opts.prefix,
    registry: true,
    api: { inProcess: opts.apiInProcess ?? true, ...(pki ? { kubeletClient: { ...pki.apiClient, ca: pki.ca } } : {}) },
  });
  const net = nodeNetwork(cp.suffix, opts.prefix.slice(-1), opts.cidrSecondOctet);
  const kubeletRoot = path.join(cp.root, 'kubelet');
  const rtRoot = path.join(kubeletRoot, 'runtime');
  const readRuntime = () => new SkiffRuntimeService({ root: rtRoot, images: new ImageService({ root: rtRoot }), bridgeName: net.bridge, podCidr: net.podCidr, cgroupParent: net.cgroupParent });
  const args = [
    'kubelet',
    `--node-name=${cp.node}`,
    `--root=${kubeletRoot}`,
    `--pod-cidr=${net.podCidr}`,
    '--node-ip=127.0.0.1',
    '--capacity=cpu=4,memory=8Gi',
    `--bridge=${net.bridge}`,
    `--cgroup-parent=${net.cgroupParent}`,
    `--registry-config=${cp.registriesYaml}`,
  ];
  let out: ProcessNode | undefined;
  const teardown = async () => {
    await out?.kubelet.stop(10_000);
    // The containers outlive the kubelet by design: remove them through the runtime, by ID.
    const kept = await cleanRuntime(readRuntime(), net);
    await cp.teardown();
    expectStateDirReleased(kept);
  };
  try {
    const kubeconfig = path.join(cp.root, 'kubelet.kubeconfig');
    await writeKubeconfig(kubeconfig, buildKubeconfig({ server: cp.api.url, token: cp.api.nodeToken(cp.node), name: cp.node }));
    args.push(`--kubeconfig=${kubeconfig}`);
    if (pki) {
      const file = async (name: string, text: string) => (await fs.writeFile(path.join(cp.root, name), text, { mode: 0o600 }), path.join(cp.root, name));
      args.push(
        '--address=127.0.0.1',
        '--kubelet-port=0',
        `--client-ca-file=${await file('kubelet-client-ca.crt', pki.ca)}`,
        `--tls-cert-file=${await file('kubelet.crt', pki.serving.cert)}`,
        `--tls-private-key-file=${await file('kubelet.key', pki.serving.key)}`,
      );
    }
    out = {
      cp,
      node: cp.node,
      ns: cp.ns,
      admin: cp.admin,
      image: cp.image,
      kubeletRoot,
      kubelet: startSkiff(args),
      startKubelet() {
        const p = startSkiff(args);
        if (out) out.kubelet = p;
        return p;
      },
      readRuntime,
      teardown,
    };
    return out;
  } catch (e) {
    await teardown();
    throw e;
  }
}
