// Label selectors with the grammar and semantics of apimachinery's labels package:
//   selector    ::= requirement ("," requirement)*
//   requirement ::= ["!"] KEY [ ("in" | "notin") "(" VALUE ("," VALUE)* ")" | ("=" | "==" | "!=") VALUE | (">" | "<") INT ]
// Parsing errors are ApiError BadRequest (HTTP 400), as kube-apiserver answers a bad ?labelSelector=.
import { errors } from '../errors.js';
import { labelValueErrors, qualifiedNameErrors } from '../names.js';
import type { LabelSelector } from '../types/meta.js';

export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** sorted; a single value for =, ==, !=, gt, lt; none for exists and ! */
  values: string[];
}

export interface LabelSelectorMatcher {
  readonly requirements: readonly LabelRequirement[];
  matches(labels: Record<string, string> | undefined): boolean;
  /** true when the selector selects everything */
  isEmpty(): boolean;
  toString(): string;
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value as string);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^-?[0-9]+$/.test(value as string)) return false;
      const [lhs, rhs] = [BigInt(value as string), BigInt(r.values[0])];
      return r.operator === 'gt' ? lhs > rhs : lhs < rhs;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

class Selector implements LabelSelectorMatcher {
  readonly requirements: readonly LabelRequirement[];

  constructor(requirements: LabelRequirement[]) {
    // Sorted by key as Kubernetes does, so equal selectors print the same.
    this.requirements = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  matches(labels: Record<string, string> | undefined): boolean {
    const l = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, l));
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

/** Selects nothing: what a nil LabelSelector means in Kubernetes' LabelSelectorAsSelector. */
class NothingSelector implements LabelSelectorMatcher {
  readonly requirements: readonly LabelRequirement[] = [];
  matches(): boolean {
    return false;
  }
  isEmpty(): boolean {
    return false;
  }
  toString(): string {
    return '';
  }
}

export const everything = (): LabelSelectorMatcher => new Selector([]);
export const nothing = (): LabelSelectorMatcher => new NothingSelector();

/** Validates and builds one requirement; throws a message (without the BadRequest wrapper). */
function newRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const keyErrs = qualifiedNameErrors(key);
  if (keyErrs.length) throw new Error(`key: Invalid value: "${key}": ${keyErrs.join('; ')}`);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) throw new Error("values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty");
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) throw new Error("values: Invalid value: exact-match compatibility requires one single value");
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) throw new Error("values: Invalid value: values set must be empty for exists and does not exist");
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1 || !/^-?[0-9]+$/.test(values[0])) {
        throw new Error(`values: Invalid value: ${JSON.stringify(values)}: for 'Gt', 'Lt' operators, the value must be a single integer`);
      }
      return { key, operator, values };
  }
  for (const v of values) {
    const errs = labelValueErrors(v);
    if (errs.length) throw new Error(`values[0]: Invalid value: "${v}": ${errs.join('; ')}`);
  }
  return { key, operator, values: [...new Set(values)].sort() };
}

type Token =
  | { kind: 'ident'; text: string }
  | { kind: 'op'; text: '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '>' | '<' }
  | { kind: 'in' | 'notin' | 'end'; text: string };

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);

/** Where a value is expected, "in" and "notin" are plain words (Kubernetes' Values context). */
const isValue = (t: Token): boolean => t.kind === 'ident' || t.kind === 'in' || t.kind === 'notin';

function lex(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
    } else if (SPECIAL.has(c)) {
      const two = s.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        tokens.push({ kind: 'op', text: two });
        i += 2;
      } else {
        tokens.push({ kind: 'op', text: c as '=' });
        i++;
      }
    } else {
      let j = i;
      while (j < s.length && !SPECIAL.has(s[j]) && !/\s/.test(s[j])) j++;
      const text = s.slice(i, j);
      tokens.push(text === 'in' || text === 'notin' ? { kind: text, text } : { kind: 'ident', text });
      i = j;
    }
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

