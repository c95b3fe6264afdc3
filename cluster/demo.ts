// `skiff up --demo` (what `npm start` runs): build the kuard-style demo image, push it to
// the local registry under the path that mirrors gcr.io/kuar-demo/kuard-amd64:blue, apply
// the classic kuard pod manifest and a variant published on the node's port 8080, wait for
// them to run, and print the curl commands that reach them. No internet needed.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isApiError } from '../api/errors.js';
import type { Pod } from '../api/types/core.js';
import { connectionFromKubeconfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest.js';
import { ContentStore } from '../runtime/images/content-store.js';
import { readDockerAuths } from '../runtime/images/docker-config.js';
import { pushImage } from '../runtime/images/pusher.js';
import { parseReference } from '../runtime/images/reference.js';
import { endpointsFor, loadRegistriesConfig, type RegistryAuth } from '../runtime/images/registries-config.js';
import { RegistryClient } from '../runtime/images/registry-client.js';
import { writeDemoImage } from './demo-image.js';
import { statePaths } from './state.js';

export const DEMO_IMAGE_PATH = 'kuar-demo/kuard-amd64:blue';
export const DEMO_MANIFESTS = ['kuard-pod.yaml', 'kuard-pod-hostport.yaml'];

/** The repository's manifests/ folder, from sources or from dist/. */
export function manifestsDir(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, 'manifests');
    if (existsSync(path.join(candidate, 'kuard-pod.yaml'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the manifests/ folder');
}

/** Builds the demo image and pushes it to `registryAddr` (with its credentials) as the gcr.io mirror expects it. */
export async function publishDemoImage(registryAddr: string, auth: RegistryAuth | undefined): Promise<{ ref: string; digest: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-demo-'));
  try {
    const store = new ContentStore(dir);
    await store.init();
    const img = await writeDemoImage(store);
    const ref = parseReference(`${registryAddr}/${DEMO_IMAGE_PATH}`);
    const client = new RegistryClient({ config: { mirrors: {}, configs: {} } });
    const pushed = await pushImage(client, store, ref, {
      manifestBytes: img.manifestBytes,
      mediaType: img.mediaType,
      config: img.manifest.config,
      layers: img.manifest.layers,
    }, { auth });
    return { ref: `${registryAddr}/${DEMO_IMAGE_PATH}`, digest: pushed.digest };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function waitRunning(client: RestClient, name: string, timeoutMs: number): Promise<Pod> {
  const deadline = Date.now() + timeoutMs;
  let pod: Pod | undefined;
  while (Date.now() < deadline) {
    pod = await client.pods.get(name, { namespace: 'default' });
    if (pod.status?.phase === 'Running' && pod.status.podIP) return pod;
    if (pod.status?.phase === 'Failed') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const waiting = pod?.status?.containerStatuses?.map((c) => c.state?.waiting?.reason ?? c.state?.terminated?.reason).filter(Boolean);
  throw new Error(`pod ${name} is ${pod?.status?.phase ?? 'missing'}${waiting?.length ? ` (${waiting.join(', ')})` : ''}; try: skiff describe pod ${name}`);
}

export async function runDemo(opts: { stateDir: string; registryAddr: string; out: NodeJS.WritableStream; timeoutMs?: number }): Promise<Pod[]> {
  const paths = statePaths(opts.stateDir);
  // A cluster already running without the mirror would pull the real gcr.io (no internet).
  const mirror = endpointsFor(await loadRegistriesConfig(paths.registriesYaml), 'gcr.io')[0];
  if (mirror?.host !== opts.registryAddr) {
    throw new Error(`the demo needs the local registry to mirror gcr.io, and the cluster in ${paths.root} runs without it: skiff down --state-dir ${paths.root}, then skiff up --demo (or --mirror-public-registries)`);
  }
  const auth = (await readDockerAuths([paths.dockerConfig]))[opts.registryAddr];
  const pushed = await publishDemoImage(opts.registryAddr, auth);
  opts.out.write(`demo image pushed: ${pushed.ref} (${pushed.digest}), served as gcr.io/${DEMO_IMAGE_PATH}\n`);
  const client = new RestClient(connectionFromKubeconfig({ kubeconfig: paths.kubeconfig }));
  try {
    const pods: Pod[] = [];
    for (const file of DEMO_MANIFESTS) {
      const text = await readFile(path.join(manifestsDir(), file), 'utf8');
      for (const doc of parseAllDocuments(text)) {
        const pod = doc.toJS() as Pod;
        try {
          await client.pods.create(pod, { namespace: 'default' });
          opts.out.write(`pod/${pod.metadata.name} created\n`);
        } catch (e) {
          if (!isApiError(e, 'AlreadyExists')) throw e;
          opts.out.write(`pod/${pod.metadata.name} unchanged\n`);
        }
        pods.push(pod);
      }
    }
    const running = [];
    for (const pod of pods) running.push(await waitRunning(client, pod.metadata.name ?? '', opts.timeoutMs ?? 120_000));
    const lines = ['', 'The demo is running:'];
    for (const p of running) {
      lines.push(`  curl http://${p.status?.podIP}:8080/        # pod ${p.metadata.name} on its pod IP`);
      if (p.spec.containers.some((c) => c.ports?.some((port) => port.hostPort === 8080))) {
        lines.push(`  curl http://127.0.0.1:8080/              # pod ${p.metadata.name}, published on the node's port 8080`);
      }
    }
    lines.push(`  KUBECONFIG=${paths.kubeconfig} kubectl get pods -o wide`, '');
    opts.out.write(lines.join('\n'));
    return running;
  } finally {
    client.close();
  }
}
