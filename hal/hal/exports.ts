// hal.dll's port and bus exports, and ntoskrnl's memory-mapped register accessors.
//
// READ_PORT_* / WRITE_PORT_* are functions of the x86 HAL (x64 drivers inline in/out instead); READ_REGISTER_* /
// WRITE_REGISTER_* are ntoskrnl functions on x86 and inlines on x64. The bus-data routines reach PCI configuration
// space and the CMOS through their ports, as the HAL does, so each access is a 'port' trace event at the caller.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { ports, type PortWidth } from './port.js';

/** BUS_DATA_TYPE. */
const Cmos = 0;
const PCIConfiguration = 4;
/** PCI_COMMON_CONFIG's size: the whole configuration space of a function. */
const PCI_CONFIG_SIZE = 256;
const PCI_INVALID_VENDORID = 0xffff;

function caller(k: Kernel): string {
  return k.symbolize(k.callerAddress());
}

/**
 * The accesses covering [offset, offset+length): naturally aligned dwords, words and bytes, never touching a byte
 * outside the range (HalGetBusDataByOffset's promise for the device-specific area).
 */
function accesses(offset: number, length: number): [number, PortWidth][] {
  const out: [number, PortWidth][] = [];
  for (let o = offset; o < offset + length; ) {
    const left = offset + length - o;
    const w: PortWidth = o % 4 === 0 && left >= 4 ? 4 : o % 2 === 0 && left >= 2 ? 2 : 1;
    out.push([o, w]);
    o += w;
  }
  return out;
}

/** CONFIG_ADDRESS for a register of a function: enable, bus, device, function, dword-aligned register. */
function configAddress(bus: number, slot: number, register: number): number {
  const device = slot & 0x1f;
  const fn = (slot >> 5) & 7;
  return (0x80000000 | (bus << 16) | (device << 11) | (fn << 8) | (register & 0xfc)) >>> 0;
}

function pciRead(k: Kernel, bus: number, slot: number, offset: number, length: number): Uint8Array {
  const p = ports(k);
  const at = caller(k);
  const out = new Uint8Array(length);
  for (const [o, w] of accesses(offset, length)) {
    p.write(0xcf8, 4, configAddress(bus, slot, o), at);
    const v = p.read(0xcfc + (o & 3), w, at);
    for (let i = 0; i < w; i++) out[o - offset + i] = (v >>> (8 * i)) & 0xff;
  }
  return out;
}

function pciWrite(k: Kernel, bus: number, slot: number, offset: number, data: Uint8Array): void {
  const p = ports(k);
  const at = caller(k);
  for (const [o, w] of accesses(offset, data.length)) {
    let v = 0;
    for (let i = w - 1; i >= 0; i--) v = v * 256 + data[o - offset + i];
    p.write(0xcf8, 4, configAddress(bus, slot, o), at);
    p.write(0xcfc + (o & 3), w, v, at);
  }
}

/** Whether (segment << 8 | bus) names a PCI bus of this machine: segment 0, bus 0. */
function pciBusExists(busNumber: number): boolean {
  return busNumber === 0;
}

/**
 * HalGetBusDataByOffset for PCIConfiguration: 0 for a bus that does not exist; for an empty slot only the part of
 * the VendorID (PCI_INVALID_VENDORID) the request covers (2 bytes from offset 0); else the bytes of the range that
 * lie in the 256 bytes of configuration space.
 */
function getPciData(k: Kernel, busNumber: number, slot: number, buffer: bigint, offset: number, length: number): number {
  if (!pciBusExists(busNumber) || length === 0 || offset >= PCI_CONFIG_SIZE) return 0;
  const vendor = pciRead(k, busNumber, slot, 0, 2);
  if ((vendor[0] | (vendor[1] << 8)) === PCI_INVALID_VENDORID) {
    if (offset >= 2) return 0;
    const n = Math.min(2 - offset, length);
    k.m.write(buffer, vendor.subarray(offset, offset + n));
    return n;
  }
  const n = Math.min(length, PCI_CONFIG_SIZE - offset);
  k.m.write(buffer, pciRead(k, busNumber, slot, offset, n));
  return n;
}

