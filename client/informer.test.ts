// Informer logic against an injected list/watch: what handlers see, the relist on 410,
// and the capped reconnect backoff (the delay is injected, so no test waits for real).
import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types/core.js';
import type { KubeList } from '../api/types/meta.js';
import { Informer, type ListWatch } from './informer.js';
import type { WatchEventOf } from './watch.js';

const pod = (name: string, rv: string, ns = 'default'): Pod => ({ metadata: { name, namespace: ns, resourceVersion: rv }, spec: { containers: [] } });
const list = (rv: string, items: Pod[]): KubeList<Pod> => ({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: rv }, items });

type Step = { list: KubeList<Pod> } | { events: WatchEventOf<Pod>[] } | { fail: Error };

/** A scripted server: each list/watch call takes the next step of its kind. */
function scripted(steps: Step[], calls: string[]): ListWatch<Pod> {
  const next = <K extends 'list' | 'events' | 'fail'>(kinds: K[]) => {
    const i = steps.findIndex((s) => kinds.some((k) => k in s));
    if (i < 0) return undefined;
    return steps.splice(i, 1)[0];
  };
  return {
    async list() {
      calls.push('list');
      const s = next(['list', 'fail']);
      if (!s) throw new Error('no more lists');
      if ('fail' in s) throw s.fail;
      return (s as { list: KubeList<Pod> }).list;
    },
    async watch(rv, signal) {
      calls.push(`watch@${rv}`);
      const s = next(['events', 'fail']);
      if (!s) {
        // Out of script: hang until the test stops the informer.
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        return (async function* () {})();
      }
      if ('fail' in s) throw s.fail;
      const events = (s as { events: WatchEventOf<Pod>[] }).events;
      return (async function* () {
        yield* events;
      })();
    },
  };
}

function record(inf: Informer<Pod>): string[] {
  const log: string[] = [];
  inf.on('add', (p) => log.push(`add ${p.metadata.name}@${p.metadata.resourceVersion}`));
  inf.on('update', (p, old) => log.push(`update ${p.metadata.name}@${old.metadata.resourceVersion}->${p.metadata.resourceVersion}`));
  inf.on('delete', (p) => log.push(`delete ${p.metadata.name}`));
  return log;
}

// Unit tests beside the code may not import test/fixtures' eventually: a deadline of their own,
// after which the test's assertions say what did not happen.
const until = async (cond: () => boolean) => {
  const deadline = Date.now() + 1000;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
};

describe('Informer', () => {
  it('lists, then applies watch events and bookmarks to its cache', async () => {
    const calls: string[] = [];
    const inf = new Informer(
      scripted(
        [
          { list: list('10', [pod('a', '5'), pod('b', '6', 'other')]) },
          {
            events: [
              { type: 'ADDED', object: pod('c', '11') },
              { type: 'MODIFIED', object: pod('a', '12') },
              { type: 'DELETED', object: pod('b', '13', 'other') },
              { type: 'BOOKMARK', object: pod('', '20') },
            ],
          },
        ],
        calls,
      ),
    );
    const log = record(inf);
    await inf.start();
    expect(inf.hasSynced).toBe(true);
    await until(() => inf.resourceVersion === '20');
    expect(log).toEqual(['add a@5', 'add b@6', 'add c@11', 'update a@5->12', 'delete b']);
    expect(inf.get('a', 'default')?.metadata.resourceVersion).toBe('12');
    expect(inf.list('default').map((p) => p.metadata.name).sort()).toEqual(['a', 'c']);
    expect(inf.list('other')).toEqual([]);
    // The stream ended: the informer watches again from the bookmark, without relisting.
    await until(() => calls.length >= 3);
    expect(calls).toEqual(['list', 'watch@10', 'watch@20']);
    await inf.stop();
  });

  it('relists on 410 Expired and reconciles the cache by difference', async () => {
    const calls: string[] = [];
    const expired: WatchEventOf<Pod> = {
      type: 'ERROR',
      object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version' },
    };
    const inf = new Informer(
      scripted([{ list: list('10', [pod('a', '5'), pod('b', '6')]) }, { events: [expired] }, { list: list('30', [pod('a', '25'), pod('c', '26')]) }], calls),
    );
    const log = record(inf);
    await inf.start();
    await until(() => inf.resourceVersion === '30');
    expect(calls.slice(0, 3)).toEqual(['list', 'watch@10', 'list']);
    expect(log).toEqual(['add a@5', 'add b@6', 'update a@5->25', 'add c@26', 'delete b']);
    await inf.stop();
  });

  it('backs off on failures, doubling up to the cap, and recovers', async () => {
    const calls: string[] = [];
    const delays: number[] = [];
    const boom = () => ({ fail: new Error('connection refused') });
    const inf = new Informer(
      scripted([boom(), boom(), boom(), boom(), boom(), { list: list('7', [pod('a', '7')]) }], calls),
      { initialBackoffMs: 100, maxBackoffMs: 500, delay: async (ms) => void delays.push(ms) },
    );
    const errors: unknown[] = [];
    inf.on('error', (e) => errors.push(e));
    await inf.start();
    expect(delays).toEqual([100, 200, 400, 500, 500]);
    expect(errors).toHaveLength(5);
    expect(inf.get('a', 'default')).toBeDefined();
    await inf.stop();
  });

  it('keeps going when a handler throws, and stops on AbortSignal', async () => {
    const ac = new AbortController();
    const inf = new Informer(scripted([{ list: list('1', [pod('a', '1'), pod('b', '1')]) }], []));
    const errors: unknown[] = [];
    const added: string[] = [];
    inf.on('error', (e) => errors.push(e));
    inf.on('add', (p) => {
      if (p.metadata.name === 'a') throw new Error('handler bug');
      added.push(p.metadata.name ?? '');
    });
    await inf.start(ac.signal);
    expect(added).toEqual(['b']);
    expect(errors).toHaveLength(1);
    ac.abort();
    await inf.stop();
  });
});
