// The CMOS RAM and real-time clock (an MC146818-compatible part) at ports 0x70 (index, write-only; bit 7 masks
// NMI) and 0x71 (data).
//
// The clock is the machine's virtual system time (hal/ke/clock.ts), so a driver reading it sees the time
// KeQuerySystemTime gives. Windows keeps the RTC in local time; this machine's time zone bias is zero, so that is
// UTC. Register B's data mode (BCD or binary) and hour format (24 or 12 hours) apply to reads and writes as on the
// chip. Setting a time or date register moves the clock by the difference, from then on. The other bytes are RAM,
// starting with the contents a PC firmware leaves there for this machine's memory.

import type { Kernel } from '../kernel.js';
import { systemTime } from '../ke/clock.js';
import type { PortDevice, PortWidth } from './port.js';

/** FILETIME of 1970-01-01, in 100 ns units since 1601. */
const UNIX_EPOCH_FILETIME = 116444736000000000n;

export const RTC_SECONDS = 0x00;
export const RTC_MINUTES = 0x02;
export const RTC_HOURS = 0x04;
export const RTC_DAY_OF_WEEK = 0x06;
export const RTC_DAY_OF_MONTH = 0x07;
export const RTC_MONTH = 0x08;
export const RTC_YEAR = 0x09;
export const RTC_REGISTER_A = 0x0a;
export const RTC_REGISTER_B = 0x0b;
export const RTC_REGISTER_C = 0x0c;
export const RTC_REGISTER_D = 0x0d;
export const RTC_CENTURY = 0x32;

const B_DM_BINARY = 0x04;
const B_24_HOUR = 0x02;

interface Fields {
  second: number;
  minute: number;
  hour: number;
  dayOfWeek: number; // 1 = Sunday
  day: number;
  month: number;
  year: number; // four digits
}

export class CmosRtc implements PortDevice {
  readonly name = 'CMOS/RTC';
  readonly first = 0x70;
  readonly last = 0x71;
  readonly ram = new Uint8Array(128);
  index = 0;
  nmiMasked = false;
  /** Seconds the clock was moved by register writes. */
  private offset = 0n;
  /** Days the day-of-week counter was moved by writes (the chip counts it independently of the date). */
  private weekdayOffset = 0;

