// Hostile pieces of requests: odd numbers and quantities, odd unicode, deep nesting, duplicate
// keys, broken percent-escapes, odd content types and query values. Each comes with what
// Kubernetes would answer where that is certain (a quantity outside the grammar is a 400 at
// decoding; a name outside DNS-1123 is a 422); elsewhere only the invariants hold.
import fc from 'fast-check';
import { Raw } from './schema-gen.js';

/** Numbers as written in JSON, including ones no int64 or float64 holds. */
export const ODD_NUMBERS: readonly Raw[] = [
  '1e300', '-1', '0', '-0', '0.5', '1.0', '9223372036854775807', '9223372036854775808', '-9223372036854775809',
  '18446744073709551616', '1e400', '-1e400', '4.9e-324', '1e-400', '123456789012345678901234567890', '"NaN"', '"Infinity"', '"1e300"', '2147483648',
].map((t) => new Raw(t));

/** True when an integer field must refuse it: not an integer, or outside int64 (Go's decoder refuses both). */
export function badInteger(raw: string): boolean {
  if (raw.startsWith('"') || /e/i.test(raw) || /\.\d*[1-9]/.test(raw)) return true;
  // "1.0" and "-0": left to the invariants (decoders differ on them).
  if (!/^-?\d+$/.test(raw)) return false;
  const n = BigInt(raw);
  return n > 9223372036854775807n || n < -9223372036854775808n;
}

export const ODD_QUANTITIES: readonly string[] = [
  '1e400', '99999999999999999999999999Ei', '1e300', '-1', '0', '1Ei', '9223372036854775807', '1E', '1.5.5', ' 1', '1 ', '+1', '.5', '5.',
  '1e', 'e3', '1e3e3', '0x10', 'NaN', 'Infinity', '1Ki1', '1ki', '1m', '0.0000000001', '1n', '1e-400', `1${'0'.repeat(400)}`, `${'9'.repeat(30)}Ei`, '',
];

// Kubernetes' quantity grammar (resource.ParseQuantity): sign, digits with at most one point,
// then a binary or decimal SI suffix or a decimal exponent.
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(|n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+)$/;

/** Quantities the fix of issue 17 refuses: outside the grammar, or too large to hold. */
export function badQuantity(q: string): boolean {
  if (!QUANTITY.test(q)) return true;
  return q === '1e400' || /^9{20,}Ei$/.test(q);
}

/** Strings that trouble parsers, encoders, terminals and path handling. */
export const ODD_STRINGS: readonly string[] = [
  '', ' ', 'a'.repeat(10_000), '\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\u202eevil\u202c', '\ufeffbom', 'zero\u200bwidth', 'e\u0301',
  '\u{1f600}', '../..', '%ZZ', '\\', '"', '\n', '${x}', '<script>', "' OR 1=1 --", 'a'.repeat(253), 'a'.repeat(254), 'A', '-a', 'a-', 'a..b',
  'עברית', '\u0085', '\u2028',
];

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A name no kind accepts: not a DNS-1123 subdomain, or longer than 253. */
export function badName(name: string): boolean {
  return name.length > 253 || !DNS_SUBDOMAIN.test(name);
}

/** Odd strings, and random ones from the whole of unicode. */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

/** A path segment as a client would write it: percent-encoded, lone surrogates included (as U+FFFD). */
export function segment(s: string): string {
  return encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

/** JSON nested `depth` deep, as text (no JSON.stringify: it would overflow the stack). */
export function deepJson(depth: number, shape: 'array' | 'object'): string {
  return shape === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** The same in YAML flow style. */
export function deepYaml(depth: number, shape: 'array' | 'object'): string {
  return shape === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Malformed or tricky percent-escapes and segments for a path. */
export const ODD_SEGMENTS: readonly string[] = ['%ZZ', '%', 'a%', '%2', '%00', '%2F', '%2e%2e', '..', '.', '%C0%AF', '%FF', '%E2%80%AE', '%25', 'a%20b', '%u0041', '%%', ''];

/** Content types: broken, unknown, and patch types where an object belongs. */
export const ODD_CONTENT_TYPES: readonly string[] = [
  ';;;', 'application/json;;;', ';', '/', 'application/', 'application/json-patch+json', 'application/merge-patch+json',
  'application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'text/plain', 'multipart/form-data; boundary=x',
  'application/json; charset=utf-16', 'APPLICATION/JSON', 'application/json; charset=utf-8', 'application/vnd.kubernetes.protobuf', '*/*',
  'application/x-www-form-urlencoded',
];

/** Content types Kubernetes decodes an object body from; anything else on POST/PUT is a 415. */
export function objectContentType(ct: string): boolean | undefined {
  const base = ct.split(';')[0].trim().toLowerCase();
  if (base === 'application/vnd.kubernetes.protobuf') return undefined; // decoded for a few kinds (apiserver/protobuf-body.ts), 415 for others
  if (ct.includes(';;') || ct.startsWith(';') || !/^[\w.+-]+\/[\w.+-]+$/.test(base)) return false;
  if (/charset=utf-16/i.test(ct)) return undefined;
  return ['application/json', 'application/yaml'].includes(base);
}

/** Query values for integer parameters: huge, negative, fractional, not numbers. */
export const ODD_INTS: readonly string[] = ['-1', '0', '1', '1e300', '9223372036854775808', '99999999999999999999', 'abc', '', ' 1', '1.5', '0x10', '%ZZ', '-0', 'NaN'];

/** Odd values for enum-like query parameters. */
export const ODD_WORDS: readonly string[] = ['', 'All', 'all', 'ALL', 'All,All', 'None', 'garbage', '\u0000', '%ZZ', 'Strict', 'Exact', 'NotOlderThan', 'Orphan', 'Background', 'Foreground', 'true'];

/** Field selectors with escapes: a node must never see another's pods through one. */
export function fieldSelectorFor(node: string): fc.Arbitrary<string> {
  const term = fc.oneof(
    fc.constantFrom(`spec.nodeName=${node}`, `spec.nodeName==${node}`, `spec.nodeName!=${node}`, 'spec.nodeName=node-b', 'metadata.name!=x', `metadata.name!=x\\,spec.nodeName=${node}`,
      `metadata.name=x\\,spec.nodeName=${node}`, `spec.nodeName=${node}\\`, `spec.nodeName=${node}\\,`, ` spec.nodeName = ${node} `, `spec.nodeName=${node}\\=`, 'spec.nodeName=',
      `spec.nodeName=${node.toUpperCase()}`, `status.phase!=Failed`, `spec.nodeName in (${node})`, `metadata.namespace!=x`),
    fc.string({ maxLength: 12 }),
  );
  return fc.array(term, { minLength: 1, maxLength: 3 }).map((ts) => ts.join(','));
}
