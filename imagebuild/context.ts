// The build context: a directory on this machine minus what .dockerignore leaves out.
// COPY/ADD sources are looked up here; a source can never reach outside the directory
// (".." is cleaned away and symlinks are copied as symlinks, never followed).
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { cleanRelative, hasGlob, IgnoreRules, patternRegExp } from './globs.js';

export class BuildContext {
  readonly dir: string;
  readonly #ignore: IgnoreRules;
  #all: string[] | undefined;

  private constructor(dir: string, ignore: IgnoreRules) {
    this.dir = dir;
    this.#ignore = ignore;
  }

  static async open(dir: string): Promise<BuildContext> {
    const abs = path.resolve(dir);
    const st = await lstat(abs).catch(() => undefined);
    if (!st?.isDirectory()) throw new Error(`build context ${dir} is not a directory`);
    const text = await readFile(path.join(abs, '.dockerignore'), 'utf8').catch(() => '');
    return new BuildContext(abs, new IgnoreRules(text));
  }

  /** Whether a context-relative path is part of the context. */
  includes(rel: string): boolean {
    return rel === '' || !this.#ignore.excludes(rel);
  }

  /** Every path of the context (ignored ones too), sorted; read once. */
  async #paths(): Promise<string[]> {
    if (!this.#all) {
      const out: string[] = [];
      const walk = async (rel: string) => {
        for (const n of (await readdir(path.join(this.dir, rel))).sort()) {
          const r = rel === '' ? n : `${rel}/${n}`;
          out.push(r);
          const st = await lstat(path.join(this.dir, r));
          if (st.isDirectory()) await walk(r);
        }
      };
      await walk('');
      this.#all = out;
    }
    return this.#all;
  }

  /**
   * The context paths a COPY source names: itself when it exists, or every path its glob
   * matches. An empty answer is an error for the caller to report.
   */
  async resolve(source: string): Promise<string[]> {
    const clean = cleanRelative(source);
    if (!hasGlob(clean)) {
      if (clean !== '' && !this.includes(clean)) return [];
      const st = await lstat(path.join(this.dir, clean)).catch(() => undefined);
      return st ? [clean] : [];
    }
    const re = patternRegExp(clean, false);
    return (await this.#paths()).filter((p) => re.test(p) && this.includes(p));
  }
}
