// Name rules of apimachinery's util/validation: DNS-1123 labels and subdomains, qualified
// names (label and annotation keys), label values, environment variable names, IANA service
// (port) names, and generateName's random suffix. Each `...Errors` function returns the
// messages Kubernetes gives (empty when valid) so API errors read the same as kube-apiserver's.
import { randomInt } from 'node:crypto';

export const DNS1123_LABEL_MAX_LENGTH = 63;
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
export const QUALIFIED_NAME_MAX_LENGTH = 63;
export const LABEL_VALUE_MAX_LENGTH = 63;

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const ENV_VAR_NAME_FMT = '[-._a-zA-Z][-._a-zA-Z0-9]*';

const anchored = (fmt: string): RegExp => new RegExp(`^${fmt}$`);
const DNS1123_LABEL_RE = anchored(DNS1123_LABEL_FMT);
const DNS1123_SUBDOMAIN_RE = anchored(DNS1123_SUBDOMAIN_FMT);
const QUALIFIED_NAME_RE = anchored(QUALIFIED_NAME_FMT);
const LABEL_VALUE_RE = anchored(LABEL_VALUE_FMT);
const ENV_VAR_NAME_RE = anchored(ENV_VAR_NAME_FMT);

const maxLenError = (n: number): string => `must be no more than ${n} characters`;

/** Kubernetes' message: the rule in words, examples, then the regex. */
function regexError(what: string, fmt: string, ...examples: string[]): string {
  const eg = examples.length ? ` (e.g. ${examples.map((e) => `'${e}'`).join(',  or ')}, regex used for validation is '${fmt}')` : ` (regex used for validation is '${fmt}')`;
  return `${what}${eg}`;
}

/** apimachinery's check for a format with a length cap: too long and not matching are both reported. */
function cappedFormatErrors(value: string, maxLength: number, re: RegExp, message: string): string[] {
  const errs: string[] = [];
  if (value.length > maxLength) errs.push(maxLenError(maxLength));
  if (!re.test(value)) errs.push(message);
  return errs;
}

const DNS1123_LABEL_ERROR = regexError(
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
  DNS1123_LABEL_FMT,
  'my-name',
  '123-abc',
);

const DNS1123_SUBDOMAIN_ERROR = regexError(
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
  DNS1123_SUBDOMAIN_FMT,
  'example.com',
);

export function dns1123LabelErrors(value: string): string[] {
  return cappedFormatErrors(value, DNS1123_LABEL_MAX_LENGTH, DNS1123_LABEL_RE, DNS1123_LABEL_ERROR);
}

export function dns1123SubdomainErrors(value: string): string[] {
  return cappedFormatErrors(value, DNS1123_SUBDOMAIN_MAX_LENGTH, DNS1123_SUBDOMAIN_RE, DNS1123_SUBDOMAIN_ERROR);
}

const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_RE = anchored(DNS1035_LABEL_FMT);
const DNS1035_LABEL_ERROR = regexError(
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
  DNS1035_LABEL_FMT,
  'my-name',
  'abc-123',
);

/** A DNS-1035 label: a DNS-1123 label that starts with a letter (Service names). */
export function dns1035LabelErrors(value: string): string[] {
  return cappedFormatErrors(value, DNS1123_LABEL_MAX_LENGTH, DNS1035_LABEL_RE, DNS1035_LABEL_ERROR);
}

export const isDNS1123Label = (value: string): boolean => dns1123LabelErrors(value).length === 0;
export const isDNS1123Subdomain = (value: string): boolean => dns1123SubdomainErrors(value).length === 0;

// A cluster uses a small set of label keys, annotation keys and resource names, checked on
// every write: the valid ones are remembered (bounded; a valid key is at most 317 characters).
const VALID_QUALIFIED_NAMES = new Set<string>();
const MAX_VALID_QUALIFIED_NAMES = 4096;

