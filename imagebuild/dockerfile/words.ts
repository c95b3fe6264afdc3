// Docker's word rules for instruction arguments (moby's shell lexer, as the Dockerfile
// reference describes it under "Environment replacement"): quotes, the escape character,
// and $VAR / ${VAR} / ${VAR:-word} / ${VAR:+word} expansion from ARG and ENV values.
// RUN, CMD and ENTRYPOINT in shell form never come here: their shell expands them.

export type Vars = ReadonlyMap<string, string>;

export class WordError extends Error {}

/** One word: quotes removed, escapes applied, variables expanded. */
export function expandWord(text: string, vars: Vars, escape = '\\'): string {
  return new Lexer(text, vars, escape).words(false).join('');
}

/** Several words split on unquoted blanks (COPY sources, EXPOSE ports, ...). */
export function expandWords(text: string, vars: Vars, escape = '\\'): string[] {
  return new Lexer(text, vars, escape).words(true);
}

/**
 * `KEY=VALUE ...` pairs (ENV, LABEL, ARG); the legacy one-pair `ENV KEY some value` form
 * when the first word has no "=" and `legacy` is allowed.
 */
export function expandPairs(text: string, vars: Vars, escape = '\\', legacy = true): [string, string | undefined][] {
  const t = text.trim();
  const first = /^\S+/.exec(t)?.[0] ?? '';
  if (legacy && !first.includes('=')) {
    const rest = t.slice(first.length).trim();
    if (rest === '') throw new WordError(`${first}: missing value (want KEY=VALUE or KEY VALUE)`);
    return [[first, expandWord(rest, vars, escape)]];
  }
  return expandWords(t, vars, escape).map((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? [w, undefined] : [w.slice(0, eq), w.slice(eq + 1)];
  });
}

class Lexer {
  #pos = 0;

  constructor(
    readonly text: string,
    readonly vars: Vars,
    readonly escape: string,
  ) {}

  words(split: boolean): string[] {
    const out: string[] = [];
    let word = '';
    let inWord = false;
    const s = this.text;
    while (this.#pos < s.length) {
      const c = s[this.#pos];
      if (split && /\s/.test(c)) {
        if (inWord) out.push(word);
        word = '';
        inWord = false;
        this.#pos++;
        continue;
      }
      inWord = true;
      if (c === this.escape) {
        this.#pos++;
        if (this.#pos < s.length) word += s[this.#pos++];
        else word += c;
      } else if (c === "'") {
        const end = s.indexOf("'", this.#pos + 1);
        if (end < 0) throw new WordError(`unexpected end of statement while looking for matching single-quote in ${JSON.stringify(s)}`);
        word += s.slice(this.#pos + 1, end);
        this.#pos = end + 1;
      } else if (c === '"') {
        word += this.#doubleQuoted();
      } else if (c === '$') {
        word += this.#variable();
      } else {
        word += c;
        this.#pos++;
      }
    }
    if (inWord) out.push(word);
    return out;
  }

  #doubleQuoted(): string {
    const s = this.text;
    let out = '';
    this.#pos++;
    while (this.#pos < s.length) {
      const c = s[this.#pos];
      if (c === '"') {
        this.#pos++;
        return out;
      }
      if (c === '$') out += this.#variable();
      else if (c === this.escape && this.#pos + 1 < s.length && ['"', '$', this.escape].includes(s[this.#pos + 1])) {
        out += s[this.#pos + 1];
        this.#pos += 2;
      } else {
        out += c;
        this.#pos++;
      }
    }
    throw new WordError(`unexpected end of statement while looking for matching double-quote in ${JSON.stringify(s)}`);
  }

  /** At a "$": the value of the variable it starts (or "$" itself when none does). */
  #variable(): string {
    const s = this.text;
    this.#pos++;
    if (s[this.#pos] === '{') {
      const close = this.#matchingBrace(this.#pos);
      const body = s.slice(this.#pos + 1, close);
      this.#pos = close + 1;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([\s\S]*))?$/.exec(body);
      if (!m) throw new WordError(`bad substitution \${${body}} in ${JSON.stringify(s)}`);
      const [, name, op, arg] = m;
      const value = this.vars.get(name);
      const word = () => new Lexer(arg ?? '', this.vars, this.escape).words(false).join('');
      switch (op) {
        case undefined:
          return value ?? '';
        case ':-':
          return value === undefined || value === '' ? word() : value;
        case '-':
          return value === undefined ? word() : value;
        case ':+':
          return value === undefined || value === '' ? '' : word();
        case '+':
          return value === undefined ? '' : word();
        default: // ":?" and "?"
          if (value === undefined || (op === ':?' && value === '')) throw new WordError(`${name}: ${word() || 'is not allowed to be unset'}`);
          return value;
      }
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(this.#pos));
    if (!m) return '$';
    this.#pos += m[0].length;
    return this.vars.get(m[0]) ?? '';
  }

  #matchingBrace(open: number): number {
    let depth = 0;
    for (let i = open; i < this.text.length; i++) {
      if (this.text[i] === '{') depth++;
      else if (this.text[i] === '}' && --depth === 0) return i;
    }
    throw new WordError(`missing '}' in ${JSON.stringify(this.text)}`);
  }
}
