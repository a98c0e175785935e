// Time conversions as a driver observes them: calendar fields, Unix and 1980 seconds, intervals, local time (UTC).
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  let cached: ReturnType<typeof run> | undefined;
  const result = () => (cached ??= run(buildDriver('rtltime', arch)));
  const lines = () => {
    const { report } = result();
    expect(report.outcome).toBe('completed');
    return report.dbgPrint;
  };

  it('RtlTimeToTimeFields gives the UTC calendar date, time and weekday (0 is Sunday), leap days included', () => {
    expect(lines().slice(0, 4)).toEqual([
      // 6789999 ticks: 678 ms, the rest truncated.
      'RtlTimeToTimeFields: 2024-01-02 13:14:15.678 weekday 2\n',
      'RtlTimeToTimeFields 0: 1601-01-01 00:00:00.000 weekday 1\n',
      'RtlTimeToTimeFields 2024+59d: 2024-02-29 12:00:00.000 weekday 4\n',
      'RtlTimeToTimeFields 2024+60d: 2024-03-01 12:00:00.000 weekday 5\n',
    ]);
  });

  it('RtlTimeFieldsToTime converts valid fields and returns FALSE, leaving the time alone, for impossible ones', () => {
    expect(lines().slice(4, 13)).toEqual([
      'RtlTimeFieldsToTime 2024-01-02 13:14:15.678: 1 133486748556780000\n',
      'RtlTimeFieldsToTime 2024-02-29: 1 133536384000000000\n',
      'RtlTimeFieldsToTime 2023-02-29: 0 -1\n',
      // 1900 is not a leap year (divisible by 100, not by 400).
      'RtlTimeFieldsToTime 1900-02-29: 0 -1\n',
      'RtlTimeFieldsToTime month 13: 0 -1\n',
      'RtlTimeFieldsToTime hour 24: 0 -1\n',
      'RtlTimeFieldsToTime ms 1000: 0 -1\n',
      'RtlTimeFieldsToTime 1600-12-31: 0 -1\n',
      'RtlTimeFieldsToTime 1601-01-01: 1 0\n',
    ]);
  });

  it('the seconds-since-1970 and -1980 routines refuse times before the epoch or past a ULONG of seconds', () => {
    expect(lines().slice(13, 21)).toEqual([
      'RtlTimeToSecondsSince1970 2024: 1 1704067200\n',
      'RtlTimeToSecondsSince1970 1969: 0 dead\n',
      'RtlTimeToSecondsSince1970 2106: 0 dead\n',
      'RtlTimeToSecondsSince1970 2106-1s: 1 ffffffff\n',
      'RtlSecondsSince1970ToTime 1704067200: 133485408000000000\n',
      'RtlTimeToSecondsSince1980 2024: 1 1388534400\n',
      'RtlTimeToSecondsSince1980 1979: 0 dead\n',
      'RtlSecondsSince1980ToTime 1388534400: 133485408000000000\n',
    ]);
  });

  it('RtlTimeToElapsedTimeFields splits an interval into days and time of day; local time is UTC; the clock reads the boot day', () => {
    expect(lines().slice(21)).toEqual([
      'RtlTimeToElapsedTimeFields: year 0 month 0 day 3 4:05:06.789\n',
      'ExSystemTimeToLocalTime: 0\n',
      'ExLocalTimeToSystemTime: 0\n',
      'now: 2024-01-01\n',
    ]);
  });

  it('every result comes from the kernel exports', () => {
    const called = new Set(events(result().trace, 'call').map((e) => e.export.replace(/^ntoskrnl\.exe!/, '')));
    for (const name of ['RtlTimeToTimeFields', 'RtlTimeFieldsToTime', 'RtlTimeToSecondsSince1970', 'RtlSecondsSince1970ToTime', 'RtlTimeToSecondsSince1980',
      'RtlSecondsSince1980ToTime', 'RtlTimeToElapsedTimeFields', 'ExSystemTimeToLocalTime', 'ExLocalTimeToSystemTime']) {
      expect(called, name).toContain(name);
    }
  });
});
