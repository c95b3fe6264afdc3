// `skiff up --demo` (what `npm start` runs): build the kuard-style demo image, push it to
// the local registry under the path that mirrors gcr.io/kuar-demo/kuard-amd64:blue, apply
// kuard as a Deployment of 2 replicas behind a NodePort Service and a kuard pod published on
// the node's port 8080, wait for them to run, and print the curl commands that reach them.
// No internet needed.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isApiError } from '../api/errors.js';
import type { Deployment } from '../api/types/apps.js';
import type { Pod } from '../api/types/core.js';
import type { Service } from '../api/types/service.js';
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

/** The demo's objects: the kuard Deployment (2 replicas), its NodePort Service and the pod published on the node's port 8080. */
export const DEMO_DEPLOYMENT = 'kuard-deployment.yaml';
export const DEMO_SERVICE = 'kuard-service.yaml';
const PUBLISHED_POD = 'kuard-pod-hostport.yaml';

const running = (p: Pod) => p.status?.phase === 'Running' && !!p.status.podIP && !p.metadata.deletionTimestamp;
const stuck = (pods: Pod[]) =>
  pods.flatMap((p) => p.status?.containerStatuses?.map((c) => c.state?.waiting?.reason ?? c.state?.terminated?.reason) ?? []).filter(Boolean);

/** The running pods of the demo's Deployment: those its ReplicaSets made (a pod-template-hash label). */
export async function demoDeploymentPods(client: RestClient): Promise<Pod[]> {
  const pods = (await client.pods.list({ namespace: 'default', labelSelector: 'app=kuard,pod-template-hash' })).items;
  return pods.filter(running).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

async function waitFor(what: string, timeoutMs: number, look: () => Promise<{ done: boolean; pods: Pod[] }>): Promise<Pod[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Pod[] = [];
  while (Date.now() < deadline) {
    const { done, pods } = await look();
    if (done) return pods;
    last = pods;
    await new Promise((r) => setTimeout(r, 250));
  }
  const waiting = stuck(last);
  throw new Error(`${what} not running${waiting.length ? ` (${waiting.join(', ')})` : ''}; try: skiff describe pods`);
}

async function createOrKeep<T extends { metadata: { name?: string } }>(create: () => Promise<T>, label: string, out: NodeJS.WritableStream): Promise<void> {
  try {
    await create();
    out.write(`${label} created\n`);
  } catch (e) {
    if (!isApiError(e, 'AlreadyExists')) throw e;
    out.write(`${label} unchanged\n`);
  }
}

export const readManifest = async <T>(file: string): Promise<T> => parseAllDocuments(await readFile(path.join(manifestsDir(), file), 'utf8'))[0]?.toJS() as T;

/** What `skiff up --demo` prints once the demo runs: curl through the Service's node port, and to the published pod. */
export function demoCurlLines(opts: { service: Service; deployment: string; pods: Pod[]; published: string; kubeconfig: string }): string {
  const nodePort = opts.service.spec?.ports?.[0]?.nodePort;
  const lines = ['', 'The demo is running:'];
  const replicas = opts.pods.map((p) => p.metadata.name).join(', ');
  if (nodePort) lines.push(`  curl http://127.0.0.1:${nodePort}/             # service ${opts.service.metadata.name} (NodePort ${nodePort}), balanced over the pods of deployment ${opts.deployment}: ${replicas}`);
  lines.push(`  curl http://127.0.0.1:8080/              # pod ${opts.published}, published on the node's port 8080`);
  lines.push(`  KUBECONFIG=${opts.kubeconfig} kubectl get deployments,services,pods -o wide`, '');
  return lines.join('\n');
}

/** Pushes the demo image, applies the kuard Deployment (2 replicas) and the published pod, waits for them to run. */
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
    const deployments = client.resourceByName<Deployment>('deployments', 'apps');
    const deployment = await readManifest<Deployment>(DEMO_DEPLOYMENT);
    const published = await readManifest<Pod>(PUBLISHED_POD);
    const services = client.resourceByName<Service>('services');
    const service = await readManifest<Service>(DEMO_SERVICE);
    await createOrKeep(() => deployments.create(deployment, { namespace: 'default' }), `deployment.apps/${deployment.metadata.name}`, opts.out);
    await createOrKeep(() => services.create(service, { namespace: 'default' }), `service/${service.metadata.name}`, opts.out);
    await createOrKeep(() => client.pods.create(published, { namespace: 'default' }), `pod/${published.metadata.name}`, opts.out);
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const replicas = deployment.spec?.replicas ?? 1;
    const kuards = await waitFor(`the ${replicas} pods of deployment ${deployment.metadata.name}`, timeoutMs, async () => {
      const d = await deployments.get(deployment.metadata.name ?? '', { namespace: 'default' });
      const pods = await demoDeploymentPods(client);
      return { done: (d.status?.readyReplicas ?? 0) >= replicas && (d.status?.updatedReplicas ?? 0) >= replicas && pods.length >= replicas, pods };
    });
    const [pub] = await waitFor(`pod ${published.metadata.name}`, timeoutMs, async () => {
      const p = await client.pods.get(published.metadata.name ?? '', { namespace: 'default' });
      return { done: running(p), pods: [p] };
    });
    const served = await services.get(service.metadata.name ?? '', { namespace: 'default' });
    opts.out.write(demoCurlLines({ service: served, deployment: deployment.metadata.name ?? '', pods: kuards, published: pub?.metadata.name ?? '', kubeconfig: paths.kubeconfig }));
    return [...kuards, ...(pub ? [pub] : [])];
  } finally {
    client.close();
  }
}
