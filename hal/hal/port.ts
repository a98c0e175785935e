// The I/O port bus of the emulated PC: which device answers a port, and what an unclaimed port does.
//
// The machine is a PC with an Intel 440FX host bridge and a PIIX3 ISA bridge (hal/hal/pci.ts), the CMOS/RTC
// (hal/hal/cmos.ts), the POST-code port 0x80 and the keyboard controller's status port 0x64. Nothing else decodes
// I/O cycles: as on a PC, a read of an unclaimed port floats to all ones and a write goes nowhere. Every access,
// from an in/out/ins/outs instruction or a READ_PORT_*/WRITE_PORT_* call, passes here and is one 'port' trace event.

import type { Kernel } from '../kernel.js';
import { hex } from '../machine.js';
import { CmosRtc } from './cmos.js';
import { PciConfigSpace } from './pci.js';

export type PortWidth = 1 | 2 | 4;

/** A device's port range: accesses of any width starting in [first, last] go to it. */
export interface PortDevice {
  readonly name: string;
  readonly first: number;
  readonly last: number;
  /** The value read, or undefined when the device does not decode this port and width (the bus floats). */
  read(port: number, width: PortWidth): number | undefined;
  /** False when the device does not decode this port and width (the write goes nowhere). */
  write(port: number, width: PortWidth, value: number): boolean;
}

/** Port 0x80: the POST-code (diagnostic) register; it keeps the last byte written, which reads return. */
class PostCode implements PortDevice {
  readonly name = 'POST code';
  readonly first = 0x80;
  readonly last = 0x80;
  value = 0;
  read(_port: number, width: PortWidth): number | undefined {
    return width === 1 ? this.value : undefined;
  }
  write(_port: number, width: PortWidth, value: number): boolean {
    if (width !== 1) return false;
    this.value = value & 0xff;
    return true;
  }
}

/**
 * Port 0x64 of the 8042 keyboard controller: status 0x1C (no output data, input buffer empty, command last
 * written, system flag, keyboard not inhibited). Commands written there are taken and have no effect a driver sees.
 */
class KeyboardStatus implements PortDevice {
  readonly name = '8042 keyboard controller';
  readonly first = 0x64;
  readonly last = 0x64;
  read(_port: number, width: PortWidth): number | undefined {
    return width === 1 ? 0x1c : undefined;
  }
  write(_port: number, width: PortWidth): boolean {
    return width === 1;
  }
}

export class PortBus {
  readonly pci = new PciConfigSpace();
  readonly cmos: CmosRtc;
  private readonly devices: PortDevice[];

  constructor(private readonly k: Kernel) {
    this.cmos = new CmosRtc(k);
    this.devices = [this.pci, this.cmos, new PostCode(), new KeyboardStatus()];
  }

  private device(port: number): PortDevice | undefined {
    return this.devices.find((d) => port >= d.first && port <= d.last);
  }

  /** An I/O read of `width` bytes at `port`; `at` names the code that made it (module+offset), for the trace. */
  read(port: number, width: PortWidth, at: string): number {
    port &= 0xffff;
    const v = this.device(port)?.read(port, width);
    const value = v === undefined ? allOnes(width) : (v & allOnes(width)) >>> 0;
    this.traced('in', port, width, value, at);
    return value;
  }

  write(port: number, width: PortWidth, value: number, at: string): void {
    port &= 0xffff;
    value = (value & allOnes(width)) >>> 0;
    this.device(port)?.write(port, width, value);
    this.traced('out', port, width, value, at);
  }

  private traced(direction: 'in' | 'out', port: number, width: PortWidth, value: number, at: string): void {
    if (this.k.trace.enabled) this.k.trace.emit({ type: 'port', direction, port: hex(port, 4), width: (width * 8) as 8 | 16 | 32, value: hex(value, width * 2), at });
  }
}

export function allOnes(width: PortWidth): number {
  return width === 1 ? 0xff : width === 2 ? 0xffff : 0xffffffff;
}

const buses = new WeakMap<Kernel, PortBus>();

/** The machine's port bus, created on first use. */
export function ports(k: Kernel): PortBus {
  let b = buses.get(k);
  if (!b) buses.set(k, (b = new PortBus(k)));
  return b;
}
