import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types/core.js';
import { FakeClock } from './clock.js';
import { ConfigSource } from './config-source.js';
import { makePod } from './testing/builders.js';
import { FakeConfigGetter } from './testing/fake-config-getter.js';

function podWith(name: string, cm: string, secret: string): Pod {
  return makePod(
    {
      containers: [{ name: 'app', image: 'busybox', envFrom: [{ configMapRef: { name: cm } }] }],
      volumes: [{ name: 's', secret: { secretName: secret } }],
    },
    name,
  );
}

function setup() {
  const clock = new FakeClock();
  const getter = new FakeConfigGetter();
  const woken: string[] = [];
  const src = new ConfigSource({ getter, clock, syncPeriodMs: 60_000, onChange: (uid) => woken.push(uid) });
  return { clock, getter, woken, src };
}

describe('ConfigSource', () => {
  it('reads what a pod names once per sync period, shared between pods', async () => {
    const { clock, getter, src } = setup();
    getter.put('ConfigMap', 'cfg', { a: '1' });
    const l = await src.lookup(podWith('a', 'cfg', 'db'));
    expect(l.configMap('cfg')).toMatchObject({ found: { data: { a: '1' } } });
    expect(l.secret('db')).toEqual({ notFound: true });
    await src.lookup(podWith('b', 'cfg', 'db'));
    expect(getter.gets).toEqual(['ConfigMap/default/cfg', 'Secret/default/db']);
    clock.advance(60_000);
    await src.lookup(podWith('b', 'cfg', 'db'));
    expect(getter.gets).toHaveLength(4);
  });

  it('a refresh wakes the pods of objects that appeared or changed, not the others', async () => {
    const { getter, woken, src } = setup();
    getter.put('ConfigMap', 'cfg', { a: '1' });
    await src.lookup(podWith('a', 'cfg', 'db'));
    await src.lookup(podWith('b', 'other', 'other'));
    await src.refresh();
    expect(woken).toEqual([]);
    getter.put('Secret', 'db', { p: 'x' });
    await src.refresh();
    expect(woken).toEqual(['uid-a']);
    getter.put('ConfigMap', 'other', { x: 'y' });
    getter.objects.delete('ConfigMap/default/cfg');
    await src.refresh();
    expect(woken.sort()).toEqual(['uid-a', 'uid-a', 'uid-b']);
  });

  it('a failed read keeps a known object; with none known it is an error, not a 404', async () => {
    const { clock, getter, woken, src } = setup();
    getter.put('ConfigMap', 'cfg', { a: '1' });
    await src.lookup(podWith('a', 'cfg', 'db'));
    getter.fail = 'connection refused';
    clock.advance(60_000);
    const l = await src.lookup(podWith('a', 'cfg', 'db'));
    expect(l.configMap('cfg')).toMatchObject({ found: { data: { a: '1' } } });
    expect(l.secret('db')).toEqual({ error: 'connection refused' });
    await src.refresh();
    expect(woken).toEqual([]);
  });

  it('forgets objects no pod refers to any more', async () => {
    const { src } = setup();
    await src.lookup(podWith('a', 'cfg', 'db'));
    await src.lookup(podWith('b', 'cfg', 'other'));
    expect(src.size).toBe(3);
    src.forget('uid-a');
    expect(src.size).toBe(2);
    src.forget('uid-b');
    expect(src.size).toBe(0);
  });
});