/** HalSetBusDataByOffset for PCIConfiguration: nothing for a missing bus or device; else the bytes written. */
function setPciData(k: Kernel, busNumber: number, slot: number, buffer: bigint, offset: number, length: number): number {
  if (!pciBusExists(busNumber) || length === 0 || offset >= PCI_CONFIG_SIZE) return 0;
  const vendor = pciRead(k, busNumber, slot, 0, 2);
  if ((vendor[0] | (vendor[1] << 8)) === PCI_INVALID_VENDORID) return 0;
  const n = Math.min(length, PCI_CONFIG_SIZE - offset);
  pciWrite(k, busNumber, slot, offset, k.m.read(buffer, n));
  return n;
}

/**
 * The CMOS through its index and data ports: bus 0 is the standard CMOS (0x70/0x71, registers 0..0xFF), bus 1 the
 * extended CMOS (0x74..0x76, registers 0..0xFFFF; this machine has none there, so it reads all ones).
 */
function cmosData(k: Kernel, busNumber: number, register: number, buffer: bigint, length: number, write: boolean): number {
  if (busNumber > 1) return 0;
  const p = ports(k);
  const at = caller(k);
  const end = busNumber === 0 ? 0x100 : 0x10000;
  let n = 0;
  for (let r = register; r < end && n < length; r++, n++) {
    if (busNumber === 0) p.write(0x70, 1, r, at);
    else {
      p.write(0x74, 1, r & 0xff, at);
      p.write(0x75, 1, r >> 8, at);
    }
    const data = busNumber === 0 ? 0x71 : 0x76;
    if (write) p.write(data, 1, k.m.u8(buffer + BigInt(n)), at);
    else k.m.setU8(buffer + BigInt(n), p.read(data, 1, at));
  }
  return n;
}

function getBusData(k: Kernel, type: number, bus: number, slot: number, buffer: bigint, offset: number, length: number): number {
  if (type === PCIConfiguration) return getPciData(k, bus, slot, buffer, offset, length);
  // The CMOS is read from register SlotNumber on; an offset into it is not something the HAL takes.
  if (type === Cmos) return offset === 0 ? cmosData(k, bus, slot, buffer, length, false) : 0;
  return 0; // no bus of that type on this machine (EISA, MCA, PCMCIA ... are not PC buses any more)
}

function setBusData(k: Kernel, type: number, bus: number, slot: number, buffer: bigint, offset: number, length: number): number {
  if (type === PCIConfiguration) return setPciData(k, bus, slot, buffer, offset, length);
  if (type === Cmos) return offset === 0 ? cmosData(k, bus, slot, buffer, length, true) : 0;
  return 0;
}

const hal = { module: 'hal.dll', cc: 'stdcall' } as const;
const halX86 = { ...hal, arch: 'x86' } as const;
const ntX86 = { module: 'ntoskrnl.exe', cc: 'stdcall', arch: 'x86' } as const;

/** READ_PORT_UCHAR/USHORT/ULONG: one in of the width. */
function readPort(name: string, type: string, width: PortWidth) {
  return defineExport({
    ...halX86, name, proto: `${type} ${name}(P${type} Port)`,
    params: { Port: 'ptr' }, ret: width === 1 ? 'u8' : width === 2 ? 'u16' : 'u32',
    impl: (k, a) => ports(k).read(Number(a.Port & 0xffffn), width, caller(k)),
  });
}

function writePort(name: string, type: string, width: PortWidth) {
  return defineExport({
    ...halX86, name, proto: `VOID ${name}(P${type} Port, ${type} Value)`,
    params: { Port: 'ptr', Value: 'u32' }, ret: 'void',
    impl: (k, a) => ports(k).write(Number(a.Port & 0xffffn), width, a.Value, caller(k)),
  });
}

