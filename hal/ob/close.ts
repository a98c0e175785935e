// ObIsKernelHandle and ObCloseHandle: handle checks that depend on the caller's previous mode (ps/info.ts).

import { defineExport } from '../export.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { closeHandle } from './handle.js';
import { KernelMode, previousMode } from '../ps/info.js';

const ob = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ob, name: 'ObIsKernelHandle', proto: 'BOOLEAN ObIsKernelHandle(HANDLE Handle)',
    params: { Handle: 'handle' }, ret: 'bool',
    // A kernel handle only counts as one for a kernel-mode caller (a user-mode caller cannot use it).
    impl: (k, a) => (k.ob.isKernelHandle(a.Handle) && previousMode(k) === KernelMode ? 1 : 0),
  }),
  defineExport({
    ...ob, name: 'ObCloseHandle', proto: 'NTSTATUS ObCloseHandle(HANDLE Handle, KPROCESSOR_MODE PreviousMode)',
    params: { Handle: 'handle', PreviousMode: 'u8' }, ret: 'status',
    impl: (k, a) => {
      // UserMode: the handle is checked as the process's (kernel handles are invalid to it), a bad one is a status.
      const mode = a.PreviousMode === KernelMode ? KernelMode : 1;
      const s = k.m.actingAs(0, () => closeHandle(k, a.Handle, mode));
      if (s === STATUS.INVALID_HANDLE && mode === KernelMode && (k.ob.isKernelHandle(a.Handle) || k.ps.currentKProcess.kind === 'system')) {
        // As ZwClose: a bad kernel handle, or any bad handle closed in the System process, from kernel mode.
        throw new GuestStop('bugcheck', `ObCloseHandle(${hex(a.Handle)}, KernelMode) from ${k.symbolize(k.callerAddress())} closes a handle that is not open in ${k.ob.isKernelHandle(a.Handle) ? "the kernel's handle table" : 'the System process'}`, {
          bugcheck: { code: 0x93 /* INVALID_KERNEL_HANDLE */, params: [a.Handle, 1n, 0n, 0n] },
        });
      }
      return s;
    },
  }),
];
