// Time conversions: system time (100 ns units since 1601-01-01, UTC) to and from calendar fields and Unix/1980
// seconds, and system time to and from local time.
//
// The emulated machine's time zone is UTC: bias 0, no daylight saving time, so local time equals system time
// (KUSER_SHARED_DATA's TimeZoneBias stays 0).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';

const TICKS_PER_SECOND = 10_000_000n;
const TICKS_PER_MS = 10_000n;
const SECONDS_PER_DAY = 86_400n;
/** UTC − local time in 100 ns units (local = system − bias): 0, the machine runs on UTC. */
export const TIME_ZONE_BIAS = 0n;

/** Days from 1601-01-01 to year-month-day (proleptic Gregorian). */
function daysFrom1601(year: number, month: number, day: number): number {
  // Counting years from March makes February the last month, so leap days fall at the end of a year.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const fromYear0 = era * 146097 + doe; // days since 0000-03-01
  return fromYear0 - DAYS_0000_03_01_TO_1601;
}

// 1601-01-01 counted from 0000-03-01 (1600 is a multiple of 400: 4 eras, then 306 days from March to January).
const DAYS_0000_03_01_TO_1601 = 4 * 146097 + 306;

/** The calendar date of a day number counted from 1601-01-01. */
function civil(days: number): { year: number; month: number; day: number } {
  const z = days + DAYS_0000_03_01_TO_1601;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** 1970-01-01 and 1980-01-01 as system times. */
export const TIME_1970 = BigInt(daysFrom1601(1970, 1, 1)) * SECONDS_PER_DAY * TICKS_PER_SECOND;
export const TIME_1980 = BigInt(daysFrom1601(1980, 1, 1)) * SECONDS_PER_DAY * TICKS_PER_SECOND;

interface TimeFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  milliseconds: number;
  weekday: number;
}

export function timeToFields(t: bigint): TimeFields {
  const totalSeconds = t / TICKS_PER_SECOND;
  const days = Number(totalSeconds / SECONDS_PER_DAY);
  const secondOfDay = Number(totalSeconds % SECONDS_PER_DAY);
  const { year, month, day } = civil(days);
  return {
    year, month, day,
    hour: Math.floor(secondOfDay / 3600),
    minute: Math.floor((secondOfDay % 3600) / 60),
    second: secondOfDay % 60,
    milliseconds: Number((t % TICKS_PER_SECOND) / TICKS_PER_MS),
    // 1601-01-01 was a Monday; Weekday 0 is Sunday.
    weekday: (days + 1) % 7,
  };
}

function writeFields(k: Kernel, p: bigint, f: Partial<TimeFields>): void {
  const o = k.L.TIME_FIELDS.off;
  const set = (off: number, v: number | undefined) => v !== undefined && k.m.setU16At(p, off, v);
  set(o.Year, f.year);
  set(o.Month, f.month);
  set(o.Day, f.day);
  set(o.Hour, f.hour);
  set(o.Minute, f.minute);
  set(o.Second, f.second);
  set(o.Milliseconds, f.milliseconds);
  set(o.Weekday, f.weekday);
}

/** The system time of calendar fields, or undefined when a field is out of range (Weekday is not looked at). */
export function fieldsToTime(f: Omit<TimeFields, 'weekday'>): bigint | undefined {
  if (f.milliseconds < 0 || f.milliseconds > 999 || f.second < 0 || f.second > 59 || f.minute < 0 || f.minute > 59) return undefined;
  if (f.hour < 0 || f.hour > 23 || f.month < 1 || f.month > 12 || f.year < 1601) return undefined;
  const monthDays = DAYS_IN_MONTH[f.month - 1] + (f.month === 2 && isLeap(f.year) ? 1 : 0);
  if (f.day < 1 || f.day > monthDays) return undefined;
  const seconds = BigInt(daysFrom1601(f.year, f.month, f.day)) * SECONDS_PER_DAY + BigInt(f.hour * 3600 + f.minute * 60 + f.second);
  const t = seconds * TICKS_PER_SECOND + BigInt(f.milliseconds) * TICKS_PER_MS;
  // Past the largest LARGE_INTEGER (year 30828 and later): not a time.
  return t > 0x7fffffffffffffffn ? undefined : t;
}

/** A LARGE_INTEGER time as Windows reads it: signed. */
function readTime(k: Kernel, p: bigint): bigint {
  return BigInt.asIntN(64, k.m.u64(p));
}

/** Seconds since an epoch, when the time is not before it and the count fits a ULONG. */
function secondsSince(k: Kernel, time: bigint, epoch: bigint, out: bigint): number {
  const t = readTime(k, time);
  if (t < epoch) return 0;
  const s = (t - epoch) / TICKS_PER_SECOND;
  if (s > 0xffffffffn) return 0;
  k.m.setU32(out, Number(s));
  return 1;
}

