// MmCopyVirtualMemory: copies between two processes' address spaces. kdemu's processes share its one address space,
// so a copy between any two of them is a copy within it. A user-mode PreviousMode first checks that both ranges
// lie in user space (STATUS_ACCESS_VIOLATION, nothing copied); a page that cannot be read at the source or written
// at the destination ends the copy there: the bytes before it are copied and counted (STATUS_PARTIAL_COPY).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { Prot } from '../../emu/engine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { userProbeAddress } from './probe.js';

const KernelMode = 0;

/** How many bytes from `address` on (up to `size`) lie in pages the kernel may read (or write). */
function accessible(k: Kernel, address: bigint, size: bigint, write: boolean): bigint {
  const end = address + size;
  for (let p = address; p < end; p = (p & ~0xfffn) + 0x1000n) {
    const prot = k.m.engine.pageProt(p);
    const ok = prot !== undefined && (write ? prot & Prot.Write : prot & (Prot.Read | Prot.Write));
    if (!ok) return p - address;
  }
  return size;
}

function processArg(k: Kernel, eprocess: bigint, which: string): void {
  if (!k.ps.processAt(eprocess)) {
    throw new GuestStop('fault', `MmCopyVirtualMemory from ${k.symbolize(k.callerAddress())}: ${which} ${hex(eprocess)} is not a process object`, { export: 'ntoskrnl.exe!MmCopyVirtualMemory' });
  }
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'MmCopyVirtualMemory',
    proto: 'NTSTATUS MmCopyVirtualMemory(PEPROCESS FromProcess, PVOID FromAddress, PEPROCESS ToProcess, PVOID ToAddress, SIZE_T BufferSize, KPROCESSOR_MODE PreviousMode, PSIZE_T NumberOfBytesCopied)',
    params: { FromProcess: 'ptr', FromAddress: 'ptr', ToProcess: 'ptr', ToAddress: 'ptr', BufferSize: 'usize', PreviousMode: 'u8', NumberOfBytesCopied: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      processArg(k, a.FromProcess, 'FromProcess');
      processArg(k, a.ToProcess, 'ToProcess');
      const size = a.BufferSize;
      const setCount = (n: bigint) => k.m.setPtr(a.NumberOfBytesCopied, n);
      if (size === 0n) {
        setCount(0n);
        return STATUS.SUCCESS;
      }
      if (a.PreviousMode !== KernelMode) {
        // The probe of both ranges: below MmUserProbeAddress and not wrapping.
        const limit = userProbeAddress(k);
        const top = k.arch === 'x64' ? 1n << 64n : 1n << 32n;
        const bad = (p: bigint) => p + size > limit || p + size >= top || p + size < p;
        if (bad(a.FromAddress) || bad(a.ToAddress)) {
          setCount(0n);
          return STATUS.ACCESS_VIOLATION;
        }
      }
      const readable = accessible(k, a.FromAddress, size, false);
      const n = readable < size ? accessible(k, a.ToAddress, readable, true) : accessible(k, a.ToAddress, size, true);
      // Read all first, so overlapping ranges copy as a move would.
      if (n > 0n) k.m.write(a.ToAddress, k.m.read(a.FromAddress, Number(n)).slice());
      setCount(n);
      return n === size ? STATUS.SUCCESS : STATUS.PARTIAL_COPY;
    },
  }),
];