  constructor(private readonly k: Kernel) {
    const r = this.ram;
    r[RTC_REGISTER_A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
    r[RTC_REGISTER_B] = B_24_HOUR; // BCD, 24-hour, no interrupts, no daylight saving
    r[0x10] = 0x40; // diskette drive A: 1.44 MB
    r[0x14] = 0x03; // equipment: diskette drive, math coprocessor, VGA
    r[0x15] = 0x80; r[0x16] = 0x02; // base memory: 640 KiB
    r[0x17] = 0x00; r[0x18] = 0xfc; // extended memory (KiB above 1 MiB, saturated)
    r[0x30] = 0x00; r[0x31] = 0xfc;
    r[0x34] = 0x00; r[0x35] = 0xbf; // memory from 16 MiB to 3 GiB, in 64 KiB units
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += r[i];
    r[0x2e] = (sum >> 8) & 0xff; // checksum of 0x10..0x2D, big-endian
    r[0x2f] = sum & 0xff;
  }

  /** Seconds since 1970 on the clock now. */
  private seconds(): bigint {
    return (systemTime(this.k) - UNIX_EPOCH_FILETIME) / 10_000_000n + this.offset;
  }

  private fields(): Fields {
    const s = this.seconds();
    const d = new Date(Number(s) * 1000);
    const days = Number(s >= 0n ? s / 86400n : (s - 86399n) / 86400n);
    return {
      second: d.getUTCSeconds(),
      minute: d.getUTCMinutes(),
      hour: d.getUTCHours(),
      dayOfWeek: ((((days + 4 + this.weekdayOffset) % 7) + 7) % 7) + 1, // 1970-01-01 was a Thursday (5)
      day: d.getUTCDate(),
      month: d.getUTCMonth() + 1,
      year: d.getUTCFullYear(),
    };
  }

  private get binary(): boolean {
    return (this.ram[RTC_REGISTER_B] & B_DM_BINARY) !== 0;
  }

  private encode(v: number): number {
    return this.binary ? v : ((Math.floor(v / 10) % 10) << 4) | (v % 10);
  }

  private decode(v: number): number {
    return this.binary ? v : (v >> 4) * 10 + (v & 0xf);
  }

  /** The byte register `index` reads as. */
  register(index: number): number {
    index &= 0x7f;
    const f = (): Fields => this.fields();
    switch (index) {
      case RTC_SECONDS: return this.encode(f().second);
      case RTC_MINUTES: return this.encode(f().minute);
      case RTC_HOURS: {
        const h = f().hour;
        if (this.ram[RTC_REGISTER_B] & B_24_HOUR) return this.encode(h);
        return this.encode(h % 12 === 0 ? 12 : h % 12) | (h >= 12 ? 0x80 : 0);
      }
      case RTC_DAY_OF_WEEK: return this.encode(f().dayOfWeek);
      case RTC_DAY_OF_MONTH: return this.encode(f().day);
      case RTC_MONTH: return this.encode(f().month);
      case RTC_YEAR: return this.encode(f().year % 100);
      case RTC_CENTURY: return this.encode(Math.floor(f().year / 100));
      case RTC_REGISTER_A: return this.ram[index] & 0x7f; // UIP: never in an update cycle when read
      case RTC_REGISTER_C: return 0; // no interrupt flags: the RTC raises no interrupts on this machine
      case RTC_REGISTER_D: return 0x80; // VRT: the RAM and time are valid
      default: return this.ram[index];
    }
  }

  /** Writes register `index`: a time or date register moves the clock; C and D are read-only. */
  setRegister(index: number, value: number): void {
    index &= 0x7f;
    value &= 0xff;
    const timeField: Partial<Record<number, keyof Fields>> = {
      [RTC_SECONDS]: 'second', [RTC_MINUTES]: 'minute', [RTC_HOURS]: 'hour', [RTC_DAY_OF_MONTH]: 'day',
      [RTC_MONTH]: 'month', [RTC_YEAR]: 'year', [RTC_CENTURY]: 'year',
    };
    const field = timeField[index];
    if (field) {
      const f = this.fields();
      let v = this.decode(index === RTC_HOURS ? value & 0x7f : value);
      if (index === RTC_HOURS && !(this.ram[RTC_REGISTER_B] & B_24_HOUR)) v = (v % 12) + (value & 0x80 ? 12 : 0);
      if (index === RTC_YEAR) v = Math.floor(f.year / 100) * 100 + (v % 100);
      if (index === RTC_CENTURY) v = v * 100 + (f.year % 100);
      const next = { ...f, [field]: v };
      const want = BigInt(Math.floor(Date.UTC(next.year, next.month - 1, next.day, next.hour, next.minute, next.second) / 1000));
      this.offset += want - this.seconds();
      return;
    }
    if (index === RTC_DAY_OF_WEEK) {
      this.weekdayOffset = (this.weekdayOffset + (this.decode(value) - this.fields().dayOfWeek) + 7) % 7;
      return;
    }
    if (index === RTC_REGISTER_C || index === RTC_REGISTER_D) return;
    this.ram[index] = index === RTC_REGISTER_A ? value & 0x7f : value;
  }

  read(port: number, width: PortWidth): number | undefined {
    // 0x70 is write-only: reads float. Wider accesses are split into byte cycles by the ISA bridge.
    let v = 0;
    for (let i = 0; i < width; i++) {
      const p = port + i;
      const b = p === 0x71 ? this.register(this.index) : 0xff;
      v |= b << (8 * i);
    }
    return v >>> 0;
  }

  write(port: number, width: PortWidth, value: number): boolean {
    for (let i = 0; i < width; i++) {
      const p = port + i;
      const b = (value >>> (8 * i)) & 0xff;
      if (p === 0x70) {
        this.index = b & 0x7f;
        this.nmiMasked = (b & 0x80) !== 0;
      } else if (p === 0x71) {
        this.setRegister(this.index, b);
      }
    }
    return true;
  }
}
