// Driver paging: MmLockPagableDataSection and its handle forms, MmPageEntireDriver, MmResetDriverPaging, and the
// memory manager's questions about the system (MmQuerySystemSize, MmIsThisAnNtAsSystem, MmIsDriverVerifying ...).
//
// kdemu never pages anything out, so locking a section changes no memory: it keeps Windows' bookkeeping. As on
// Windows the handle is the address of the section's IMAGE_SECTION_HEADER in the loaded image, each handle carries a
// lock count, and an address outside every loaded image's sections, or an unlock with no lock, bugchecks
// MEMORY_MANAGEMENT. (MmLockPagableCodeSection is a macro for MmLockPagableDataSection in the DDK headers.)

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';

const MEMORY_MANAGEMENT = 0x1a;
const SECTION_HEADER_SIZE = 40;

/** MM_SYSTEMSIZE. */
const MmLargeSystem = 2;
/** NT_PRODUCT_TYPE: NtProductWinNt is a workstation. */
const NtProductWinNt = 1;

export interface ImageSection {
  /** The IMAGE_SECTION_HEADER's address: the handle. */
  header: bigint;
  name: string;
  start: bigint;
  end: bigint;
  imageBase: bigint;
}

/** The sections of the driver images loaded, read from their mapped headers. */
function sections(k: Kernel): ImageSection[] {
  const out: ImageSection[] = [];
  const m = k.m;
  // Each image once (IoCreateDriver's drivers share their creator's, or have none).
  for (const base of new Set(k.io.drivers.map((d) => d.image.base))) {
    const dos = m.tryRead(base, 0x40);
    if (!dos || dos[0] !== 0x4d || dos[1] !== 0x5a) continue;
    const nt = base + BigInt(m.u32(base + 0x3cn));
    const count = m.u16(nt + 6n);
    const optSize = m.u16(nt + 20n);
    let h = nt + 24n + BigInt(optSize);
    for (let i = 0; i < count; i++, h += BigInt(SECTION_HEADER_SIZE)) {
      const name = new TextDecoder('latin1').decode(m.read(h, 8)).replace(/\0.*$/s, '');
      const virtualSize = m.u32(h + 8n);
      const rva = m.u32(h + 12n);
      const raw = m.u32(h + 16n);
      const size = Math.max(virtualSize, raw);
      out.push({ header: h, name, start: base + BigInt(rva), end: base + BigInt(rva + size), imageBase: base });
    }
  }
  return out;
}

class PagingState {
  /** Section handle → lock count. */
  readonly locks = new Map<bigint, number>();
  /** Images MmPageEntireDriver made pageable as a whole (until MmResetDriverPaging). */
  readonly pagedWhole = new Set<bigint>();
}
const states = new WeakMap<Kernel, PagingState>();
function state(k: Kernel): PagingState {
  let s = states.get(k);
  if (!s) states.set(k, (s = new PagingState()));
  return s;
}

function bugcheck(k: Kernel, routine: string, why: string, params: bigint[]): never {
  throw new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())}: ${why}`, { bugcheck: { code: MEMORY_MANAGEMENT, params } });
}

function sectionByHandle(k: Kernel, routine: string, handle: bigint): ImageSection {
  const s = sections(k).find((x) => x.header === handle);
  if (!s) bugcheck(k, routine, `${hex(handle)} is no handle MmLockPagableDataSection returned (no loaded image's section header)`, [0x1010n, handle, 0n, 0n]);
  return s;
}

