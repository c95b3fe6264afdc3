// Path patterns as Docker matches them: Go's filepath.Match for COPY/ADD sources ("*" and
// "?" stay inside one path element, "[a-z]" classes, "\" escapes) and, for .dockerignore,
// the same plus "**" for any number of elements (moby/patternmatcher).

/** A RegExp for one pattern; `doublestar` turns "**" into "any number of path elements". */
export function patternRegExp(pattern: string, doublestar: boolean): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (doublestar && pattern[i + 1] === '*') {
        i++;
        // "**/" also matches nothing at all ("**/a" matches "a").
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new Error(`syntax error in pattern ${JSON.stringify(pattern)}: unclosed [`);
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('^')) body = `!${body.slice(1)}`;
      re += body.startsWith('!') ? `[^/${escapeClass(body.slice(1))}]` : `[${escapeClass(body)}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += escapeRe(pattern[++i]);
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

function escapeClass(body: string): string {
  return body.replace(/[\\\]^]/g, (m) => `\\${m}`);
}

export function hasGlob(p: string): boolean {
  return /[*?[]/.test(p);
}

/** Cleans a relative path the way Go's filepath.Clean does, minus the leading "/" ("" for the root). */
export function cleanRelative(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

interface IgnoreRule {
  re: RegExp;
  negate: boolean;
}

/** The rules of a .dockerignore file. */
export class IgnoreRules {
  readonly #rules: IgnoreRule[];

  constructor(text: string) {
    this.#rules = [];
    for (const raw of text.split(/\r?\n/)) {
      let line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const negate = line.startsWith('!');
      if (negate) line = line.slice(1).trim();
      const clean = cleanRelative(line);
      if (clean === '') continue;
      this.#rules.push({ re: patternRegExp(clean, true), negate });
    }
  }

  get empty(): boolean {
    return this.#rules.length === 0;
  }

  /** Whether `rel` ("dir/file") is left out of the context: the last rule that matches it or a parent decides. */
  excludes(rel: string): boolean {
    const parts = rel.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const r of this.#rules) {
      if (prefixes.some((p) => r.re.test(p))) excluded = !r.negate;
    }
    return excluded;
  }
}
