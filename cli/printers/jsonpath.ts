// kubectl's JSONPath template subset (k8s.io/client-go/util/jsonpath), written here because
// it is small and the npm JSONPath libraries neither print templates ({range}{end}, literal
// text) nor follow kubectl's missing-key and output rules. Supported: .field, ['key'],
// [n], [a:b:step], [*], .*, ..field, [i,j], [?(@.x OP literal)] / [?(@.x)], {range}..{end},
// "literals", $ for the root. Missing keys print nothing, as `kubectl get` allows them.

export class JsonPathError extends Error {
  override name = 'JsonPathError';
}

type Filter = { path: Step[]; op?: '==' | '!=' | '<' | '>' | '<=' | '>='; value?: unknown; valuePath?: Step[] };

type Step =
  | { t: 'root' }
  | { t: 'field'; name: string }
  | { t: 'recursive'; name: string | '*' }
  | { t: 'wildcard' }
  | { t: 'index'; indices: number[] }
  | { t: 'keys'; names: string[] }
  | { t: 'slice'; start?: number; end?: number; step?: number }
  | { t: 'filter'; filter: Filter };

type Node =
  | { t: 'text'; text: string }
  | { t: 'expr'; path: Step[] }
  | { t: 'range'; path: Step[]; body: Node[] };

const NAME = /^[A-Za-z0-9_\-/:$]+/;

class PathParser {
  pos = 0;
  constructor(readonly src: string) {}

  fail(msg: string): never {
    throw new JsonPathError(`${msg} at position ${this.pos} in "${this.src}"`);
  }

  /** Parses until `stop` (or the end), returning the steps. */
  steps(stop: (p: PathParser) => boolean): Step[] {
    const out: Step[] = [];
    this.skipSpace();
    if (this.src[this.pos] === '$') {
      this.pos++;
      out.push({ t: 'root' });
    } else if (this.src[this.pos] === '@') {
      this.pos++;
    }
    while (this.pos < this.src.length && !stop(this)) {
      const c = this.src[this.pos];
      if (c === '.') {
        if (this.src[this.pos + 1] === '.') {
          this.pos += 2;
          if (this.src[this.pos] === '*') {
            this.pos++;
            out.push({ t: 'recursive', name: '*' });
          } else out.push({ t: 'recursive', name: this.name() });
        } else {
          this.pos++;
          if (this.src[this.pos] === '*') {
            this.pos++;
            out.push({ t: 'wildcard' });
          } else if (this.pos < this.src.length && !stop(this) && this.src[this.pos] !== '[') out.push({ t: 'field', name: this.name() });
        }
      } else if (c === '[') {
        out.push(this.bracket());
      } else {
        this.fail(`unexpected "${c}"`);
      }
    }
    return out;
  }

  name(): string {
    const m = NAME.exec(this.src.slice(this.pos));
    if (!m) this.fail('expected a field name');
    this.pos += m[0].length;
    return m[0];
  }

  skipSpace(): void {
    while (this.src[this.pos] === ' ') this.pos++;
  }

  quoted(): string {
    const q = this.src[this.pos];
    let out = '';
    this.pos++;
    while (this.pos < this.src.length && this.src[this.pos] !== q) {
      if (this.src[this.pos] === '\\') {
        this.pos++;
        const e = this.src[this.pos];
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : (e ?? '');
      } else out += this.src[this.pos];
      this.pos++;
    }
    if (this.src[this.pos] !== q) this.fail('unterminated string');
    this.pos++;
    return out;
  }

  bracket(): Step {
    this.pos++; // [
    this.skipSpace();
    const c = this.src[this.pos];
    let step: Step;
    if (c === '*') {
      this.pos++;
      step = { t: 'wildcard' };
    } else if (c === '?') {
      this.pos++;
      if (this.src[this.pos] !== '(') this.fail('expected "(" after "?"');
      this.pos++;
      step = { t: 'filter', filter: this.filter() };
      if (this.src[this.pos] !== ')') this.fail('expected ")" to close the filter');
      this.pos++;
    } else if (c === "'" || c === '"') {
      const names = [this.quoted()];
      this.skipSpace();
      while (this.src[this.pos] === ',') {
        this.pos++;
        this.skipSpace();
        names.push(this.quoted());
        this.skipSpace();
      }
      step = { t: 'keys', names };
    } else {
      const end = this.src.indexOf(']', this.pos);
      if (end < 0) this.fail('unterminated "["');
      const body = this.src.slice(this.pos, end).replace(/\s+/g, '');
      this.pos = end;
      const num = (s: string | undefined) => {
        if (s === undefined || s === '') return undefined;
        if (!/^-?\d+$/.test(s)) this.fail(`invalid array index "${s}"`);
        return Number(s);
      };
      if (body.includes(':')) {
        const [a, b, s] = body.split(':');
        step = { t: 'slice', start: num(a), end: num(b), step: num(s) };
      } else {
        step = { t: 'index', indices: body.split(',').map((s) => num(s) ?? this.fail('empty array index')) };
      }
    }
    this.skipSpace();
    if (this.src[this.pos] !== ']') this.fail('expected "]"');
    this.pos++;
    return step;
  }

