import { describe, expect, it } from 'vitest';
import { parseSchedule, scheduleErrors, timeZoneErrors } from './cron.js';

describe('CronJob schedules', () => {
  it.each(['*/1 * * * *', '0 3 * * *', '0 9 * * MON-FRI', '5 4 1 jan *', '@hourly', '@daily', '@yearly'])('accepts %s', (s) => {
    expect(scheduleErrors(s)).toEqual([]);
  });

  it.each([
    ['bad', 'expected exactly 5 fields, found 1: [bad]'],
    ['* * * * * *', 'expected exactly 5 fields, found 6'],
    ['61 * * * *', '61'],
    ['@every 5m', 'unrecognized descriptor: @every 5m'],
    ['CRON_TZ=UTC 0 * * * *', 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
  ])('refuses %s', (s, message) => {
    expect(scheduleErrors(s).join('; ')).toContain(message);
  });

  it('takes IANA zones and refuses Local, empty and unknown ones', () => {
    expect(timeZoneErrors('Europe/Paris')).toEqual([]);
    expect(timeZoneErrors('Etc/UTC')).toEqual([]);
    expect(timeZoneErrors('Local')).toEqual(['timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones']);
    expect(timeZoneErrors('')).toEqual(['timeZone must be nil or non-empty string']);
    expect(timeZoneErrors('Mars/Olympus')).toEqual(['unknown time zone Mars/Olympus']);
  });

  it('reads run times in the time zone, UTC by default', () => {
    const from = new Date('2026-03-01T00:00:00Z');
    expect(parseSchedule('0 9 * * *', 'Asia/Tokyo', from).next().toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(parseSchedule('0 9 * * *', undefined, from).next().toISOString()).toBe('2026-03-01T09:00:00.000Z');
    expect(parseSchedule('*/15 * * * *', undefined, from).next().toISOString()).toBe('2026-03-01T00:15:00.000Z');
  });
});
