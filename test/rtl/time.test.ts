// The calendar arithmetic behind RtlTimeToTimeFields / RtlTimeFieldsToTime, checked against JavaScript's UTC calendar.
import { describe, expect, it } from 'vitest';
import { TIME_1970, TIME_1980, fieldsToTime, timeToFields } from '../../hal/rtl/time.js';

const DAY = 864_000_000_000n; // 100 ns units

describe('system time and calendar fields', () => {
  it('place the Unix and 1980 epochs where Windows has them', () => {
    expect(TIME_1970).toBe(116444736000000000n);
    expect(TIME_1980).toBe(119600064000000000n);
  });

  it('agree with the proleptic Gregorian calendar, weekday included, and round-trip, from 1601 to past 2400', () => {
    for (let d = 0; d < 300_000; d += 13) {
      const t = BigInt(d) * DAY + 123_456_7890n;
      const f = timeToFields(t);
      const js = new Date(Date.UTC(1601, 0, 1) + d * 86_400_000);
      expect([f.year, f.month, f.day, f.weekday], `day ${d}`).toEqual([js.getUTCFullYear(), js.getUTCMonth() + 1, js.getUTCDate(), js.getUTCDay()]);
      expect([f.hour, f.minute, f.second, f.milliseconds]).toEqual([0, 2, 3, 456]);
      expect(fieldsToTime(f)).toBe(t - 7890n);
    }
  });

  it('refuse fields out of range: 29 February outside leap years, a 13th month, a year before 1601', () => {
    const base = { year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59, milliseconds: 999 };
    expect(fieldsToTime(base)).toBeDefined();
    expect(fieldsToTime({ ...base, year: 1900 })).toBeUndefined();
    expect(fieldsToTime({ ...base, year: 2000 })).toBeDefined();
    expect(fieldsToTime({ ...base, month: 13 })).toBeUndefined();
    expect(fieldsToTime({ ...base, year: 1600 })).toBeUndefined();
    expect(fieldsToTime({ ...base, hour: 24 })).toBeUndefined();
    expect(fieldsToTime({ ...base, milliseconds: 1000 })).toBeUndefined();
  });
});
