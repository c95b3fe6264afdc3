import { describe, expect, it } from 'vitest';
import type { Volume } from '../types/core.js';
import { FieldPath } from './field.js';
import { validateDataVolume } from './volume-sources.js';

const check = (v: Omit<Volume, 'name'>) => validateDataVolume({ name: 'v', ...v }, FieldPath.root('spec').child('volumes').index(0)).map((c) => `${c.field}: ${c.message}`);

describe('API data volume sources', () => {
  it('accepts well-formed configMap, secret, downwardAPI and projected sources', () => {
    expect(check({ configMap: { name: 'cfg', defaultMode: 0o644, items: [{ key: 'app.conf', path: 'etc/app.conf', mode: 0o400 }] } })).toEqual([]);
    expect(check({ secret: { secretName: 'db', items: [{ key: 'password', path: 'pw' }] } })).toEqual([]);
    expect(check({ downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'tier', fieldRef: { fieldPath: "metadata.labels['tier']" } }, { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory' } }] } })).toEqual([]);
    expect(check({ projected: { sources: [{ configMap: { name: 'cfg' } }, { secret: { name: 'db', items: [{ key: 'k', path: 'k' }] } }] } })).toEqual([]);
  });

  it.each<[string, Omit<Volume, 'name'>, string]>([
    ['configMap without name', { configMap: { name: '' } }, 'spec.volumes[0].configMap.name: Required value'],
    ['secret without secretName', { secret: { secretName: '' } }, 'spec.volumes[0].secret.secretName: Required value'],
    ['defaultMode out of range', { configMap: { name: 'c', defaultMode: 0o1777 } }, 'spec.volumes[0].configMap.defaultMode: Invalid value: 1023: must be a number between 0 and 0777 (octal), both inclusive'],
    ['item mode out of range', { secret: { secretName: 's', items: [{ key: 'k', path: 'p', mode: -1 }] } }, 'spec.volumes[0].secret.items[0].mode: Invalid value: -1: must be a number between 0 and 0777 (octal), both inclusive'],
    ['absolute item path', { configMap: { name: 'c', items: [{ key: 'k', path: '/etc/passwd' }] } }, 'spec.volumes[0].configMap.items[0].path: Invalid value: "/etc/passwd": must be a relative path'],
    ['item path with ..', { configMap: { name: 'c', items: [{ key: 'k', path: 'a/../../b' }] } }, `spec.volumes[0].configMap.items[0].path: Invalid value: "a/../../b": must not contain '..'`],
    ['item path starting with ..', { configMap: { name: 'c', items: [{ key: 'k', path: '..data' }] } }, `spec.volumes[0].configMap.items[0].path: Invalid value: "..data": must not start with '..'`],
    ['bad item key', { configMap: { name: 'c', items: [{ key: 'a b', path: 'p' }] } }, "spec.volumes[0].configMap.items[0].key: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"],
    ['downward field not allowed in volumes', { downwardAPI: { items: [{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }] } }, 'spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: Unsupported value: "status.podIP": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"'],
    ['downward resource without container', { downwardAPI: { items: [{ path: 'cpu', resourceFieldRef: { resource: 'limits.cpu' } }] } }, 'spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName: Required value'],
    ['projected duplicate paths', { projected: { sources: [{ configMap: { name: 'a', items: [{ key: 'k', path: 'x' }] } }, { secret: { name: 'b', items: [{ key: 'k', path: 'x' }] } }] } }, 'spec.volumes[0].projected.sources[1].secret.items[0].path: Invalid value: "x": conflicting duplicate paths'],
    ['projected serviceAccountToken until tokens are served', { projected: { sources: [{ configMap: { name: 'a' } }, { serviceAccountToken: { path: 'token' } }] } }, 'spec.volumes[0].projected.sources[1].serviceAccountToken: Forbidden: service account tokens are not served yet: this cluster issues no tokens for pods'],
    ['projected source with two kinds', { projected: { sources: [{ configMap: { name: 'a' }, secret: { name: 'b' } }] } }, 'spec.volumes[0].projected.sources[0].secret: Invalid value: "": may not specify more than 1 volume type per source'],
  ])('%s', (_what, v, message) => {
    expect(check(v)).toContain(message);
  });
});
