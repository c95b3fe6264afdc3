import { describe, expect, it } from 'vitest';
import { isApiError } from '../errors.js';
import { labelSelectorFromObject, labelSelectorFromSet, parseLabelSelector } from './labels.js';

const web = { app: 'web', tier: 'frontend', version: '3' };
const db = { app: 'db', tier: 'backend' };
const bare = {};

describe('parseLabelSelector: matching', () => {
  // selector, matches web?, matches db?, matches bare?
  const cases: [string, boolean, boolean, boolean][] = [
    ['', true, true, true],
    ['app=web', true, false, false],
    ['app==web', true, false, false],
    ['app = web', true, false, false],
    ['app!=web', false, true, true],
    ['app in (web,db)', true, true, false],
    ['app in (web, db)', true, true, false],
    ['app notin (web)', false, true, true],
    ['app', true, true, false],
    ['!version', false, true, true],
    ['version', true, false, false],
    ['app=web,tier=frontend', true, false, false],
    ['app=web,tier=backend', false, false, false],
    ['tier in (backend),!version', false, true, false],
    ['version>2', true, false, false],
    ['version<3', false, false, false],
    ['version<4', true, false, false],
    ['app=', false, false, false],
    ['app in (a,)', false, false, false],
    ['example.com/app!=x', true, true, true],
  ];
  it.each(cases)('%j -> web %s, db %s, bare %s', (sel, w, d, b) => {
    const s = parseLabelSelector(sel);
    expect(s.matches(web)).toBe(w);
    expect(s.matches(db)).toBe(d);
    expect(s.matches(bare)).toBe(b);
    expect(s.matches(undefined)).toBe(b);
  });

  it('reads "in" and "notin" as plain values where a value is expected', () => {
    expect(parseLabelSelector('mode=in').matches({ mode: 'in' })).toBe(true);
    expect(parseLabelSelector('mode in (in,notin)').matches({ mode: 'notin' })).toBe(true);
  });

  it('matches an empty label value only with an empty exact value', () => {
    expect(parseLabelSelector('app=').matches({ app: '' })).toBe(true);
    expect(parseLabelSelector('app in (a,)').matches({ app: '' })).toBe(true);
  });
});

describe('parseLabelSelector: errors are 400 BadRequest', () => {
  const bad: [string, RegExp][] = [
    ['app=web=x', /found '='/],
    ['app in web', /expected: '\('/],
    ['app in ()', /values set can't be empty/],
    ['app in (a b)', /expected: ',' or '\)'/],
    ['=web', /expected: !, identifier/],
    ['app=web,', /identifier after ','/],
    ['app web', /found 'web'/],
    ['!app=web', /found '='/],
    ['-bad=x', /key: Invalid value: "-bad"/],
    ['app=bad value!', /found 'value'/],
    ['app=-bad', /values\[0\]: Invalid value: "-bad"/],
    ['a/b/c=x', /key: Invalid value/],
    ['version>x', /single integer/],
    ['app in (web', /expected: ',' or '\)'/],
  ];
  it.each(bad)('%j', (sel, message) => {
    let caught: unknown;
    try {
      parseLabelSelector(sel);
    } catch (e) {
      caught = e;
    }
    expect(isApiError(caught, 'BadRequest')).toBe(true);
    expect((caught as Error).message).toMatch(/^unable to parse requirement: /);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('label selector printing and emptiness', () => {
  const cases: [string, string][] = [
    ['tier=frontend,app=web', 'app=web,tier=frontend'],
    ['app in (db, web, db)', 'app in (db,web)'],
    ['!app', '!app'],
    ['app notin (x)', 'app notin (x)'],
    ['app==web', 'app==web'],
    ['n>5', 'n>5'],
  ];
  it.each(cases)('%j prints as %j and re-parses equal', (sel, printed) => {
    const s = parseLabelSelector(sel);
    expect(s.toString()).toBe(printed);
    expect(parseLabelSelector(s.toString()).toString()).toBe(printed);
    expect(s.isEmpty()).toBe(false);
  });

  it('empty selectors are empty', () => {
    expect(parseLabelSelector('').isEmpty()).toBe(true);
    expect(parseLabelSelector('  ').isEmpty()).toBe(true);
  });
});

describe('labelSelectorFromObject', () => {
  it('treats null as nothing and {} as everything', () => {
    expect(labelSelectorFromObject(undefined).matches(web)).toBe(false);
    expect(labelSelectorFromObject(null).isEmpty()).toBe(false);
    expect(labelSelectorFromObject({}).matches(web)).toBe(true);
    expect(labelSelectorFromObject({}).isEmpty()).toBe(true);
  });

  const cases: [Parameters<typeof labelSelectorFromObject>[0], boolean, boolean, string][] = [
    [{ matchLabels: { app: 'web' } }, true, false, 'app=web'],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend', 'backend'] }] }, true, true, 'tier in (backend,frontend)'],
    [{ matchExpressions: [{ key: 'version', operator: 'DoesNotExist' }] }, false, true, '!version'],
    [{ matchExpressions: [{ key: 'version', operator: 'Exists' }] }, true, false, 'version'],
    [{ matchLabels: { tier: 'backend' }, matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, false, true, 'app notin (web),tier=backend'],
  ];
  it.each(cases)('%j', (sel, w, d, printed) => {
    const s = labelSelectorFromObject(sel);
    expect(s.matches(web)).toBe(w);
    expect(s.matches(db)).toBe(d);
    expect(s.toString()).toBe(printed);
  });

  const bad: [Parameters<typeof labelSelectorFromObject>[0], RegExp][] = [
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, /can't be empty/],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, /must be empty/],
    [{ matchExpressions: [{ key: 'a', operator: 'Bogus' as 'In', values: ['x'] }] }, /not a valid label selector operator/],
    [{ matchLabels: { 'bad key': 'x' } }, /key: Invalid value/],
  ];
  it.each(bad)('rejects %j', (sel, message) => {
    expect(() => labelSelectorFromObject(sel)).toThrow(message);
  });

  it('builds a selector from a label set', () => {
    expect(labelSelectorFromSet({ app: 'db' }).matches(db)).toBe(true);
    expect(labelSelectorFromSet(undefined).matches(db)).toBe(true);
  });
});
