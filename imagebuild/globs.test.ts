import { describe, expect, it } from 'vitest';
import { cleanRelative, IgnoreRules, patternRegExp } from './globs.js';

describe('path patterns', () => {
  it('match like Go filepath.Match: * and ? stay in one element, classes, escapes', () => {
    const m = (p: string, s: string) => patternRegExp(p, false).test(s);
    expect(m('*.txt', 'a.txt')).toBe(true);
    expect(m('*.txt', 'd/a.txt')).toBe(false);
    expect(m('d/?.txt', 'd/a.txt')).toBe(true);
    expect(m('[a-c]x', 'bx')).toBe(true);
    expect(m('[!a-c]x', 'bx')).toBe(false);
    expect(m('a\\*', 'a*')).toBe(true);
    expect(m('a\\*', 'ab')).toBe(false);
  });

  it('.dockerignore: ** spans directories, a matched parent excludes its tree, ! re-includes, last rule wins', () => {
    const r = new IgnoreRules('# comment\n/build\n**/*.key\n*.md\n!README.md\nlogs/*\n!logs/keep.log\n');
    expect(r.excludes('build')).toBe(true);
    expect(r.excludes('build/out/a.o')).toBe(true);
    expect(r.excludes('a/b/c.key')).toBe(true);
    expect(r.excludes('c.key')).toBe(true);
    expect(r.excludes('notes.md')).toBe(true);
    expect(r.excludes('README.md')).toBe(false);
    expect(r.excludes('docs/notes.md')).toBe(false);
    expect(r.excludes('logs/a.log')).toBe(true);
    expect(r.excludes('logs/keep.log')).toBe(false);
    expect(r.excludes('src/main.ts')).toBe(false);
  });

  it('cleans relative paths without leaving the root', () => {
    expect(cleanRelative('./a//b/../c/')).toBe('a/c');
    expect(cleanRelative('../../etc/passwd')).toBe('etc/passwd');
    expect(cleanRelative('/')).toBe('');
  });
});
