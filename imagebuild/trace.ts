// Per-phase timings of a build, for finding where the time goes (SKIFF_BUILD_TRACE=1 writes
// them to stderr at the end of `skiff build`). Times are ms since the process started
// (performance.now()'s origin), so module loading shows up as the first mark's time.
const enabled = process.env.SKIFF_BUILD_TRACE === '1';
const marks: { name: string; at: number; ms?: number }[] = [];

/** Records that `name` was reached. */
export function mark(name: string): void {
  if (enabled) marks.push({ name, at: performance.now() });
}

/** Times `fn` as phase `name`. */
export async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    marks.push({ name, at: t0, ms: performance.now() - t0 });
  }
}

export function traceLines(): string[] {
  return marks.map((m) => `trace ${m.at.toFixed(0).padStart(6)} ms  ${m.name}${m.ms === undefined ? '' : `: ${m.ms.toFixed(0)} ms`}`);
}
