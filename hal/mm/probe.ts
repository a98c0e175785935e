// ProbeForRead / ProbeForWrite: a driver checking a user-mode buffer it was handed (METHOD_NEITHER, Irp->UserBuffer).
//
// As documented: a zero length passes; a misaligned address raises STATUS_DATATYPE_MISALIGNMENT; a range that wraps
// or ends above MmUserProbeAddress raises STATUS_ACCESS_VIOLATION; ProbeForWrite then touches every page of the
// range for writing (as the kernel does, rewriting its first byte), so a page that is not writable raises
// STATUS_ACCESS_VIOLATION too. The status is raised as an exception in the calling thread: the driver's
// __try/__except around the probe takes it, or it is unhandled (KMODE_EXCEPTION_NOT_HANDLED).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { Prot } from '../../emu/engine.js';
import { EXCEPTION_NONCONTINUABLE, raiseFromExport } from '../ke/except.js';

const STATUS_DATATYPE_MISALIGNMENT = 0x80000002n;
const STATUS_ACCESS_VIOLATION = 0xc0000005n;

/** MmUserProbeAddress: the first address above user space's last probe-able byte. */
export function userProbeAddress(k: Kernel): bigint {
  return k.arch === 'x64' ? 0x7fffffff0000n : 0x7fff0000n;
}

/**
 * The probe's exception, raised at the caller: ExRaiseDatatypeMisalignment / ExRaiseAccessViolation (noncontinuable,
 * no parameters), or the access violation of ProbeForWrite's own write to a page it may not write (write, address).
 */
function raise(k: Kernel, routine: string, status: bigint, why: string, touched?: bigint): never {
  const name = status === STATUS_ACCESS_VIOLATION ? 'STATUS_ACCESS_VIOLATION' : 'STATUS_DATATYPE_MISALIGNMENT';
  const what = `${routine} from ${k.symbolize(k.callerAddress())} raised ${name} (${why})`;
  if (touched !== undefined) raiseFromExport(k, Number(status), [1n, touched], what);
  raiseFromExport(k, Number(status), [], what, EXCEPTION_NONCONTINUABLE);
}

function probe(k: Kernel, routine: string, address: bigint, length: number, alignment: number, write: boolean): void {
  if (length === 0) return;
  if (![1, 2, 4, 8, 16].includes(alignment)) {
    throw new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())} with alignment ${alignment}, which must be 1, 2, 4, 8 or 16`, {
      bugcheck: { code: 0x1e, params: [STATUS_DATATYPE_MISALIGNMENT, k.callerAddress(), 0n, 0n] },
    });
  }
  if (address % BigInt(alignment) !== 0n) raise(k, routine, STATUS_DATATYPE_MISALIGNMENT, `${hex(address)} is not ${alignment}-byte aligned`);
  const end = address + BigInt(length);
  const top = k.arch === 'x64' ? 1n << 64n : 1n << 32n;
  if (end > userProbeAddress(k) || end >= top || end < address) {
    raise(k, routine, STATUS_ACCESS_VIOLATION, `${hex(address)} + ${length} is not below MmUserProbeAddress ${hex(userProbeAddress(k))}`);
  }
  if (!write) return;
  for (let p = address; p < end; p = (p & ~0xfffn) + 0x1000n) {
    const prot = k.m.engine.pageProt(p);
    if (prot === undefined || !(prot & Prot.Write)) raise(k, routine, STATUS_ACCESS_VIOLATION, `page ${hex(p & ~0xfffn)} is ${prot === undefined ? 'not mapped' : 'not writable'}`, p);
    k.m.write(p, k.m.read(p, 1)); // the probe's write, which a page's dirty state would record
  }
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', name: 'ProbeForRead', cc: 'stdcall',
    proto: 'VOID ProbeForRead(const volatile VOID *Address, SIZE_T Length, ULONG Alignment)',
    params: { Address: 'ptr', Length: 'usize', Alignment: 'u32' }, ret: 'void',
    impl: (k, a) => probe(k, 'ProbeForRead', a.Address, Number(a.Length), a.Alignment, false),
  }),
  defineExport({
    module: 'ntoskrnl.exe', name: 'ProbeForWrite', cc: 'stdcall',
    proto: 'VOID ProbeForWrite(volatile VOID *Address, SIZE_T Length, ULONG Alignment)',
    params: { Address: 'ptr', Length: 'usize', Alignment: 'u32' }, ret: 'void',
    impl: (k, a) => probe(k, 'ProbeForWrite', a.Address, Number(a.Length), a.Alignment, true),
  }),
];