const mmx = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...mmx, name: 'MmLockPagableDataSection', proto: 'PVOID MmLockPagableDataSection(PVOID AddressWithinSection)',
    params: { AddressWithinSection: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const s = sections(k).find((x) => a.AddressWithinSection >= x.start && a.AddressWithinSection < x.end);
      // Windows searches the image's section table and bugchecks when no section holds the address.
      if (!s) bugcheck(k, 'MmLockPagableDataSection', `${hex(a.AddressWithinSection)} lies in no section of a loaded image`, [0x1234n, a.AddressWithinSection, 1n, 0n]);
      const st = state(k);
      st.locks.set(s.header, (st.locks.get(s.header) ?? 0) + 1);
      return s.header;
    },
  }),
  defineExport({
    ...mmx, name: 'MmLockPagableSectionByHandle', proto: 'VOID MmLockPagableSectionByHandle(PVOID ImageSectionHandle)',
    params: { ImageSectionHandle: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const s = sectionByHandle(k, 'MmLockPagableSectionByHandle', a.ImageSectionHandle);
      const st = state(k);
      st.locks.set(s.header, (st.locks.get(s.header) ?? 0) + 1);
    },
  }),
  defineExport({
    ...mmx, name: 'MmUnlockPagableImageSection', proto: 'VOID MmUnlockPagableImageSection(PVOID ImageSectionHandle)',
    params: { ImageSectionHandle: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const s = sectionByHandle(k, 'MmUnlockPagableImageSection', a.ImageSectionHandle);
      const st = state(k);
      const n = st.locks.get(s.header) ?? 0;
      // An unlock without a lock would take the section's lock count below its floor: Windows bugchecks.
      if (n === 0) bugcheck(k, 'MmUnlockPagableImageSection', `section ${s.name} (handle ${hex(s.header)}) is not locked`, [0x1010n, a.ImageSectionHandle, s.imageBase, 0n]);
      if (n === 1) st.locks.delete(s.header);
      else st.locks.set(s.header, n - 1);
    },
  }),
  defineExport({
    ...mmx, name: 'MmPageEntireDriver', proto: 'PVOID MmPageEntireDriver(PVOID AddressWithinSection)',
    params: { AddressWithinSection: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      // The base of the driver image holding the address, or NULL when no loaded driver holds it.
      const d = k.io.drivers.find((x) => a.AddressWithinSection >= x.image.base && a.AddressWithinSection < x.image.base + BigInt(x.image.size));
      if (!d) return 0n;
      state(k).pagedWhole.add(d.image.base);
      return d.image.base;
    },
  }),
  defineExport({
    ...mmx, name: 'MmResetDriverPaging', proto: 'VOID MmResetDriverPaging(PVOID AddressWithinSection)',
    params: { AddressWithinSection: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const d = k.io.drivers.find((x) => a.AddressWithinSection >= x.image.base && a.AddressWithinSection < x.image.base + BigInt(x.image.size));
      if (d) state(k).pagedWhole.delete(d.image.base);
    },
  }),
  defineExport({
    ...mmx, name: 'MmQuerySystemSize', proto: 'MM_SYSTEMSIZE MmQuerySystemSize(VOID)',
    params: {}, ret: 'u32',
    // The machine has 4 GiB of RAM (physical.ts): far above the threshold of a large system.
    impl: () => MmLargeSystem,
  }),
  defineExport({
    ...mmx, name: 'MmIsThisAnNtAsSystem', proto: 'BOOLEAN MmIsThisAnNtAsSystem(VOID)',
    params: {}, ret: 'bool',
    // TRUE on server products: the product type KUSER_SHARED_DATA announces (boot.ts).
    impl: (k) => (k.m.u32(k.m.layout.sharedUserData + BigInt(k.L.KUSER_SHARED_DATA.off.NtProductType)) !== NtProductWinNt ? 1 : 0),
  }),
  defineExport({
    ...mmx, name: 'MmIsDriverVerifying', proto: 'LOGICAL MmIsDriverVerifying(struct _DRIVER_OBJECT *DriverObject)',
    params: { DriverObject: 'ptr' }, ret: 'u32',
    // Driver Verifier is not enabled on the emulated machine: no driver is being verified.
    impl: () => 0,
  }),
  defineExport({
    ...mmx, name: 'MmIsDriverVerifyingByAddress', proto: 'LOGICAL MmIsDriverVerifyingByAddress(PVOID AddressWithinSection)',
    params: { AddressWithinSection: 'ptr' }, ret: 'u32',
    impl: () => 0,
  }),
  defineExport({
    ...mmx, name: 'MmIsRecursiveIoFault', proto: 'BOOLEAN MmIsRecursiveIoFault(VOID)',
    params: {}, ret: 'bool',
    // TRUE only while the thread is inside a paging I/O fault; kdemu takes none (nothing is ever paged out).
    impl: () => 0,
  }),
];
