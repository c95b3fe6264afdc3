// Scenario tests of ConfigMaps and Secrets reaching containers through the pod sync, on the
// fake runtime with a real ConfigSource over an in-memory API: env and CreateContainerConfigError,
// volumes written atomically and kept up to date, Secret volumes on (would-be) tmpfs.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Container, Pod } from '../api/types/core.js';
import { ConfigSource } from './config-source.js';
import { makePod } from './testing/builders.js';
import { FakeConfigGetter } from './testing/fake-config-getter.js';
import { makeHarness, type Harness } from './testing/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

const app = (extra: Partial<Container> = {}): Container => ({ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'], ...extra });

/** A harness whose pods read ConfigMaps and Secrets from `api`; `woken` lists the pods the source woke. */
async function setup() {
  const api = new FakeConfigGetter();
  const woken: string[] = [];
  const holder: { src?: ConfigSource } = {};
  h = await makeHarness({ config: { lookup: (p) => (holder.src as ConfigSource).lookup(p) } });
  const src = new ConfigSource({ getter: api, clock: h.clock, syncPeriodMs: 1000, onChange: (uid) => woken.push(uid) });
  holder.src = src;
  h.rt.addImage('busybox:1.36');
  return { api, src, woken };
}

const waiting = (pod: Pod) => h.status(pod).containerStatuses?.[0].state?.waiting;
const volumeDir = (plugin: string, name: string) => path.join(h.root, 'pods', 'uid-web', 'volumes', plugin, name);

describe('env from ConfigMaps and Secrets', () => {
  it('a missing ConfigMap is CreateContainerConfigError with its message; the pod starts by itself once it appears', async () => {
    const { api, src, woken } = await setup();
    const pod = makePod({
      containers: [
        app({
          envFrom: [{ secretRef: { name: 'db' }, prefix: 'DB_' }],
          env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'mode' } } }, { name: 'URL', value: 'db://$(DB_user)@host' }],
        }),
      ],
    });
    api.put('Secret', 'db', { user: 'ann' });
    await h.sync(pod);
    expect(waiting(pod)).toEqual({ reason: 'CreateContainerConfigError', message: 'configmap "app-config" not found' });
    expect(h.recorder.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'Failed', message: 'Error: configmap "app-config" not found', fieldPath: 'spec.containers{app}' });
    expect(h.rt.callsOf('createContainer')).toHaveLength(0);

    api.put('ConfigMap', 'app-config', { other: 'x' });
    h.clock.advance(1000);
    await src.refresh();
    expect(woken).toEqual(['uid-web']);
    await h.sync(pod);
    expect(waiting(pod)).toEqual({ reason: 'CreateContainerConfigError', message: "couldn't find key mode in ConfigMap default/app-config" });

    api.put('ConfigMap', 'app-config', { mode: 'fast' });
    h.clock.advance(1000);
    await src.refresh();
    await h.sync(pod);
    expect(h.status(pod).containerStatuses?.[0].state?.running).toBeDefined();
    expect(h.rt.containersOf('app')[0].config.envs).toEqual([
      { key: 'DB_user', value: 'ann' },
      { key: 'MODE', value: 'fast' },
      { key: 'URL', value: 'db://ann@host' },
    ]);
  });
});