const rtl = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...rtl, name: 'RtlTimeToTimeFields', proto: 'VOID RtlTimeToTimeFields(PLARGE_INTEGER Time, PTIME_FIELDS TimeFields)',
    params: { Time: 'ptr', TimeFields: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      // A negative time has no calendar date; Windows reads the bits as an unsigned count.
      writeFields(k, a.TimeFields, timeToFields(k.m.u64(a.Time)));
    },
  }),
  defineExport({
    ...rtl, name: 'RtlTimeFieldsToTime', proto: 'BOOLEAN RtlTimeFieldsToTime(PTIME_FIELDS TimeFields, PLARGE_INTEGER Time)',
    params: { TimeFields: 'ptr', Time: 'ptr' }, ret: 'bool',
    impl: (k, a) => {
      const o = k.L.TIME_FIELDS.off;
      const s = (off: number) => (k.m.u16At(a.TimeFields, off) << 16) >> 16; // CSHORT
      const t = fieldsToTime({
        year: s(o.Year), month: s(o.Month), day: s(o.Day), hour: s(o.Hour),
        minute: s(o.Minute), second: s(o.Second), milliseconds: s(o.Milliseconds),
      });
      if (t === undefined) return 0;
      k.m.setU64(a.Time, t);
      return 1;
    },
  }),
  defineExport({
    ...rtl, name: 'RtlTimeToElapsedTimeFields', proto: 'VOID RtlTimeToElapsedTimeFields(PLARGE_INTEGER Time, PTIME_FIELDS TimeFields)',
    params: { Time: 'ptr', TimeFields: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      // An interval: days, hours, minutes, seconds and milliseconds; no months or years (0), Weekday not written.
      const t = k.m.u64(a.Time);
      const seconds = t / TICKS_PER_SECOND;
      const ofDay = Number(seconds % SECONDS_PER_DAY);
      writeFields(k, a.TimeFields, {
        year: 0, month: 0,
        day: Number((seconds / SECONDS_PER_DAY) & 0xffffn),
        hour: Math.floor(ofDay / 3600),
        minute: Math.floor((ofDay % 3600) / 60),
        second: ofDay % 60,
        milliseconds: Number((t % TICKS_PER_SECOND) / TICKS_PER_MS),
      });
    },
  }),
  defineExport({
    ...rtl, name: 'RtlTimeToSecondsSince1970', proto: 'BOOLEAN RtlTimeToSecondsSince1970(PLARGE_INTEGER Time, PULONG ElapsedSeconds)',
    params: { Time: 'ptr', ElapsedSeconds: 'ptr' }, ret: 'bool',
    impl: (k, a) => secondsSince(k, a.Time, TIME_1970, a.ElapsedSeconds),
  }),
  defineExport({
    ...rtl, name: 'RtlSecondsSince1970ToTime', proto: 'VOID RtlSecondsSince1970ToTime(ULONG ElapsedSeconds, PLARGE_INTEGER Time)',
    params: { ElapsedSeconds: 'u32', Time: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setU64(a.Time, TIME_1970 + BigInt(a.ElapsedSeconds) * TICKS_PER_SECOND),
  }),
  defineExport({
    ...rtl, name: 'RtlTimeToSecondsSince1980', proto: 'BOOLEAN RtlTimeToSecondsSince1980(PLARGE_INTEGER Time, PULONG ElapsedSeconds)',
    params: { Time: 'ptr', ElapsedSeconds: 'ptr' }, ret: 'bool',
    impl: (k, a) => secondsSince(k, a.Time, TIME_1980, a.ElapsedSeconds),
  }),
  defineExport({
    ...rtl, name: 'RtlSecondsSince1980ToTime', proto: 'VOID RtlSecondsSince1980ToTime(ULONG ElapsedSeconds, PLARGE_INTEGER Time)',
    params: { ElapsedSeconds: 'u32', Time: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setU64(a.Time, TIME_1980 + BigInt(a.ElapsedSeconds) * TICKS_PER_SECOND),
  }),
  defineExport({
    ...rtl, name: 'ExSystemTimeToLocalTime', proto: 'VOID ExSystemTimeToLocalTime(PLARGE_INTEGER SystemTime, PLARGE_INTEGER LocalTime)',
    params: { SystemTime: 'ptr', LocalTime: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setU64(a.LocalTime, BigInt.asUintN(64, readTime(k, a.SystemTime) - TIME_ZONE_BIAS)),
  }),
  defineExport({
    ...rtl, name: 'ExLocalTimeToSystemTime', proto: 'VOID ExLocalTimeToSystemTime(PLARGE_INTEGER LocalTime, PLARGE_INTEGER SystemTime)',
    params: { LocalTime: 'ptr', SystemTime: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setU64(a.SystemTime, BigInt.asUintN(64, readTime(k, a.LocalTime) + TIME_ZONE_BIAS)),
  }),
];
