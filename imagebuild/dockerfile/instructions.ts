// From parsed lines to build stages: the ARGs before the first FROM, then one stage per FROM
// with its name (`AS name`) and instructions. Checks what can be checked before building
// (known keywords, allowed flags, arguments present, unique stage names); values are
// expanded later, at build time, when ARG and ENV values are known.
import { DockerfileSyntaxError, type ParsedDockerfile, type ParsedLine } from './parser.js';

export interface StageSpec {
  index: number;
  /** The name after AS (lower-cased, as Docker compares them), if any. */
  name?: string;
  /** The FROM line; its args are the (unexpanded) base image and optional "AS name". */
  from: ParsedLine;
  /** Base image reference as written, before ARG expansion. */
  baseText: string;
  lines: ParsedLine[];
}

export interface DockerfilePlan {
  escape: string;
  /** ARG lines before the first FROM (usable in FROM lines; re-declared to use inside a stage). */
  globalArgs: ParsedLine[];
  stages: StageSpec[];
}

const ALLOWED_FLAGS: Record<string, string[]> = {
  FROM: ['platform'],
  RUN: [],
  COPY: ['from', 'chown', 'chmod', 'link'],
  ADD: ['chown', 'chmod', 'link'],
};

const NEEDS_ARGS = new Set(['FROM', 'RUN', 'COPY', 'ADD', 'ENV', 'ARG', 'WORKDIR', 'USER', 'EXPOSE', 'LABEL', 'ENTRYPOINT', 'CMD', 'STOPSIGNAL', 'SHELL', 'VOLUME', 'MAINTAINER']);
const KNOWN = new Set([...NEEDS_ARGS]);
const UNSUPPORTED = new Set(['ONBUILD', 'HEALTHCHECK']);

export function planDockerfile(parsed: ParsedDockerfile): DockerfilePlan {
  const globalArgs: ParsedLine[] = [];
  const stages: StageSpec[] = [];
  const names = new Set<string>();
  for (const l of parsed.lines) {
    if (UNSUPPORTED.has(l.keyword)) throw new DockerfileSyntaxError(l.line, `${l.keyword} is not supported by skiff build`);
    if (!KNOWN.has(l.keyword)) throw new DockerfileSyntaxError(l.line, `unknown instruction: ${l.keyword}`);
    if (NEEDS_ARGS.has(l.keyword) && l.args === '' && !l.json) throw new DockerfileSyntaxError(l.line, `${l.keyword} requires at least one argument`);
    const allowed = ALLOWED_FLAGS[l.keyword] ?? [];
    for (const f of l.flags) {
      if (!allowed.includes(f.name)) throw new DockerfileSyntaxError(l.line, `unknown flag: --${f.name} for ${l.keyword}`);
      if (f.value === undefined && f.name !== 'link') throw new DockerfileSyntaxError(l.line, `--${f.name} needs a value (--${f.name}=...)`);
    }
    if ((l.keyword === 'COPY' || l.keyword === 'ADD') && !l.json && l.args.trim().split(/\s+/).length < 2) {
      throw new DockerfileSyntaxError(l.line, `${l.keyword} requires at least two arguments, but got ${JSON.stringify(l.args)}`);
    }
    if (l.keyword === 'FROM') {
      const words = l.args.trim().split(/\s+/);
      let name: string | undefined;
      if (words.length === 3 && words[1].toUpperCase() === 'AS') {
        name = words[2].toLowerCase();
        if (!/^[a-z][a-z0-9._-]*$/.test(name)) throw new DockerfileSyntaxError(l.line, `invalid stage name ${JSON.stringify(words[2])}: letters, digits, ".", "_" and "-", starting with a letter`);
        if (names.has(name)) throw new DockerfileSyntaxError(l.line, `duplicate stage name ${JSON.stringify(name)}`);
        names.add(name);
      } else if (words.length !== 1) {
        throw new DockerfileSyntaxError(l.line, `FROM wants "image [AS name]", got ${JSON.stringify(l.args)}`);
      }
      stages.push({ index: stages.length, name, from: l, baseText: words[0], lines: [] });
      continue;
    }
    if (stages.length === 0) {
      if (l.keyword !== 'ARG') throw new DockerfileSyntaxError(l.line, `${l.keyword} before the first FROM (only ARG may come before it)`);
      globalArgs.push(l);
      continue;
    }
    stages[stages.length - 1].lines.push(l);
  }
  if (stages.length === 0) throw new DockerfileSyntaxError(1, 'the Dockerfile has no FROM instruction');
  return { escape: parsed.directives.escape, globalArgs, stages };
}

/** The stage `--target` names (the last one without it). */
export function targetStage(plan: DockerfilePlan, target?: string): StageSpec {
  if (target === undefined) return plan.stages[plan.stages.length - 1];
  const want = target.toLowerCase();
  const found = plan.stages.find((s) => s.name === want);
  if (!found) throw new Error(`target stage ${JSON.stringify(target)} could not be found (stages: ${plan.stages.map((s) => s.name ?? String(s.index)).join(', ')})`);
  return found;
}

/** A stage named or numbered by `ref` (FROM <stage>, COPY --from=<stage>), if it names one before `before`. */
export function findStage(plan: DockerfilePlan, ref: string, before: number): StageSpec | undefined {
  const r = ref.toLowerCase();
  const byName = plan.stages.find((s) => s.index < before && s.name === r);
  if (byName) return byName;
  if (/^\d+$/.test(r) && Number(r) < before) return plan.stages[Number(r)];
  return undefined;
}