  filter(): Filter {
    this.skipSpace();
    const path = this.steps((p) => /[\s=!<>)]/.test(p.src[p.pos] ?? ''));
    this.skipSpace();
    const m = /^(==|!=|<=|>=|<|>)/.exec(this.src.slice(this.pos));
    if (!m) return { path };
    this.pos += m[0].length;
    this.skipSpace();
    const op = m[0] as Filter['op'];
    const c = this.src[this.pos];
    if (c === "'" || c === '"') return { path, op, value: this.quoted() };
    if (c === '@' || c === '$') return { path, op, valuePath: this.steps((p) => /[\s)]/.test(p.src[p.pos] ?? '')) };
    const lit = /^[^\s)]+/.exec(this.src.slice(this.pos));
    if (!lit) this.fail('expected a value to compare with');
    this.pos += lit[0].length;
    const word = lit[0];
    const value = word === 'true' ? true : word === 'false' ? false : word === 'null' ? null : Number.isNaN(Number(word)) ? word : Number(word);
    return { path, op, value };
  }
}

function parsePath(src: string): Step[] {
  const p = new PathParser(src.trim());
  const steps = p.steps(() => false);
  return steps;
}

/** Parses a template such as `{range .items[*]}{.metadata.name}{"\n"}{end}`. */
export function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: { body: Node[] }[] = [{ body: root }];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const top = stack[stack.length - 1] as { body: Node[] };
    if (open < 0) {
      top.body.push({ t: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) top.body.push({ t: 'text', text: template.slice(i, open) });
    const close = findClose(template, open);
    const inner = template.slice(open + 1, close).trim();
    i = close + 1;
    if (inner === 'end') {
      if (stack.length === 1) throw new JsonPathError(`{end} without {range} in "${template}"`);
      stack.pop();
    } else if (inner.startsWith('range ') || inner === 'range') {
      const node: Node = { t: 'range', path: parsePath(inner.slice(5)), body: [] };
      top.body.push(node);
      stack.push(node);
    } else if (/^["']/.test(inner)) {
      const p = new PathParser(inner);
      top.body.push({ t: 'text', text: p.quoted() });
    } else {
      top.body.push({ t: 'expr', path: parsePath(inner) });
    }
  }
  if (stack.length > 1) throw new JsonPathError(`{range} without {end} in "${template}"`);
  return root;
}

/** The "}" closing the action opened at `open`, skipping braces inside quoted strings. */
function findClose(s: string, open: number): number {
  let quote: string | undefined;
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '}') return i;
  }
  throw new JsonPathError(`unclosed action in "${s}"`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObject(v)) return Object.keys(v).sort().map((k) => v[k]);
  return [];
}

function descendants(v: unknown): unknown[] {
  const out: unknown[] = [v];
  for (const c of children(v)) out.push(...descendants(c));
  return out;
}

function compare(a: unknown, op: NonNullable<Filter['op']>, b: unknown): boolean {
  switch (op) {
    case '==':
      return a === b || (typeof a !== typeof b && String(a) === String(b));
    case '!=':
      return !compare(a, '==', b);
    default: {
      if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
      const x = a as number | string;
      const y = b as number | string;
      return op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y;
    }
  }
}

function evalSteps(steps: Step[], current: unknown, root: unknown): unknown[] {
  let values = [current];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of values) {
      switch (step.t) {
        case 'root':
          next.push(root);
          break;
        case 'field':
          if (isObject(v) && step.name in v) next.push(v[step.name]);
          break;
        case 'keys':
          for (const n of step.names) if (isObject(v) && n in v) next.push(v[n]);
          break;
        case 'wildcard':
          next.push(...children(v));
          break;
        case 'recursive':
          for (const d of descendants(v)) {
            if (step.name === '*') next.push(...children(d));
            else if (isObject(d) && step.name in d) next.push(d[step.name]);
          }
          break;
        case 'index':
          if (Array.isArray(v)) {
            for (const i of step.indices) {
              const at = i < 0 ? v.length + i : i;
              if (at >= 0 && at < v.length) next.push(v[at]);
            }
          }
          break;
        case 'slice':
          if (Array.isArray(v)) {
            const norm = (n: number | undefined, dflt: number) => {
              if (n === undefined) return dflt;
              const x = n < 0 ? v.length + n : n;
              return Math.min(Math.max(x, 0), v.length);
            };
            const by = step.step ?? 1;
            if (by <= 0) throw new JsonPathError('a slice step must be positive');
            for (let i = norm(step.start, 0); i < norm(step.end, v.length); i += by) next.push(v[i]);
          }
          break;
        case 'filter':
          for (const item of Array.isArray(v) ? v : children(v)) {
            const left = evalSteps(step.filter.path, item, root);
            if (!step.filter.op) {
              if (left.length > 0 && left[0] !== null && left[0] !== false) next.push(item);
              continue;
            }
            const right = step.filter.valuePath ? evalSteps(step.filter.valuePath, item, root)[0] : step.filter.value;
            if (left.length > 0 && compare(left[0], step.filter.op, right)) next.push(item);
          }
          break;
      }
    }
    values = next;
  }
  return values;
}

/** How kubectl prints one value: strings raw, scalars as text, maps and lists as JSON. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function run(nodes: Node[], current: unknown, root: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.text;
    else if (n.t === 'expr') out += evalSteps(n.path, current, root).map(text).join(' ');
    else for (const item of evalSteps(n.path, current, root)) out += run(n.body, item, root);
  }
  return out;
}

/** Evaluates a template against data; throws JsonPathError for a template that does not parse. */
export function executeJsonPath(template: string, data: unknown): string {
  return run(parseTemplate(template), data, data);
}

/** The values one path (".metadata.name" or "{.metadata.name}") selects, for --sort-by. */
export function selectJsonPath(expression: string, data: unknown): unknown[] {
  let e = expression.trim();
  if (e.startsWith('{') && e.endsWith('}')) e = e.slice(1, -1);
  if (!e.startsWith('.') && !e.startsWith('$') && !e.startsWith('[')) e = `.${e}`;
  return evalSteps(parsePath(e), data, data);
}
