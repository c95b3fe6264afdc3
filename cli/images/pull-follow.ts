// Following a pull a node's kubelet is already making for a pod (GET /images/pulls?image=
// through the node proxy), for `skiff run --wait`: the same progress lines as `skiff pull`,
// ending with the pull's result, or at once when the kubelet is not pulling that image.
import type { RestClient } from '../../client/rest.js';
import { kubeletStream, ndjson } from '../nodes/node-proxy.js';
import type { PullLine, PullProgress } from '../../api/wire/image-pull.js';

export type FollowedPull = { state: 'pulled'; image: string } | { state: 'failed'; error: string } | { state: 'not-pulling' };

export async function followNodePull(rest: RestClient, node: string, image: string, onProgress: (p: PullProgress) => void, signal?: AbortSignal): Promise<FollowedPull> {
  const res = await kubeletStream(rest, node, '/images/pulls', { query: { image }, signal });
  for await (const value of ndjson(res)) {
    const line = value as PullLine;
    if (line.progress) onProgress(line.progress);
    else if (line.error !== undefined) return { state: 'failed', error: line.error };
    else if (line.done && line.pulling === false) return { state: 'not-pulling' };
    else if (line.done && line.image) return { state: 'pulled', image: line.image };
  }
  // The stream cut short (the kubelet restarted, the wait ended): nothing more to show.
  return { state: 'not-pulling' };
}
