import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../cache/snapshot.js';
import { makeNodeInfo, makePod } from '../../framework/builders.js';
import { CycleState } from '../../framework/cycle-state.js';
import { normalizeImageName, PodInfo } from '../../framework/node-info.js';
import { ImageLocality } from './image-locality.js';

const MB = 1024 * 1024;

describe('image name normalization', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['team/app', 'docker.io/team/app:latest'],
    ['127.0.0.1:5000/app:v1', '127.0.0.1:5000/app:v1'],
    ['localhost/app', 'localhost/app:latest'],
    ['ghcr.io/x/y@sha256:abc', 'ghcr.io/x/y@sha256:abc'],
  ])('%s -> %s', (input, want) => expect(normalizeImageName(input)).toBe(want));
});

describe('ImageLocality', () => {
  const big = { names: ['docker.io/library/big:latest'], sizeBytes: 500 * MB };
  const small = { names: ['docker.io/library/small:latest'], sizeBytes: 10 * MB };
  const huge = { names: ['docker.io/library/huge:latest'], sizeBytes: 3000 * MB };
  const snapshot = new Snapshot();
  for (const ni of [
    makeNodeInfo({ name: 'has-big', images: [big] }),
    makeNodeInfo({ name: 'has-small', images: [small] }),
    makeNodeInfo({ name: 'has-huge', images: [huge, big] }),
    makeNodeInfo({ name: 'bare' }),
  ])
    snapshot.set(ni.name, ni);
  const plugin = new ImageLocality({ snapshot: () => snapshot });
  const score = (image: string, node: string) => plugin.score(new CycleState(), new PodInfo(makePod({ image })), snapshot.get(node)!);

  it.each([
    // 500 MB on 2 of 4 nodes -> 250 MB scaled: (250-23)/(1000-23)*100 = 23
    ['big', 'has-big', 23],
    ['big', 'bare', 0],
    // under the 23 MB threshold counts as nothing
    ['small', 'has-small', 0],
    // 3000 MB on 1 of 4 nodes -> 750 MB: (750-23)/(977)*100 = 74
    ['huge', 'has-huge', 74],
  ])('%s on %s scores %i', (image, node, want) => expect(score(image, node)).toBe(want));
});
