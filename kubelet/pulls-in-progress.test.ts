import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types/core.js';
import { RuntimeError, type PullProgress } from '../runtime/cri.js';
import { imagePullBackoff } from './backoff.js';
import { FakeClock } from './clock.js';
import { ImagePuller } from './image-puller.js';
import { PullsInProgress, pullsInProgressOf, type PullEnd } from './pulls-in-progress.js';
import { makePod } from './testing/builders.js';
import { FakeRuntime } from '../runtime/fake/fake-runtime.js';

const p = (status: PullProgress['status'], bytesDone: number, digest = 'sha256:aa'): PullProgress => ({ digest, kind: 'layer', status, bytesDone, bytesTotal: 100 });

function recorder() {
  const seen: PullProgress[] = [];
  const ends: PullEnd[] = [];
  return { seen, ends, follower: { onProgress: (x: PullProgress) => seen.push(x), onEnd: (e: PullEnd) => ends.push(e) } };
}

describe('PullsInProgress', () => {
  it('a late follower gets each layer step seen so far (newest bytes), then live progress and the end', () => {
    const pulls = new PullsInProgress();
    const t = pulls.begin('app:v1');
    t.progress(p('waiting', 0));
    t.progress(p('downloading', 10));
    t.progress(p('downloading', 40));
    const r = recorder();
    const stop = pulls.follow('app:v1', r.follower);
    expect(stop).toBeDefined();
    expect(r.seen).toEqual([p('waiting', 0), p('downloading', 40)]);
    t.progress(p('done', 100));
    t.end({ image: 'sha256:id' });
    expect(r.seen.at(-1)).toEqual(p('done', 100));
    expect(r.ends).toEqual([{ image: 'sha256:id' }]);
    expect(pulls.follow('app:v1', recorder().follower)).toBeUndefined();
    expect(pulls.inProgress()).toEqual([]);
  });

  it('no pull of an image: follow says so', () => {
    expect(new PullsInProgress().follow('nope:1', recorder().follower)).toBeUndefined();
  });

  it('two pulls of one image share the entry until the last ends; a failure reaches followers', () => {
    const pulls = new PullsInProgress();
    const a = pulls.begin('app:v1');
    const b = pulls.begin('app:v1');
    const r = recorder();
    pulls.follow('app:v1', r.follower);
    a.end({ image: 'sha256:id' });
    expect(r.ends).toEqual([]);
    expect(pulls.inProgress()).toEqual(['app:v1']);
    b.end({ error: 'connection reset' });
    expect(r.ends).toEqual([{ error: 'connection reset' }]);
    expect(pulls.inProgress()).toEqual([]);
  });

  it('a follower that stops hears nothing more', () => {
    const pulls = new PullsInProgress();
    const t = pulls.begin('app:v1');
    const r = recorder();
    const stop = pulls.follow('app:v1', r.follower);
    stop?.();
    t.progress(p('downloading', 5));
    t.end({ image: 'sha256:id' });
    expect(r.seen).toEqual([]);
    expect(r.ends).toEqual([]);
  });
});

describe('ImagePuller publishes its pulls', () => {
  it('the pull is followable when the Pulling event is recorded, and ends with the image or the error', async () => {
    const clock = new FakeClock();
    const rt = new FakeRuntime(clock);
    const pulls = pullsInProgressOf(rt);
    const ends: PullEnd[] = [];
    const recorder = {
      event: (_pod: Pod, _type: string, reason: string) => {
        if (reason === 'Pulling') expect(pulls.follow('app:latest', { onProgress: () => undefined, onEnd: (e) => ends.push(e) })).toBeDefined();
      },
    };
    const puller = new ImagePuller({ images: rt, recorder, backoff: imagePullBackoff(clock), clock });
    const out = await puller.ensureImage(makePod(), { name: 'app', image: 'app:latest' }, false);
    expect(out.ok).toBe(true);
    expect(ends).toEqual([{ image: out.ok ? out.imageRef : '' }]);
    rt.pullErrors.set('app:latest', new RuntimeError('Unavailable', 'registry down'));
    clock.advance(60_000);
    await puller.ensureImage(makePod(), { name: 'app', image: 'app:latest' }, false);
    expect(ends[1]).toMatchObject({ error: expect.stringContaining('registry down') });
    expect(pulls.inProgress()).toEqual([]);
  });
});
