import { describe, expect, it } from 'vitest';
import {
  dns1123LabelErrors,
  envVarNameErrors,
  generateName,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  pathSegmentNameErrors,
  portNameErrors,
  qualifiedNameErrors,
} from './names.js';

describe('DNS-1123 names', () => {
  const cases: [string, boolean, boolean][] = [
    // value, label?, subdomain?
    ['a', true, true],
    ['kuard', true, true],
    ['my-pod-1', true, true],
    ['123-abc', true, true],
    ['example.com', false, true],
    ['a.b.c', false, true],
    ['', false, false],
    ['-a', false, false],
    ['a-', false, false],
    ['A', false, false],
    ['my_pod', false, false],
    ['a..b', false, false],
    ['.a', false, false],
    ['a'.repeat(63), true, true],
    ['a'.repeat(64), false, true],
    [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`, false, true],
    [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, false, false],
  ];
  it.each(cases)('%s: label %s, subdomain %s', (value, label, subdomain) => {
    expect(isDNS1123Label(value)).toBe(label);
    expect(isDNS1123Subdomain(value)).toBe(subdomain);
  });

  it('explains a bad label the way Kubernetes does', () => {
    expect(dns1123LabelErrors('My_Pod')).toEqual([
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    expect(dns1123LabelErrors('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
  });
});

describe('qualified names and label values', () => {
  const keys: [string, boolean][] = [
    ['app', true],
    ['App.Name_1', true],
    ['example.com/app', true],
    ['kubernetes.io/hostname', true],
    ['node-role.kubernetes.io/control-plane', true],
    ['/app', false],
    ['example.com/', false],
    ['Example.com/app', false],
    ['a/b/c', false],
    ['-app', false],
    ['app-', false],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['', false],
  ];
  it.each(keys)('key %s valid: %s', (key, ok) => expect(isQualifiedName(key)).toBe(ok));

  it('answers the same on every check of a key (valid keys are remembered)', () => {
    for (let i = 0; i < 3; i++) {
      expect(qualifiedNameErrors('example.com/app')).toEqual([]);
      expect(qualifiedNameErrors('a/b/c')).toHaveLength(1);
    }
  });

  it('names the part at fault', () => {
    expect(qualifiedNameErrors('/app')).toEqual(['prefix part must be non-empty']);
    expect(qualifiedNameErrors('x/')).toEqual(['name part must be non-empty']);
  });

  const values: [string, boolean][] = [
    ['', true],
    ['v1', true],
    ['My_Value.2', true],
    ['-v', false],
    ['v-', false],
    ['a b', false],
    ['a/b', false],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
  ];
  it.each(values)('value %s valid: %s', (value, ok) => expect(isValidLabelValue(value)).toBe(ok));
});

describe('env var, port and path segment names', () => {
  const env: [string, boolean][] = [
    ['HOME', true],
    ['my.env-name', true],
    ['_X', true],
    ['1X', false],
    ['A=B', false],
    ['', false],
  ];
  it.each(env)('env %s valid: %s', (name, ok) => expect(envVarNameErrors(name).length === 0).toBe(ok));

  const ports: [string, string[]][] = [
    ['http', []],
    ['web-8080', []],
    ['8080', ['must contain at least one letter (a-z)']],
    ['a--b', ['must not contain consecutive hyphens']],
    ['-http', ['must not begin or end with a hyphen']],
    ['HTTP', ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']],
    ['abcdefghijklmnop', ['must be no more than 15 characters']],
  ];
  it.each(ports)('port name %s', (name, errs) => expect(portNameErrors(name)).toEqual(errs));

  const segments: [string, number][] = [
    ['ok', 0],
    ['.', 1],
    ['..', 1],
    ['a/b', 1],
    ['a%2f', 1],
  ];
  it.each(segments)('path segment %s has %d errors', (name, n) => expect(pathSegmentNameErrors(name)).toHaveLength(n));
});

describe('generateName', () => {
  it('appends 5 characters of the no-vowel alphabet', () => {
    const name = generateName('web-');
    expect(name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('cuts long prefixes so the result fits a DNS label', () => {
    const name = generateName('x'.repeat(80));
    expect(name).toHaveLength(63);
    expect(isDNS1123Label(name)).toBe(true);
  });

  it('uses the injected randomness', () => {
    expect(generateName('p-', () => 0)).toBe('p-bbbbb');
    expect(generateName('p-', (n) => n - 1)).toBe('p-99999');
  });
});
