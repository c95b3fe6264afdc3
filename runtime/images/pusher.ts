// The pusher: ships an image from the content store through the distribution API — blobs
// the registry already has are skipped (HEAD), the others uploaded (POST, then a monolithic
// PUT with the digest), and the manifest PUT last so the registry never names missing blobs.
import { RuntimeError } from '../cri.js';
import type { ContentStore } from './content-store.js';
import { errorText } from './http.js';
import type { Descriptor } from './media-types.js';
import type { Reference } from './reference.js';
import type { RegistryAuth } from './registries-config.js';
import type { RegistryClient } from './registry-client.js';

export interface PushOptions {
  auth?: RegistryAuth;
  signal?: AbortSignal;
  onBlob?: (d: Descriptor, status: 'exists' | 'uploaded') => void;
}

export interface PushImage {
  manifestBytes: Buffer;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export async function pushImage(client: RegistryClient, store: ContentStore, ref: Reference, image: PushImage, options: PushOptions = {}): Promise<{ digest: string; uploaded: number; skipped: number }> {
  // Pushing goes to the registry itself, never a mirror.
  const eps = client.endpoints(ref.domain);
  const ep = eps[eps.length - 1];
  const scope = `repository:${ref.path}:pull,push`;
  const req = { scope, auth: options.auth, signal: options.signal };
  let uploaded = 0;
  let skipped = 0;
  for (const d of [...image.layers, image.config]) {
    const head = await client.request(ep, 'HEAD', `/v2/${ref.path}/blobs/${d.digest}`, req);
    head.resume();
    if (head.statusCode === 200) {
      skipped++;
      options.onBlob?.(d, 'exists');
      continue;
    }
    const start = await client.request(ep, 'POST', `/v2/${ref.path}/blobs/uploads/`, { ...req, headers: { 'content-length': '0' } });
    if (start.statusCode !== 202) throw new RuntimeError('Unavailable', `push ${ref.path}: starting the upload of ${d.digest}: HTTP ${start.statusCode} ${await errorText(start)}`);
    start.resume();
    const location = start.headers.location;
    if (!location) throw new RuntimeError('Unavailable', `push ${ref.path}: registry gave no upload location`);
    const u = new URL(location, `${ep.base}/`);
    u.searchParams.set('digest', d.digest);
    const info = await store.info(d.digest);
    if (!info) throw new RuntimeError('NotFound', `push ${ref.path}: blob ${d.digest} is not in the content store`);
    const put = await client.request(ep, 'PUT', u.toString(), {
      ...req,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(info.size) },
      body: () => store.createReadStream(d.digest),
    });
    if (put.statusCode !== 201) throw new RuntimeError('Unavailable', `push ${ref.path}: upload of ${d.digest}: HTTP ${put.statusCode} ${await errorText(put)}`);
    put.resume();
    uploaded++;
    options.onBlob?.(d, 'uploaded');
  }
  const tag = ref.digest ?? ref.tag ?? 'latest';
  const res = await client.request(ep, 'PUT', `/v2/${ref.path}/manifests/${tag}`, {
    ...req,
    headers: { 'content-type': image.mediaType, 'content-length': String(image.manifestBytes.length) },
    body: image.manifestBytes,
  });
  if (res.statusCode !== 201) throw new RuntimeError('Unavailable', `push ${ref.path}:${tag}: manifest PUT: HTTP ${res.statusCode} ${await errorText(res)}`);
  res.resume();
  const digest = String(res.headers['docker-content-digest'] ?? '');
  return { digest, uploaded, skipped };
}
