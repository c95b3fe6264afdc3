// A stage's state while it is built: its layers so far (the base image's, then its own), the
// image config its instructions shape, the ARG values in effect, and the instructions that
// only change the config (ENV, ARG, USER, EXPOSE, LABEL, CMD, ENTRYPOINT, ...). Those are
// pure functions of the state, applied here; steps that make layers live in builder.ts.
import path from 'node:path';
import type { Descriptor, OciImageConfig } from '../runtime/images/media-types.js';
import { chainIds } from '../runtime/images/snapshots.js';
import { DockerfileSyntaxError, type ParsedLine } from './dockerfile/parser.js';
import { expandPairs, expandWord, expandWords, WordError, type Vars } from './dockerfile/words.js';

export type RuntimeConfig = NonNullable<OciImageConfig['config']>;
export type HistoryEntry = NonNullable<OciImageConfig['history']>[number];

export const DEFAULT_SHELL = ['/bin/sh', '-c'];
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface StageState {
  layers: Descriptor[];
  diffIds: string[];
  config: RuntimeConfig;
  history: HistoryEntry[];
  architecture: string;
  os: string;
  created?: string;
  author?: string;
  /** ARG values in effect in this stage. */
  args: Map<string, string>;
  shell: string[];
  /** Whether this stage set CMD (an ENTRYPOINT then keeps it). */
  cmdSet: boolean;
}

/** chainID of the top layer; undefined for an empty rootfs. */
export function topChain(s: StageState): string | undefined {
  const c = chainIds(s.diffIds);
  return c[c.length - 1];
}

export function envMap(env: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

/** What $VAR means in an instruction: ENV wins over ARG of the same name (as in Docker). */
export function stageVars(s: StageState): Vars {
  return new Map([...s.args, ...envMap(s.config.Env)]);
}

/** The environment a RUN sees: the config's Env plus the ARG values ENV does not override. */
export function runEnv(s: StageState): string[] {
  const env = envMap(s.config.Env);
  const out = [...(s.config.Env ?? [])];
  for (const [k, v] of s.args) if (!env.has(k)) out.push(`${k}=${v}`);
  if (!out.some((e) => e.startsWith('PATH='))) out.unshift(DEFAULT_PATH);
  return out;
}

export function setEnv(s: StageState, key: string, value: string): void {
  const env = (s.config.Env ?? []).filter((e) => !e.startsWith(`${key}=`));
  const at = (s.config.Env ?? []).findIndex((e) => e.startsWith(`${key}=`));
  if (at >= 0) env.splice(at, 0, `${key}=${value}`);
  else env.push(`${key}=${value}`);
  s.config.Env = env;
}

export interface ArgSources {
  /** --build-arg values. */
  buildArgs: ReadonlyMap<string, string>;
  /** Values of the ARGs before the first FROM. */
  globals: ReadonlyMap<string, string>;
  /** Build args some ARG declared (the rest are reported unused, as Docker warns). */
  used: Set<string>;
}

/** An ARG line: each name gets --build-arg's value, else its default, else the global one. */
export function declareArgs(args: Map<string, string>, line: ParsedLine, vars: Vars, sources: ArgSources, escape: string): void {
  for (const [name, def] of wrap(line, () => expandPairs(line.args, vars, escape, false))) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new DockerfileSyntaxError(line.line, `invalid ARG name ${JSON.stringify(name)}`);
    const given = sources.buildArgs.get(name);
    if (given !== undefined) sources.used.add(name);
    const value = given ?? def ?? sources.globals.get(name);
    if (value !== undefined) args.set(name, value);
    else args.delete(name);
  }
}

function wrap<T>(line: ParsedLine, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WordError) throw new DockerfileSyntaxError(line.line, e.message);
    throw e;
  }
}

/** The argv of CMD/ENTRYPOINT/RUN: the exec form as is, the shell form through SHELL. */
export function commandArgs(s: StageState, line: ParsedLine): string[] {
  return line.json ?? [...s.shell, line.args];
}

/** Applies an instruction that only changes the config; false when `line` is not one. */
export function applyConfigInstruction(s: StageState, line: ParsedLine, sources: ArgSources, escape: string): boolean {
  const vars = stageVars(s);
  const word = () => wrap(line, () => expandWord(line.args, vars, escape));
  switch (line.keyword) {
    case 'ENV':
      for (const [k, v] of wrap(line, () => expandPairs(line.args, vars, escape))) {
        if (v === undefined) throw new DockerfileSyntaxError(line.line, `ENV ${k}: missing value (want KEY=VALUE)`);
        setEnv(s, k, v);
      }
      return true;
    case 'ARG':
      declareArgs(s.args, line, vars, sources, escape);
      return true;
    case 'USER':
      s.config.User = word();
      return true;
    case 'EXPOSE': {
      const ports = { ...s.config.ExposedPorts };
      for (const p of wrap(line, () => expandWords(line.args, vars, escape))) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
        if (!m) throw new DockerfileSyntaxError(line.line, `invalid port ${JSON.stringify(p)} (want PORT[/tcp|udp|sctp])`);
        const proto = (m[3] ?? 'tcp').toLowerCase();
        const last = Number(m[2] ?? m[1]);
        for (let n = Number(m[1]); n <= last; n++) ports[`${n}/${proto}`] = {};
      }
      s.config.ExposedPorts = ports;
      return true;
    }
    case 'LABEL': {
      const labels = { ...s.config.Labels };
      for (const [k, v] of wrap(line, () => expandPairs(line.args, vars, escape))) labels[k] = v ?? '';
      s.config.Labels = labels;
      return true;
    }
    case 'MAINTAINER':
      s.author = word();
      return true;
    case 'STOPSIGNAL':
      s.config.StopSignal = word();
      return true;
    case 'CMD':
      s.config.Cmd = commandArgs(s, line);
      s.cmdSet = true;
      return true;
    case 'ENTRYPOINT':
      s.config.Entrypoint = commandArgs(s, line);
      // An ENTRYPOINT drops the base image's CMD (a CMD of this stage stays), as Docker does.
      if (!s.cmdSet) s.config.Cmd = null;
      return true;
    case 'SHELL':
      if (!line.json || line.json.length === 0) throw new DockerfileSyntaxError(line.line, 'SHELL requires the arguments to be in JSON form');
      s.shell = line.json;
      return true;
    case 'VOLUME': {
      const vols = { ...s.config.Volumes };
      for (const v of line.json ?? wrap(line, () => expandWords(line.args, vars, escape))) vols[v] = {};
      s.config.Volumes = vols;
      return true;
    }
    default:
      return false;
  }
}

/** WORKDIR's new value: relative paths stack on the current one. */
export function nextWorkdir(s: StageState, line: ParsedLine, escape: string): string {
  const w = wrap(line, () => expandWord(line.args, stageVars(s), escape));
  return path.posix.resolve(s.config.WorkingDir || '/', w);
}
