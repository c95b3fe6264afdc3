// Pieces every describe page shares, in kubectl's formats: RFC 1123 times, multi-line
// labels / annotations / taints, and the Events table at the bottom.
import type { Event } from '../../api/types/core.js';
import { age, type Clock } from '../printers/age.js';
import type { DescribeWriter } from './tabwriter.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Go's time.RFC1123Z in UTC ("Mon, 02 Jan 2006 15:04:05 +0000"), as kubectl prints times. */
export function rfc1123(ts: string | null | undefined): string {
  if (!ts) return '<unset>';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** "Labels:  a=b" then one "\tc=d" line per further label; "<none>" when there are none. */
export function multiline(w: DescribeWriter, level: number, title: string, entries: string[]): void {
  if (entries.length === 0) {
    w.line(level, `${title}:\t<none>`);
    return;
  }
  entries.forEach((e, i) => w.line(level, i === 0 ? `${title}:\t${e}` : `\t${e}`));
}

export function labelLines(labels: Record<string, string> | undefined): string[] {
  return Object.keys(labels ?? {})
    .sort()
    .map((k) => `${k}=${labels?.[k] ?? ''}`);
}

/** Annotations as "key: value", without the ones skiff shows elsewhere or that are noise. */
export function annotationLines(annotations: Record<string, string> | undefined, skip: string[] = []): string[] {
  return Object.keys(annotations ?? {})
    .filter((k) => k !== 'kubectl.kubernetes.io/last-applied-configuration' && !skip.includes(k))
    .sort()
    .map((k) => `${k}: ${annotations?.[k] ?? ''}`);
}

/** kubectl's event age: "5s", or "2m (x4 over 10m)" for a repeated event. */
function eventAge(ev: Event, clock?: Clock): string {
  const first = ev.firstTimestamp ?? ev.eventTime ?? undefined;
  const last = ev.lastTimestamp ?? first;
  const count = ev.count ?? 1;
  if (count > 1 && first) return `${age(last, clock)} (x${count} over ${age(first, clock)})`;
  return age(first ?? last, clock);
}

function eventTime(ev: Event): number {
  return Date.parse(ev.lastTimestamp ?? ev.firstTimestamp ?? ev.eventTime ?? '') || 0;
}

export function describeEvents(w: DescribeWriter, events: Event[] | undefined, clock?: Clock): void {
  if (events === undefined) return;
  if (events.length === 0) {
    w.line(0, 'Events:\t<none>');
    return;
  }
  w.line(0, 'Events:');
  w.line(1, 'Type\tReason\tAge\tFrom\tMessage');
  w.line(1, '----\t------\t----\t----\t-------');
  for (const ev of [...events].sort((a, b) => eventTime(a) - eventTime(b))) {
    const from = ev.source?.component || ev.reportingComponent || '';
    w.line(1, `${ev.type ?? ''}\t${ev.reason ?? ''}\t${eventAge(ev, clock)}\t${from}\t${(ev.message ?? '').trim()}`);
  }
}
