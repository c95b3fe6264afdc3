// The one parser of durations in flags. Daemons' flags are Go durations, as Kubernetes'
// components read them ("40s", "500ms", "1m30s", and "0"); the CLI's also take a bare number
// as seconds, as kubectl's --request-timeout does ("5" is 5s).

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

export interface DurationOptions {
  /** A bare number counts as seconds (kubectl); otherwise only "0" may go without a unit (Go). */
  bareSeconds?: boolean;
}

/** A duration -> milliseconds. */
export function parseDuration(text: string, { bareSeconds = true }: DurationOptions = {}): number {
  const v = text.trim();
  if (/^\d+(\.\d+)?$/.test(v) && (bareSeconds || Number(v) === 0)) return Number(v) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(v); m !== null; m = re.exec(v)) {
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== v.length) throw new Error(`invalid duration "${text}": use a number with a unit, e.g. 30s, 5m, 1m30s`);
  return total;
}

/** A Go duration (time.ParseDuration's units down to ms), as the daemons' flags take them. */
export function parseGoDuration(text: string): number {
  return parseDuration(text, { bareSeconds: false });
}

/** Milliseconds as Go's Duration.String() prints them: "0s", "500ms", "15.002s", "1m1.5s", "2h0m0s". */
export function formatGoDuration(ms: number): string {
  const total = Math.round(ms);
  if (total === 0) return '0s';
  const sign = total < 0 ? '-' : '';
  const abs = Math.abs(total);
  if (abs < 1000) return `${sign}${abs}ms`;
  const h = Math.floor(abs / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const msLeft = abs % 60_000;
  const secs = `${Math.floor(msLeft / 1000)}${msLeft % 1000 ? `.${String(msLeft % 1000).padStart(3, '0').replace(/0+$/, '')}` : ''}s`;
  if (h > 0) return `${sign}${h}h${m}m${secs}`;
  if (m > 0) return `${sign}${m}m${secs}`;
  return `${sign}${secs}`;
}