class Parser {
  #pos = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(): Token {
    return this.tokens[this.#pos];
  }
  next(): Token {
    return this.tokens[this.#pos++];
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    if (this.peek().kind === 'end') return reqs;
    while (true) {
      reqs.push(this.requirement());
      const t = this.next();
      if (t.kind === 'end') return reqs;
      if (t.text !== ',') throw new Error(`found '${t.text}', expected: ',' or 'end of string'`);
      if (this.peek().kind === 'end') throw new Error("found '', expected: identifier after ','");
    }
  }

  requirement(): LabelRequirement {
    let t = this.next();
    let negated = false;
    if (t.text === '!' && t.kind === 'op') {
      negated = true;
      t = this.next();
    }
    if (t.kind !== 'ident') throw new Error(`found '${t.text}', expected: !, identifier, or 'end of string'`);
    const key = t.text;
    const after = this.peek();
    if (negated || after.kind === 'end' || after.text === ',') {
      if (negated && after.kind !== 'end' && after.text !== ',') throw new Error(`found '${after.text}', expected: ',' or 'end of string'`);
      return newRequirement(key, negated ? '!' : 'exists', []);
    }
    const op = this.next();
    switch (op.kind === 'op' || op.kind === 'in' || op.kind === 'notin' ? op.text : '') {
      case 'in':
      case 'notin':
        return newRequirement(key, op.text as 'in' | 'notin', this.valueSet());
      case '=':
      case '==':
      case '!=':
        return newRequirement(key, op.text as '=', [this.exactValue()]);
      case '>':
      case '<':
        return newRequirement(key, op.text === '>' ? 'gt' : 'lt', [this.exactValue()]);
      default:
        throw new Error(`found '${op.text}', expected: '=', '!=', '==', 'in', 'notin'`);
    }
  }

  /** A value after =, == or !=; may be empty ("a=" selects a label with an empty value). */
  exactValue(): string {
    const t = this.peek();
    if (t.kind === 'end' || t.text === ',') return '';
    this.next();
    if (isValue(t)) return t.text;
    throw new Error(`found '${t.text}', expected: identifier`);
  }

  valueSet(): string[] {
    const open = this.next();
    if (open.text !== '(') throw new Error(`found '${open.text}', expected: '('`);
    const values: string[] = [];
    if (this.peek().text === ')' && this.peek().kind === 'op') {
      this.next();
      return values;
    }
    while (true) {
      const t = this.next();
      if (isValue(t)) {
        values.push(t.text);
        const sep = this.next();
        if (sep.text === ')' && sep.kind === 'op') return values;
        if (sep.text !== ',') throw new Error(`found '${sep.text}', expected: ',' or ')'`);
      } else if (t.text === ',' || t.text === ')') {
        // "(a,,b)" and "(a,)" carry an empty value, as Kubernetes' parseIdentifiersList allows.
        values.push('');
        if (t.text === ')') return values;
      } else {
        throw new Error(`found '${t.text}', expected: ',', ')' or identifier`);
      }
    }
  }
}

/** Parses "?labelSelector=" syntax; throws ApiError BadRequest with the reason. */
export function parseLabelSelector(s: string): LabelSelectorMatcher {
  try {
    return new Selector(new Parser(lex(s)).parse());
  } catch (e) {
    throw errors.badRequest(`unable to parse requirement: ${(e as Error).message}`);
  }
}

const EXPRESSION_OPERATORS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/** A structured selector (matchLabels + matchExpressions); undefined/null selects nothing, {} everything. */
export function labelSelectorFromObject(sel: LabelSelector | undefined | null): LabelSelectorMatcher {
  if (sel === undefined || sel === null) return nothing();
  try {
    const reqs: LabelRequirement[] = [];
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]));
    for (const expr of sel.matchExpressions ?? []) {
      const op = EXPRESSION_OPERATORS[expr.operator];
      if (!op) throw new Error(`"${expr.operator}" is not a valid label selector operator`);
      reqs.push(newRequirement(expr.key, op, expr.values ?? []));
    }
    return new Selector(reqs);
  } catch (e) {
    throw errors.badRequest(`invalid label selector: ${(e as Error).message}`);
  }
}

/** A selector matching exactly these labels (key=value for each), as labels.SelectorFromSet. */
export function labelSelectorFromSet(set: Record<string, string> | undefined): LabelSelectorMatcher {
  return labelSelectorFromObject({ matchLabels: set ?? {} });
}
