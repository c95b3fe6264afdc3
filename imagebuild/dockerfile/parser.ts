// The Dockerfile's outer grammar (the reference's "Format" and "Parser directives" parts):
// parser directives at the very top (`# escape=` and `# syntax=`), comment lines, line
// continuations with the escape character, one instruction per logical line, its leading
// `--flag=value` options, and the JSON (exec) form. What an instruction's arguments mean,
// variables and quotes included, is instructions.ts's job; this file only cuts text.
//
// Our own rather than an npm package, as the issue prefers: it is small, has no dependency,
// and its errors carry the Dockerfile's line numbers the way the rest of the build reports them.

export interface ParsedLine {
  /** Upper-cased instruction keyword ("RUN", "COPY", ...). */
  keyword: string;
  /** The arguments after the keyword and its flags, continuations joined, trimmed. */
  args: string;
  /** Leading `--name=value` (or bare `--name`) options, in order. */
  flags: { name: string; value?: string }[];
  /** The arguments as a JSON array of strings, when written in that (exec) form. */
  json?: string[];
  /** 1-based line number of the instruction's first line. */
  line: number;
  /** The instruction as written, continuations joined (for messages and history). */
  original: string;
}

export interface ParsedDockerfile {
  directives: { escape: string; syntax?: string };
  lines: ParsedLine[];
}

export class DockerfileSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`Dockerfile:${line}: ${message}`);
    this.name = 'DockerfileSyntaxError';
  }
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
/** Instructions whose arguments may be a JSON array (the exec form). */
const JSON_FORMS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'COPY', 'ADD', 'SHELL', 'VOLUME']);
/** Instructions that take leading `--flags`. */
const FLAG_FORMS = new Set(['RUN', 'COPY', 'ADD', 'FROM', 'HEALTHCHECK']);

export function parseDockerfile(text: string): ParsedDockerfile {
  const rawLines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const directives: ParsedDockerfile['directives'] = { escape: '\\' };
  const seen = new Set<string>();
  let i = 0;
  // Directives: only while every line so far is one; the first other line (even blank) ends them.
  for (; i < rawLines.length; i++) {
    const m = DIRECTIVE.exec(rawLines[i].trim());
    if (!m) break;
    const name = m[1].toLowerCase();
    if (name !== 'escape' && name !== 'syntax' && name !== 'check') break; // an unknown one is a comment
    if (seen.has(name)) throw new DockerfileSyntaxError(i + 1, `only one ${name} parser directive can be used`);
    seen.add(name);
    if (name === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw new DockerfileSyntaxError(i + 1, `invalid escape token ${JSON.stringify(m[2])}: must be \` or \\`);
      directives.escape = m[2];
    } else if (name === 'syntax') directives.syntax = m[2];
  }

  const escape = directives.escape;
  const lines: ParsedLine[] = [];
  let buf: string[] = [];
  let start = 0;
  for (; i < rawLines.length; i++) {
    const raw = rawLines[i];
    const trimmed = raw.trim();
    // Comment lines go, even in the middle of a continued instruction; so do blank lines inside one.
    if (trimmed.startsWith('#')) continue;
    if (trimmed === '') continue;
    if (buf.length === 0) start = i + 1;
    // Like Docker, an escape character at the end (trailing blanks aside) always continues the line.
    const right = raw.replace(/[ \t]+$/, '');
    if (right.endsWith(escape)) {
      buf.push(right.slice(0, -1));
      continue;
    }
    buf.push(right);
    lines.push(splitInstruction(buf.join(''), start, escape));
    buf = [];
  }
  if (buf.length > 0) lines.push(splitInstruction(buf.join(''), start, escape));
  return { directives, lines };
}

function splitInstruction(text: string, line: number, escape: string): ParsedLine {
  const t = text.trim();
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(t);
  if (!m) throw new DockerfileSyntaxError(line, 'empty instruction');
  const keyword = m[1].toUpperCase();
  if (!/^[A-Z]+$/.test(keyword)) throw new DockerfileSyntaxError(line, `unknown instruction: ${m[1]}`);
  let rest = (m[2] ?? '').trim();
  const flags: ParsedLine['flags'] = [];
  if (FLAG_FORMS.has(keyword)) {
    for (;;) {
      const f = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
      if (!f) break;
      flags.push(f[2] === undefined ? { name: f[1] } : { name: f[1], value: unquote(f[2], escape) });
      rest = rest.slice(f[0].length);
    }
  }
  const out: ParsedLine = { keyword, args: rest, flags, line, original: t };
  if (JSON_FORMS.has(keyword) && rest.startsWith('[')) {
    const json = parseJsonArray(rest);
    if (json) out.json = json;
  }
  return out;
}

/** A JSON array of strings, or undefined (then the text is the shell form, as Docker does). */
function parseJsonArray(s: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(s);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // not JSON: shell form
  }
  return undefined;
}

function unquote(s: string, escape: string): string {
  if (s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))) {
    const inner = s.slice(1, -1);
    return s.startsWith('"') ? inner.split(escape + '"').join('"') : inner;
  }
  return s;
}