/** Label and annotation keys: an optional DNS subdomain prefix and '/', then a name part. */
export function qualifiedNameErrors(value: string): string[] {
  if (VALID_QUALIFIED_NAMES.has(value)) return [];
  const errs = checkQualifiedName(value);
  if (errs.length === 0) {
    if (VALID_QUALIFIED_NAMES.size >= MAX_VALID_QUALIFIED_NAMES) VALID_QUALIFIED_NAMES.clear();
    VALID_QUALIFIED_NAMES.add(value);
  }
  return errs;
}

function checkQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const [prefix] = parts;
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...dns1123SubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      regexError(
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        QUALIFIED_NAME_FMT,
        'MyName',
        'my.name',
        '123-abc',
      ) + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > QUALIFIED_NAME_MAX_LENGTH) errs.push(`name part ${maxLenError(QUALIFIED_NAME_MAX_LENGTH)}`);
  if (name.length > 0 && !QUALIFIED_NAME_RE.test(name)) {
    errs.push(
      `name part ${regexError(
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        QUALIFIED_NAME_FMT,
        'MyName',
        'my.name',
        '123-abc',
      )}`,
    );
  }
  return errs;
}

export const isQualifiedName = (value: string): boolean => qualifiedNameErrors(value).length === 0;

const LABEL_VALUE_ERROR = regexError(
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
  LABEL_VALUE_FMT,
  'MyValue',
  'my_value',
  '12345',
);

export function labelValueErrors(value: string): string[] {
  return cappedFormatErrors(value, LABEL_VALUE_MAX_LENGTH, LABEL_VALUE_RE, LABEL_VALUE_ERROR);
}

export const isValidLabelValue = (value: string): boolean => labelValueErrors(value).length === 0;

export function envVarNameErrors(value: string): string[] {
  if (ENV_VAR_NAME_RE.test(value)) return [];
  return [
    regexError(
      "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
      ENV_VAR_NAME_FMT,
      'my.env-name',
      'MY_ENV.NAME',
      'MyEnvName1',
    ),
  ];
}

const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_MAP_KEY_RE = anchored(CONFIG_MAP_KEY_FMT);
const CONFIG_MAP_KEY_ERROR = regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_MAP_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name');

/**
 * A key of a ConfigMap's or a Secret's data (IsConfigMapKey): it becomes a file name in a
 * volume, so no '/', and no '.' or '..' that would step out of the volume's directory.
 */
export function configMapKeyErrors(value: string): string[] {
  const errs = cappedFormatErrors(value, DNS1123_SUBDOMAIN_MAX_LENGTH, CONFIG_MAP_KEY_RE, CONFIG_MAP_KEY_ERROR);
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** Named ports are IANA service names (RFC 6335): at most 15 of [-a-z0-9], a letter, no '--', no edge '-'. */
export function portNameErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(value)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (value.includes('--')) errs.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(value)) errs.push('must contain at least one letter (a-z)');
  if (value.startsWith('-') || value.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** Names end up as URL path segments; these would break routing whatever the kind's own rule. */
export function pathSegmentNameErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

// apimachinery's util/rand alphabet: no vowels (no accidental words) and no 0/1/3 (look-alikes).
const GENERATED_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const RANDOM_LENGTH = 5;
const MAX_GENERATED_NAME_LENGTH = DNS1123_LABEL_MAX_LENGTH - RANDOM_LENGTH;

/** metadata.generateName -> name: the prefix (cut to 58 chars) plus 5 random characters. */
export function generateName(base: string, random: (n: number) => number = randomInt): string {
  const prefix = base.length > MAX_GENERATED_NAME_LENGTH ? base.slice(0, MAX_GENERATED_NAME_LENGTH) : base;
  let suffix = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) suffix += GENERATED_ALPHABET[random(GENERATED_ALPHABET.length)];
  return prefix + suffix;
}

const PERCENT_FMT = '[0-9]+%';
const PERCENT_RE = anchored(PERCENT_FMT);
const PERCENT_ERROR = regexError("a valid percent string must be a numeric string followed by an ending '%'", PERCENT_FMT, '1%', '93%');

/** IsValidPercent: "25%" (a maxSurge, a maxUnavailable). */
export function percentErrors(value: string): string[] {
  return PERCENT_RE.test(value) ? [] : [PERCENT_ERROR];
}