/** READ_PORT_BUFFER_*: Count ins from the one port into consecutive elements of Buffer (rep ins). */
function readPortBuffer(name: string, type: string, width: PortWidth) {
  return defineExport({
    ...halX86, name, proto: `VOID ${name}(P${type} Port, P${type} Buffer, ULONG Count)`,
    params: { Port: 'ptr', Buffer: 'ptr', Count: 'u32' }, ret: 'void',
    impl: (k, a) => {
      const p = ports(k);
      const at = caller(k);
      const port = Number(a.Port & 0xffffn);
      for (let i = 0; i < a.Count; i++) {
        const v = p.read(port, width, at);
        const b = new Uint8Array(width);
        for (let j = 0; j < width; j++) b[j] = (v >>> (8 * j)) & 0xff;
        k.m.write(a.Buffer + BigInt(i * width), b);
      }
    },
  });
}

function writePortBuffer(name: string, type: string, width: PortWidth) {
  return defineExport({
    ...halX86, name, proto: `VOID ${name}(P${type} Port, P${type} Buffer, ULONG Count)`,
    params: { Port: 'ptr', Buffer: 'ptr', Count: 'u32' }, ret: 'void',
    impl: (k, a) => {
      const p = ports(k);
      const at = caller(k);
      const port = Number(a.Port & 0xffffn);
      for (let i = 0; i < a.Count; i++) {
        const b = k.m.read(a.Buffer + BigInt(i * width), width);
        let v = 0;
        for (let j = width - 1; j >= 0; j--) v = v * 256 + b[j];
        p.write(port, width, v, at);
      }
    },
  });
}

/** READ_REGISTER_*: a read of device memory (a mapped register), which the processor makes uncached and in order. */
function readRegister(name: string, type: string, width: 1 | 2 | 4) {
  return defineExport({
    ...ntX86, name, proto: `${type} ${name}(volatile ${type} *Register)`,
    params: { Register: 'ptr' }, ret: width === 1 ? 'u8' : width === 2 ? 'u16' : 'u32',
    impl: (k, a) => (width === 1 ? k.m.u8(a.Register) : width === 2 ? k.m.u16(a.Register) : k.m.u32(a.Register)),
  });
}

function writeRegister(name: string, type: string, width: 1 | 2 | 4) {
  return defineExport({
    ...ntX86, name, proto: `VOID ${name}(volatile ${type} *Register, ${type} Value)`,
    params: { Register: 'ptr', Value: 'u32' }, ret: 'void',
    impl: (k, a) => (width === 1 ? k.m.setU8(a.Register, a.Value & 0xff) : width === 2 ? k.m.setU16(a.Register, a.Value & 0xffff) : k.m.setU32(a.Register, a.Value >>> 0)),
  });
}

/** READ_REGISTER_BUFFER_* / WRITE_REGISTER_BUFFER_*: Count elements between the registers and the buffer (movs). */
function registerBuffer(name: string, type: string, width: 1 | 2 | 4, read: boolean) {
  return defineExport({
    ...ntX86, name, proto: `VOID ${name}(P${type} Register, P${type} Buffer, ULONG Count)`,
    params: { Register: 'ptr', Buffer: 'ptr', Count: 'u32' }, ret: 'void',
    impl: (k, a) => {
      const n = a.Count * width;
      if (n === 0) return;
      if (read) k.m.write(a.Buffer, k.m.read(a.Register, n));
      else k.m.write(a.Register, k.m.read(a.Buffer, n));
    },
  });
}

