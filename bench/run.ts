// `npm run bench -- NAME [NAME...]`: runs benchmarks from bench/<name>.ts. Each exports
// `run(): Promise<Record<string, unknown>>`, prints its own figures as it goes (including
// the anchor it measured in the same run) and returns its summary, printed here as the
// last line in JSON. `npm run bench` runs them compiled (dist/bench), as the daemons run: under
// a TypeScript loader every fork of the benchmark's own process costs more.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { interrupt } from './rounds.js';

interface BenchModule {
  run(args: string[]): Promise<Record<string, unknown>>;
}

const here = import.meta.dirname;
/** Modules here that support the benchmarks rather than being one. */
const SUPPORT = new Set(['run', 'measure', 'rounds']);
const ext = path.extname(import.meta.filename);

function available(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith(ext) && !f.includes('.test.') && !f.startsWith('_'))
    .map((f) => f.slice(0, -ext.length))
    .filter((name) => !SUPPORT.has(name))
    .sort();
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(`usage: npm run bench -- NAME [ARGS]\nbenchmarks: ${available().join(', ') || '(none yet)'}\n`);
    return name ? 0 : 2;
  }
  const file = path.join(here, `${name}${ext}`);
  if (SUPPORT.has(name) || !existsSync(file)) {
    process.stderr.write(`no benchmark "${name}"; have: ${available().join(', ') || '(none yet)'}\n`);
    return 2;
  }
  const mod = (await import(pathToFileURL(file).href)) as BenchModule;
  // The first Ctrl-C (or SIGTERM) lets the benchmark finish its measurement and clean up; a
  // second one quits at once.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`${sig}: stopping after this measurement and cleaning up (again to quit at once)\n`);
      interrupt();
      process.once(sig, () => process.exit(130));
    });
  }
  const result = await mod.run(rest);
  process.stdout.write(`${JSON.stringify({ bench: name, ...result })}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
