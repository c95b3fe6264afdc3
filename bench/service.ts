// `npm run bench -- service [--only data,control,dns] [SECTION ARGS]`
// Services, in one run, three measurements with their own anchors (each section's file says
// what it starts and measures, and prints its rounds, medians, spread and ratio):
//  - data: wrk from a pod on one lab node to a Service whose endpoints are on another node,
//    vs to one endpoint's pod IP directly (bench/_service-data.ts);
//  - control: 1,000 Services × 10 endpoints written through the API until the rules are in
//    place on a node, vs iptables-restore of the same rules loaded directly; and one endpoint
//    change at that size (bench/_service-control.ts);
//  - dns: dnsperf against the cluster DNS vs dnsmasq serving the same records
//    (bench/_service-dns.ts).
// The sections run one after another (never at once: each would be the other's noise); the
// last line is every section's summary under its name.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { stopIfInterrupted } from './rounds.js';

const SECTIONS = ['data', 'control', 'dns'] as const;
type Section = (typeof SECTIONS)[number];

interface SectionModule {
  runSection(args: string[]): Promise<Record<string, unknown>>;
}

function parseOnly(args: string[]): { only: Section[]; rest: string[] } {
  const i = args.indexOf('--only');
  if (i < 0) return { only: [...SECTIONS], rest: args };
  const names = (args[i + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (!names.length || unknown.length) throw new Error(`--only takes a comma-separated list of ${SECTIONS.join(', ')}${unknown.length ? `; not ${unknown.join(', ')}` : ''}`);
  return { only: names as Section[], rest: [...args.slice(0, i), ...args.slice(i + 2)] };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const { only, rest } = parseOnly(args);
  const out: Record<string, unknown> = {};
  for (const s of only) {
    stopIfInterrupted(`service ${s}`);
    process.stdout.write(`== service: ${s}\n`);
    const file = path.join(import.meta.dirname, `_service-${s}${path.extname(import.meta.filename)}`);
    const mod = (await import(pathToFileURL(file).href)) as SectionModule;
    out[s] = await mod.runSection(rest);
  }
  return out;
}
