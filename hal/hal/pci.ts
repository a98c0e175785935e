// PCI configuration space through configuration mechanism #1: the address register at 0xCF8 (dword accesses only)
// and the data window at 0xCFC..0xCFF.
//
// Bus 0 holds two functions, as on the classic PC platform: the Intel 82441FX (440FX) host bridge at 00:00.0 and
// the Intel 82371SB (PIIX3) PCI-to-ISA bridge at 00:01.0, with their datasheets' reset values. Nothing else
// answers: a configuration read of any other bus, device or function returns all ones, the master abort value a
// driver probing for devices expects.

import type { PortDevice, PortWidth } from './port.js';

/** One function's 256 bytes of configuration space and which of their bits software may change. */
class PciFunction {
  readonly config = new Uint8Array(256);
  readonly writable = new Uint8Array(256);

  constructor(
    readonly name: string,
    header: { vendor: number; device: number; command: number; status: number; revision: number; classCode: number; headerType: number },
    deviceSpecific: Record<number, number>,
  ) {
    const c = this.config;
    const dv = new DataView(c.buffer);
    dv.setUint16(0x00, header.vendor, true);
    dv.setUint16(0x02, header.device, true);
    dv.setUint16(0x04, header.command, true);
    dv.setUint16(0x06, header.status, true);
    c[0x08] = header.revision;
    c[0x09] = header.classCode & 0xff; // programming interface
    c[0x0a] = (header.classCode >> 8) & 0xff; // sub-class
    c[0x0b] = (header.classCode >> 16) & 0xff; // base class
    c[0x0e] = header.headerType;
    for (const [o, v] of Object.entries(deviceSpecific)) c[Number(o)] = v;
    // Command: I/O space, memory space, bus master, parity error response, SERR#. Latency timer (upper five bits).
    // The interrupt line is a scratch register for the firmware. The device-specific registers (0x40..0xFF).
    this.writable[0x04] = 0x47;
    this.writable[0x05] = 0x01;
    this.writable[0x0d] = 0xf8;
    this.writable[0x3c] = 0xff;
    this.writable.fill(0xff, 0x40);
  }

  readByte(offset: number): number {
    return this.config[offset];
  }

  writeByte(offset: number, value: number): void {
    const m = this.writable[offset];
    this.config[offset] = (this.config[offset] & ~m) | (value & m);
  }
}

/** PCI_SLOT_NUMBER's fields packed as configuration mechanism #1 addresses them: bus, device, function. */
function key(bus: number, device: number, fn: number): number {
  return (bus << 8) | (device << 3) | fn;
}

export class PciConfigSpace implements PortDevice {
  readonly name = 'PCI configuration mechanism #1';
  readonly first = 0xcf8;
  readonly last = 0xcff;
  /** CONFIG_ADDRESS as last written (reserved bits 30:24 and 1:0 read as zero). */
  address = 0;
  readonly functions = new Map<number, PciFunction>([
    [
      key(0, 0, 0),
      new PciFunction('Intel 82441FX host bridge', { vendor: 0x8086, device: 0x1237, command: 0x0006, status: 0x0280, revision: 0x02, classCode: 0x060000, headerType: 0x00 }, {
        0x50: 0x00, // PMCCFG
        0x51: 0x01, // DETURBO
        0x57: 0x01, // DRAMC
        0x58: 0x10, // DRAMT
        0x72: 0x02, // SMRAM: compatible SMRAM at 0xA0000
      }),
    ],
    [
      key(0, 1, 0),
      // Header type 0 rather than the chip's multi-function 0x80: its IDE and USB functions are not part of this machine.
      new PciFunction('Intel 82371SB PIIX3 PCI-to-ISA bridge', { vendor: 0x8086, device: 0x7000, command: 0x0007, status: 0x0200, revision: 0x00, classCode: 0x060100, headerType: 0x00 }, {
        0x4c: 0x4d, // IORT: ISA I/O recovery timer
        0x4e: 0x03, // XBCS: BIOS and keyboard controller decode
        0x60: 0x80, 0x61: 0x80, 0x62: 0x80, 0x63: 0x80, // PIRQRC[A:D]: routing disabled
        0x69: 0x02, // TOM: top of memory
        0x70: 0x80, 0x71: 0x80, // MBIRQ0, MBIRQ1: disabled
        0x76: 0x0c, 0x77: 0x0c, // MBDMA0, MBDMA1
        0xa0: 0x08, // SMICNTL
      }),
    ],
  ]);

  /** The function at bus/device/function, if the machine has one. */
  function_(bus: number, device: number, fn: number): PciFunction | undefined {
    return this.functions.get(key(bus, device, fn));
  }

  private selected(): { f: PciFunction | undefined; register: number } | undefined {
    if (!(this.address & 0x80000000)) return undefined; // configuration cycles disabled: the window decodes nothing
    const a = this.address;
    return { f: this.function_((a >>> 16) & 0xff, (a >>> 11) & 0x1f, (a >>> 8) & 7), register: a & 0xfc };
  }

  read(port: number, width: PortWidth): number | undefined {
    if (port === 0xcf8) return width === 4 ? this.address : undefined;
    if (port < 0xcfc) return undefined;
    const s = this.selected();
    if (!s) return undefined;
    let v = 0;
    for (let i = 0; i < width; i++) {
      const o = s.register + (port - 0xcfc) + i;
      // No function there (master abort), or past the window's last port: all ones.
      const b = s.f && port + i <= 0xcff ? s.f.readByte(o) : 0xff;
      v |= b << (8 * i);
    }
    return v >>> 0;
  }

  write(port: number, width: PortWidth, value: number): boolean {
    if (port === 0xcf8) {
      if (width !== 4) return false;
      this.address = (value & 0x80fffffc) >>> 0;
      return true;
    }
    if (port < 0xcfc) return false;
    const s = this.selected();
    if (!s) return false;
    for (let i = 0; i < width && port + i <= 0xcff; i++) s.f?.writeByte(s.register + (port - 0xcfc) + i, (value >>> (8 * i)) & 0xff);
    return true;
  }
}
