import { describe, expect, it } from 'vitest';
import type { ConfigMap, Secret, Volume } from '../api/types/core.js';
import { staticLookup } from './config-lookup.js';
import { formatMap, holdsSecrets, PayloadError, volumePayload, type Payload } from './volume-payload.js';
import { makePod } from './testing/builders.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const cm: ConfigMap = { metadata: { name: 'cfg', namespace: 'default' }, data: { 'app.conf': 'a=1', mode: 'fast' }, binaryData: { 'logo.bin': b64('\x00\x01') } };
const sec: Secret = { metadata: { name: 'db', namespace: 'default' }, data: { password: b64('hunter2'), user: b64('ann') } };
const lookup = staticLookup({ configMaps: [cm], secrets: [sec] });

/** The payload as path → [text, mode in octal], for tables. */
function shown(p: Payload | undefined): Record<string, [string, string]> {
  return Object.fromEntries([...(p ?? new Map()).entries()].map(([k, f]) => [k, [f.data.toString('latin1'), f.mode.toString(8)]]));
}

function pod() {
  const p = makePod({ containers: [{ name: 'app', image: 'busybox', resources: { limits: { memory: '64Mi' } } }] });
  p.metadata.labels = { tier: 'web', app: 'shop' };
  p.metadata.annotations = { note: 'say "hi"\n' };
  return p;
}

describe('volume payloads', () => {
  it.each<[string, Volume, Record<string, [string, string]>]>([
    ['a configMap: every key (data and binaryData) at 0644', { name: 'v', configMap: { name: 'cfg' } }, { 'app.conf': ['a=1', '644'], mode: ['fast', '644'], 'logo.bin': ['\x00\x01', '644'] }],
    [
      'a configMap with items, defaultMode and a per-item mode',
      { name: 'v', configMap: { name: 'cfg', defaultMode: 0o600, items: [{ key: 'app.conf', path: 'etc/app.conf' }, { key: 'mode', path: 'mode.txt', mode: 0o400 }] } },
      { 'etc/app.conf': ['a=1', '600'], 'mode.txt': ['fast', '400'] },
    ],
    ['a missing optional configMap is an empty volume', { name: 'v', configMap: { name: 'none', optional: true } }, {}],
    ['an optional configMap skips a missing item key', { name: 'v', configMap: { name: 'cfg', optional: true, items: [{ key: 'nope', path: 'x' }, { key: 'mode', path: 'm' }] } }, { m: ['fast', '644'] }],
    ['a secret: values decoded', { name: 'v', secret: { secretName: 'db', defaultMode: 0o400 } }, { password: ['hunter2', '400'], user: ['ann', '400'] }],
    ['a secret with items', { name: 'v', secret: { secretName: 'db', items: [{ key: 'user', path: 'u/name' }] } }, { 'u/name': ['ann', '644'] }],
    [
      'a downwardAPI volume: labels and annotations as k="v" lines (Go quoting), single fields, a resource',
      {
        name: 'v',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
            { path: 'name', fieldRef: { fieldPath: 'metadata.name' }, mode: 0o400 },
            { path: 'tier', fieldRef: { fieldPath: "metadata.labels['tier']" } },
            { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
          ],
        },
      },
      { labels: ['app="shop"\ntier="web"', '644'], annotations: ['note="say \\"hi\\"\\n"', '644'], name: ['web', '400'], tier: ['web', '644'], mem: ['64', '644'] },
    ],
    [
      'a projected volume: configMap, secret and downwardAPI sources under one defaultMode',
      {
        name: 'v',
        projected: {
          defaultMode: 0o440,
          sources: [
            { configMap: { name: 'cfg', items: [{ key: 'mode', path: 'cfg/mode' }] } },
            { secret: { name: 'db', items: [{ key: 'password', path: 'db/password', mode: 0o400 }] } },
            { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
            { configMap: { name: 'none', optional: true } },
          ],
        },
      },
      { 'cfg/mode': ['fast', '440'], 'db/password': ['hunter2', '400'], ns: ['default', '440'] },
    ],
  ])('%s', (_what, v, want) => {
    expect(shown(volumePayload(pod(), v, lookup, {}))).toEqual(want);
  });

  it.each<[string, Volume, string]>([
    ['a missing configMap', { name: 'v', configMap: { name: 'none' } }, 'configmap "none" not found'],
    ['a missing configMap key', { name: 'v', configMap: { name: 'cfg', items: [{ key: 'nope', path: 'x' }] } }, 'configmap references non-existent config key: nope'],
    ['a missing secret', { name: 'v', secret: { secretName: 'none' } }, 'secret "none" not found'],
    ['a missing secret key', { name: 'v', secret: { secretName: 'db', items: [{ key: 'nope', path: 'x' }] } }, 'references non-existent secret key: nope'],
    ['a missing projected secret', { name: 'v', projected: { sources: [{ secret: { name: 'none' } }] } }, 'secret "none" not found'],
    ['a serviceAccountToken source', { name: 'v', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }, 'projected serviceAccountToken sources are not supported'],
    ['a resourceFieldRef naming no container', { name: 'v', downwardAPI: { items: [{ path: 'x', resourceFieldRef: { containerName: 'ghost', resource: 'limits.cpu' } }] } }, 'no container "ghost"'],
  ])('%s is refused', (_what, v, message) => {
    expect(() => volumePayload(pod(), v, lookup, {})).toThrow(PayloadError);
    expect(() => volumePayload(pod(), v, lookup, {})).toThrow(message);
  });

  it('other volume kinds have no payload; secrets (direct or projected) are held on tmpfs', () => {
    expect(volumePayload(pod(), { name: 'v', emptyDir: {} }, lookup, {})).toBeUndefined();
    expect([{ name: 'v', secret: { secretName: 'db' } }, { name: 'v', projected: { sources: [{ secret: { name: 'db' } }] } }, { name: 'v', configMap: { name: 'cfg' } }].map(holdsSecrets)).toEqual([true, true, false]);
  });

  it('formatMap escapes control characters as Go does', () => {
    expect(formatMap({ b: 'tab\there', a: '\x01\\' })).toBe('a="\\x01\\\\"\nb="tab\\there"');
  });
});