describe('configMap, secret, downwardAPI and projected volumes', () => {
  const pod = () => {
    const p = makePod({
      volumes: [
        { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'conf/app.conf' }] } },
        { name: 'creds', secret: { secretName: 'db', defaultMode: 0o400 } },
        { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        { name: 'all', projected: { sources: [{ configMap: { name: 'cfg' } }, { secret: { name: 'db', items: [{ key: 'password', path: 'pw' }] } }] } },
      ],
      containers: [
        app({
          volumeMounts: [
            { name: 'cfg', mountPath: '/etc/app' },
            { name: 'creds', mountPath: '/creds' },
            { name: 'info', mountPath: '/info' },
            { name: 'all', mountPath: '/all' },
            { name: 'cfg', mountPath: '/one.conf', subPath: 'conf/app.conf' },
          ],
        }),
      ],
    });
    p.metadata.labels = { tier: 'web' };
    return p;
  };

  it('are written before the sandbox, mounted read-only, Secrets on tmpfs; updates reach them; they go with the pod', async () => {
    const { api, src, woken } = await setup();
    api.put('ConfigMap', 'cfg', { 'app.conf': 'v=1' });
    api.put('Secret', 'db', { password: 'hunter2' });
    const p = pod();
    await h.sync(p);
    expect(h.status(p).containerStatuses?.[0].state?.running).toBeDefined();

    const cfg = volumeDir('kubernetes.io~configmap', 'cfg');
    const creds = volumeDir('kubernetes.io~secret', 'creds');
    const all = volumeDir('kubernetes.io~projected', 'all');
    expect(await fs.readFile(path.join(cfg, 'conf/app.conf'), 'utf8')).toBe('v=1');
    expect(await fs.readlink(path.join(cfg, 'conf'))).toBe('..data/conf');
    expect(await fs.readFile(path.join(creds, 'password'), 'utf8')).toBe('hunter2');
    expect((await fs.stat(path.join(creds, 'password'))).mode & 0o777).toBe(0o400);
    expect(await fs.readFile(path.join(volumeDir('kubernetes.io~downward-api', 'info'), 'labels'), 'utf8')).toBe('tier="web"');
    expect((await fs.readdir(all)).filter((n) => !n.startsWith('..')).sort()).toEqual(['app.conf', 'pw']);
    // Only the volumes holding Secret bytes are memory-backed; their parent is root's alone.
    expect([...h.mounter.mounted].sort()).toEqual([all, creds].sort());
    expect((await fs.stat(path.dirname(creds))).mode & 0o777).toBe(0o700);

    const mounts = h.rt.containersOf('app')[0].config.mounts ?? [];
    expect(mounts.slice(0, 4).map((m) => [m.containerPath, m.readonly])).toEqual([
      ['/etc/app', true],
      ['/creds', true],
      ['/info', true],
      ['/all', true],
    ]);
    // A subPath is the file as of now (resolved through ..data), as Kubernetes' subPath.
    const sub = mounts[4].hostPath;
    expect(sub).toMatch(/\/\.\.\d{4}_\d\d_\d\d_[^/]+\/conf\/app\.conf$/);

    // An update: the next refresh wakes the pod, its sync swaps the files in one step.
    const before = await fs.readlink(path.join(cfg, '..data'));
    api.put('ConfigMap', 'cfg', { 'app.conf': 'v=2' });
    h.clock.advance(1000);
    await src.refresh();
    expect(woken).toEqual(['uid-web']);
    await h.sync(p);
    expect(await fs.readFile(path.join(cfg, 'conf/app.conf'), 'utf8')).toBe('v=2');
    expect(await fs.readFile(path.join(all, 'app.conf'), 'utf8')).toBe('v=2');
    expect(await fs.readlink(path.join(cfg, '..data'))).not.toBe(before);
    expect(h.rt.callsOf('createContainer')).toHaveLength(1);

    // The pod goes: tmpfs unmounted, then its directory removed.
    const deleting: Pod = { ...p, metadata: { ...p.metadata, deletionTimestamp: new Date(h.clock.now()).toISOString(), deletionGracePeriodSeconds: 0 } };
    await h.lifecycle.sync({ type: 'sync', pod: deleting });
    expect(h.mounter.mounted.size).toBe(0);
    await expect(fs.stat(path.join(h.root, 'pods', 'uid-web'))).rejects.toThrow();
  });

  it('a missing ConfigMap of a volume is FailedMount with no sandbox yet; the pod starts once it appears', async () => {
    const { api, src } = await setup();
    api.put('Secret', 'db', { password: 'hunter2' });
    const p = pod();
    await h.sync(p);
    expect(h.recorder.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'FailedMount', message: 'MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found' });
    expect(h.rt.sandboxes.size).toBe(0);
    expect(waiting(p)).toEqual({ reason: 'ContainerCreating' });

    api.put('ConfigMap', 'cfg', { 'app.conf': 'v=1' });
    h.clock.advance(1000);
    await src.refresh();
    await h.sync(p);
    expect(h.status(p).containerStatuses?.[0].state?.running).toBeDefined();
  });

  it('a projected serviceAccountToken source is refused, not faked', async () => {
    await setup();
    const p = makePod({ volumes: [{ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }], containers: [app({ volumeMounts: [{ name: 'tok', mountPath: '/var/run/secrets/tokens' }] })] });
    await h.sync(p);
    expect(h.recorder.events.at(-1)?.message).toBe('MountVolume.SetUp failed for volume "tok" : projected serviceAccountToken sources are not supported: this cluster issues no service account tokens yet');
    expect(h.rt.sandboxes.size).toBe(0);
  });
});
