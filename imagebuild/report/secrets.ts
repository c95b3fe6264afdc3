// Applies the secret rules (secret-rules.ts) to files in layers, to the config's Env and
// Labels, and to the history lines (ENV, ARG, RUN). Findings carry where the secret sits and a
// masked excerpt; whether a file secret was deleted later is filled in by the analysis once
// every layer has been applied.
import { isLiteralSecretValue, maskValue, SECRET_RULES, type SecretRule } from './secret-rules.js';

export type SecretSource = 'file' | 'env' | 'label' | 'history';

export interface SecretFinding {
  rule: string;
  description: string;
  source: SecretSource;
  /** Layer index (files) */
  layer?: number;
  /** "/path" (files) */
  path?: string;
  /** Index into the config's history (history lines). */
  history?: number;
  /** Variable or label name. */
  key?: string;
  /** Masked: enough to find it, never the secret itself. */
  excerpt: string;
  /** Files: true when no later layer keeps it visible — it is still shipped in its layer. */
  deleted?: boolean;
}

/** Checks one file of a layer; `data` is its content when small enough to read. */
export function scanFile(rules: readonly SecretRule[], layer: number, path: string, data?: Buffer): SecretFinding[] {
  const out: SecretFinding[] = [];
  const text = data?.toString('latin1');
  for (const r of rules) {
    if (!r.path && !r.content) continue;
    if (r.path && !r.path.test(path)) continue;
    let excerpt = r.path ? 'file name' : '';
    if (r.content) {
      if (text === undefined) continue;
      const m = r.content.exec(text);
      if (!m) continue;
      excerpt = m[0] === '' ? 'content' : maskMatch(m[0]);
    }
    out.push({ rule: r.id, description: r.description, source: 'file', layer, path: `/${path}`, excerpt });
  }
  return out;
}

/** PEM headers are not secret and say what kind of key it is; anything else is masked. */
function maskMatch(s: string): string {
  return s.startsWith('-----BEGIN') ? s : maskValue(s);
}

/** Checks KEY=VALUE pairs (config Env, Labels). */
export function scanPairs(rules: readonly SecretRule[], source: SecretSource, pairs: [string, string][]): SecretFinding[] {
  const out: SecretFinding[] = [];
  // One finding per variable: AWS_ACCESS_KEY_ID=AKIA... is one secret, whichever rules see it.
  for (const [key, value] of pairs) {
    for (const r of rules) {
      if (r.name?.test(key) && isLiteralSecretValue(value)) out.push({ rule: r.id, description: r.description, source, key, excerpt: `${key}=${maskValue(value)}` });
      else if (r.text?.test(value)) out.push({ rule: r.id, description: r.description, source, key, excerpt: `${key}=${maskMatch(r.text.exec(value)![0])}` });
      else continue;
      break;
    }
  }
  return out;
}

// KEY=VALUE assignments in a shell or Dockerfile line: quoted values whole, bare ones to the next blank.
const ASSIGNMENT = /(?:^|[\s|;&(])([A-Za-z_][A-Za-z0-9_.-]*)=("[^"]*"|'[^']*'|[^\s;&|)]*)/g;
// Legacy "ENV KEY VALUE" (one pair, rest of the line is the value).
const ENV_LEGACY = /^\s*(?:\/bin\/sh -c #\(nop\)\s*)?ENV\s+([A-Za-z_][A-Za-z0-9_]*)\s+([^=\s].*)$/;

/** Checks one history line (created_by), e.g. "ENV DB_PASSWORD=x", "ARG TOKEN=x", "RUN |1 TOKEN=x /bin/sh -c ...". */
export function scanHistoryLine(rules: readonly SecretRule[], index: number, line: string): SecretFinding[] {
  const out: SecretFinding[] = [];
  const pairs: [string, string][] = [...line.matchAll(ASSIGNMENT)].map((m) => [m[1], m[2]]);
  const legacy = ENV_LEGACY.exec(line);
  if (legacy && !legacy[2].includes('=')) pairs.push([legacy[1], legacy[2]]);
  const named = new Set<string>();
  for (const r of rules) {
    if (r.name) {
      for (const [key, value] of pairs) {
        if (named.has(key) || !r.name.test(key) || !isLiteralSecretValue(value)) continue;
        named.add(key);
        out.push({ rule: r.id, description: r.description, source: 'history', history: index, key, excerpt: `${key}=${maskValue(value)}` });
      }
    }
    const m = r.text?.exec(line);
    if (m) out.push({ rule: r.id, description: r.description, source: 'history', history: index, excerpt: maskMatch(m[0]) });
  }
  return out;
}

/** A history line fit to print: values of secret-looking assignments and rule matches masked. */
export function redactLine(rules: readonly SecretRule[], line: string): string {
  let out = line.replace(ASSIGNMENT, (whole, key: string, value: string) => {
    if (!rules.some((r) => r.name?.test(key)) || !isLiteralSecretValue(value)) return whole;
    return whole.slice(0, whole.length - value.length) + maskValue(value);
  });
  for (const r of rules) {
    if (!r.text) continue;
    out = out.replace(new RegExp(r.text.source, `${r.text.flags.replace('g', '')}g`), (m) => maskMatch(m));
  }
  return out;
}

/** Splits "KEY=VALUE" env entries. */
export function envPairs(env: string[] | undefined): [string, string][] {
  return (env ?? []).map((e) => {
    const i = e.indexOf('=');
    return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
  });
}

export { SECRET_RULES };