export const exports = [
  readPort('READ_PORT_UCHAR', 'UCHAR', 1),
  readPort('READ_PORT_USHORT', 'USHORT', 2),
  readPort('READ_PORT_ULONG', 'ULONG', 4),
  writePort('WRITE_PORT_UCHAR', 'UCHAR', 1),
  writePort('WRITE_PORT_USHORT', 'USHORT', 2),
  writePort('WRITE_PORT_ULONG', 'ULONG', 4),
  readPortBuffer('READ_PORT_BUFFER_UCHAR', 'UCHAR', 1),
  readPortBuffer('READ_PORT_BUFFER_USHORT', 'USHORT', 2),
  readPortBuffer('READ_PORT_BUFFER_ULONG', 'ULONG', 4),
  writePortBuffer('WRITE_PORT_BUFFER_UCHAR', 'UCHAR', 1),
  writePortBuffer('WRITE_PORT_BUFFER_USHORT', 'USHORT', 2),
  writePortBuffer('WRITE_PORT_BUFFER_ULONG', 'ULONG', 4),
  readRegister('READ_REGISTER_UCHAR', 'UCHAR', 1),
  readRegister('READ_REGISTER_USHORT', 'USHORT', 2),
  readRegister('READ_REGISTER_ULONG', 'ULONG', 4),
  writeRegister('WRITE_REGISTER_UCHAR', 'UCHAR', 1),
  writeRegister('WRITE_REGISTER_USHORT', 'USHORT', 2),
  writeRegister('WRITE_REGISTER_ULONG', 'ULONG', 4),
  registerBuffer('READ_REGISTER_BUFFER_UCHAR', 'UCHAR', 1, true),
  registerBuffer('READ_REGISTER_BUFFER_USHORT', 'USHORT', 2, true),
  registerBuffer('READ_REGISTER_BUFFER_ULONG', 'ULONG', 4, true),
  registerBuffer('WRITE_REGISTER_BUFFER_UCHAR', 'UCHAR', 1, false),
  registerBuffer('WRITE_REGISTER_BUFFER_USHORT', 'USHORT', 2, false),
  registerBuffer('WRITE_REGISTER_BUFFER_ULONG', 'ULONG', 4, false),
  defineExport({
    ...hal, name: 'HalGetBusDataByOffset',
    proto: 'ULONG HalGetBusDataByOffset(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber, PVOID Buffer, ULONG Offset, ULONG Length)',
    params: { BusDataType: 'i32', BusNumber: 'u32', SlotNumber: 'u32', Buffer: 'ptr', Offset: 'u32', Length: 'u32' }, ret: 'u32',
    impl: (k, a) => getBusData(k, a.BusDataType, a.BusNumber, a.SlotNumber, a.Buffer, a.Offset, a.Length),
  }),
  defineExport({
    ...hal, name: 'HalGetBusData',
    proto: 'ULONG HalGetBusData(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber, PVOID Buffer, ULONG Length)',
    params: { BusDataType: 'i32', BusNumber: 'u32', SlotNumber: 'u32', Buffer: 'ptr', Length: 'u32' }, ret: 'u32',
    impl: (k, a) => getBusData(k, a.BusDataType, a.BusNumber, a.SlotNumber, a.Buffer, 0, a.Length),
  }),
  defineExport({
    ...hal, name: 'HalSetBusDataByOffset',
    proto: 'ULONG HalSetBusDataByOffset(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber, PVOID Buffer, ULONG Offset, ULONG Length)',
    params: { BusDataType: 'i32', BusNumber: 'u32', SlotNumber: 'u32', Buffer: 'ptr', Offset: 'u32', Length: 'u32' }, ret: 'u32',
    impl: (k, a) => setBusData(k, a.BusDataType, a.BusNumber, a.SlotNumber, a.Buffer, a.Offset, a.Length),
  }),
  defineExport({
    ...hal, name: 'HalSetBusData',
    proto: 'ULONG HalSetBusData(BUS_DATA_TYPE BusDataType, ULONG BusNumber, ULONG SlotNumber, PVOID Buffer, ULONG Length)',
    params: { BusDataType: 'i32', BusNumber: 'u32', SlotNumber: 'u32', Buffer: 'ptr', Length: 'u32' }, ret: 'u32',
    impl: (k, a) => setBusData(k, a.BusDataType, a.BusNumber, a.SlotNumber, a.Buffer, 0, a.Length),
  }),
  defineExport({
    ...hal, name: 'HalTranslateBusAddress',
    proto: 'BOOLEAN HalTranslateBusAddress(INTERFACE_TYPE InterfaceType, ULONG BusNumber, PHYSICAL_ADDRESS BusAddress, PULONG AddressSpace, PPHYSICAL_ADDRESS TranslatedAddress)',
    params: { InterfaceType: 'i32', BusNumber: 'u32', BusAddress: 'u64', AddressSpace: 'ptr', TranslatedAddress: 'ptr' }, ret: 'bool',
    // A PC's buses decode the processor's addresses unchanged: memory stays memory, I/O ports stay ports (so
    // *AddressSpace keeps its value).
    impl: (k, a) => {
      k.m.setU64(a.TranslatedAddress, a.BusAddress);
      return 1;
    },
  }),
];
