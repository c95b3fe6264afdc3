// CronJob schedules: standard cron syntax (five fields, or a descriptor such as @hourly) in
// an IANA time zone, as Kubernetes reads them with robfig/cron's ParseStandard. Parsing is
// cron-parser's (a maintained npm parser with time zone support); this file holds what
// Kubernetes adds on top (exactly five fields, no TZ= prefix, an explicit zone) so that
// validation and the CronJob controller read a schedule the same way.
import { CronExpressionParser, type CronExpression } from 'cron-parser';

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** Why `schedule` is no standard cron schedule (robfig/cron's messages where it has one), or []. */
export function scheduleErrors(schedule: string): string[] {
  const errs: string[] = [];
  const fields = schedule.trim().split(/\s+/).filter(Boolean);
  if (schedule.startsWith('@')) {
    // robfig/cron's "@every <duration>" is not standard cron, and cron-parser does not take it.
    if (!DESCRIPTORS.has(schedule.trim())) errs.push(`unrecognized descriptor: ${schedule}`);
  } else if (!/^(CRON_)?TZ=/.test(schedule) && fields.length !== 5) {
    errs.push(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  }
  if (errs.length === 0 && !/^(CRON_)?TZ=/.test(schedule)) {
    try {
      CronExpressionParser.parse(schedule, { tz: 'UTC' });
    } catch (e) {
      errs.push((e as Error).message);
    }
  }
  if (schedule.includes('TZ')) errs.push('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  return errs;
}

/** Whether `zone` is a time zone the runtime knows (IANA names: "Europe/Paris", "Etc/UTC", "UTC"). */
function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** validateTimeZone: a non-empty IANA zone, never "Local" (Go's time.LoadLocation's message for an unknown one). */
export function timeZoneErrors(zone: string): string[] {
  if (zone === '') return ['timeZone must be nil or non-empty string'];
  if (zone.toLowerCase() === 'local') return ['timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'];
  const partsOk = zone.split('/').every((p) => p !== '.' && p !== '..' && !p.startsWith('-') && /^[A-Za-z.\-_0-9+]{1,14}$/.test(p));
  if (!partsOk || !knownZone(zone)) return [`unknown time zone ${zone}`];
  return [];
}

/** The schedule as an iterator of run times after `from`, in `timeZone` (UTC when unset). Throws on a bad schedule. */
export function parseSchedule(schedule: string, timeZone: string | undefined, from: Date): CronExpression {
  return CronExpressionParser.parse(schedule, { tz: timeZone ?? 'UTC', currentDate: from });
}
