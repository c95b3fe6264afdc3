// The one way a benchmark compares skiff with its anchor: the measured phase runs in rounds,
// anchor and skiff alternating (which goes first swaps every round, so a machine that slows
// down or warms up over the run weighs on both sides alike). Each round gives one ratio
// skiff/anchor; the report is the median of those ratios and their spread (lowest, highest),
// beside each side's median and spread. One noisy round moves the spread, not the verdict.
import { median } from './measure.js';

/** At least this many rounds, as the benchmarks promise (fewer is refused, not rounded up). */
export const MIN_ROUNDS = 3;

export interface Side {
  /** What is measured, for the printed lines ("skiff cold pull", "skopeo copy + umoci raw unpack"). */
  label: string;
  /** One measurement of the phase: a duration in ms, or a rate (see `higherIsBetter`). */
  measure(round: number): Promise<number>;
}

export interface CompareOptions {
  /** The figure's name in the summary ("coldPull", "creates"). */
  name: string;
  /** Its unit for the printed lines ("ms", "/s"). */
  unit: string;
  rounds: number;
  skiff: Side;
  anchor: Side;
  /** Rates (ops/s) rather than durations: the better side has the higher figure. */
  higherIsBetter?: boolean;
  /** The goal for the median ratio skiff/anchor (<= for durations, >= for rates). */
  target?: number;
  /** Where lines go (stdout by default). */
  say?: (line: string) => void;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface Comparison {
  name: string;
  unit: string;
  rounds: number;
  skiff: Spread & { values: number[] };
  anchor: Spread & { values: number[] };
  /** skiff/anchor per round, in round order. */
  ratios: number[];
  ratio: Spread;
  target?: number;
  /** Whether the median ratio meets the target (absent without one). */
  ok?: boolean;
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;

export function spreadOf(xs: number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

let interrupted = false;

/**
 * Asks the running comparison to stop after the measurement in progress: the benchmark's own
 * `finally` then tears down what it started (clusters, pods, mounts), which killing the
 * process at once would leave behind. bench/run.ts calls it on the first Ctrl-C.
 */
export function interrupt(): void {
  interrupted = true;
}

/** Throws once interrupt() was called: a benchmark's own rounds call it between measurements. */
export function stopIfInterrupted(name: string): void {
  if (interrupted) throw new Error(`${name}: interrupted`);
}

/** Runs both sides `rounds` times, alternating, and reports the median ratio and the spread. */
export async function compare(o: CompareOptions): Promise<Comparison> {
  if (!Number.isInteger(o.rounds) || o.rounds < MIN_ROUNDS) throw new Error(`${o.name}: ${o.rounds} rounds; a comparison takes at least ${MIN_ROUNDS}`);
  const say = o.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const skiff: number[] = [];
  const anchor: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    const order: [Side, number[]][] = r % 2 === 0 ? [[o.anchor, anchor], [o.skiff, skiff]] : [[o.skiff, skiff], [o.anchor, anchor]];
    for (const [side, into] of order) {
      stopIfInterrupted(o.name);
      const v = await side.measure(r);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${o.name}: ${side.label} measured ${v} ${o.unit} in round ${r + 1}`);
      into.push(v);
    }
    ratios.push(skiff[r]! / anchor[r]!);
    say(`${o.name} round ${r + 1}/${o.rounds}: ${o.skiff.label} ${fmt(skiff[r]!)} ${o.unit}, ${o.anchor.label} ${fmt(anchor[r]!)} ${o.unit}, ratio ${r3(ratios[r]!)}`);
  }
  const result: Comparison = {
    name: o.name,
    unit: o.unit,
    rounds: o.rounds,
    skiff: { ...spreadOf(skiff), values: skiff },
    anchor: { ...spreadOf(anchor), values: anchor },
    ratios,
    ratio: spreadOf(ratios),
  };
  if (o.target !== undefined) {
    result.target = o.target;
    result.ok = o.higherIsBetter ? result.ratio.median >= o.target : result.ratio.median <= o.target;
  }
  say(describe(result, o));
  return result;
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(2);
}

function describe(c: Comparison, o: CompareOptions): string {
  const side = (label: string, s: Spread) => `${label} median ${fmt(s.median)} ${c.unit} (${fmt(s.min)}..${fmt(s.max)})`;
  const goal = c.target === undefined ? '' : `; target ${o.higherIsBetter ? '>=' : '<='} ${c.target}: ${c.ok ? 'met' : 'NOT met'}`;
  return `${c.name}: ${side(o.skiff.label, c.skiff)}; ${side(o.anchor.label, c.anchor)}; ratio skiff/anchor median ${r3(c.ratio.median)} (spread ${r3(c.ratio.min)}..${r3(c.ratio.max)} over ${c.rounds} rounds)${goal}`;
}

/** The summary's JSON form of a comparison: medians, spreads and the ratio, rounded. */
export function summary(c: Comparison): Record<string, unknown> {
  const s = (x: Spread) => ({ median: r3(x.median), min: r3(x.min), max: r3(x.max) });
  return {
    unit: c.unit,
    rounds: c.rounds,
    skiff: s(c.skiff),
    anchor: s(c.anchor),
    ratio: s(c.ratio),
    ...(c.target === undefined ? {} : { target: c.target, ok: c.ok }),
  };
}
