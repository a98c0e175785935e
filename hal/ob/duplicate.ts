// ZwDuplicateObject: a second handle to an object, in the same or another process, or in the kernel's table.
//
// Kernel-mode caller: the source handle may be a kernel handle; the new handle gets the source's access
// (DUPLICATE_SAME_ACCESS) or the access asked for, unchecked; DUPLICATE_CLOSE_SOURCE closes the source handle.
// Handles of kdemu's object manager (events, mutants, semaphores, timers, processes, threads, links) can be
// duplicated; device file handles (the I/O manager's table) cannot yet: that stops the run.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import type { KProcess } from '../ps/process.js';
import { mapGeneric, resolveHandle } from './handle.js';

const DUPLICATE_CLOSE_SOURCE = 1;
const DUPLICATE_SAME_ACCESS = 2;
const DUPLICATE_SAME_ATTRIBUTES = 4;
const OBJ_KERNEL_HANDLE = 0x200;
const KernelMode = 0;

function processOf(k: Kernel, h: bigint): KProcess | number {
  const r = resolveHandle(k, h, KernelMode);
  if (!r) return STATUS.INVALID_HANDLE;
  if (r.type !== 'Process') return STATUS.OBJECT_TYPE_MISMATCH;
  return k.ps.processAt(r.body) ?? STATUS.INVALID_HANDLE;
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ZwDuplicateObject',
    proto: 'NTSTATUS ZwDuplicateObject(HANDLE SourceProcessHandle, HANDLE SourceHandle, HANDLE TargetProcessHandle, PHANDLE TargetHandle, ACCESS_MASK DesiredAccess, ULONG HandleAttributes, ULONG Options)',
    params: { SourceProcessHandle: 'handle', SourceHandle: 'handle', TargetProcessHandle: 'handle', TargetHandle: 'ptr', DesiredAccess: 'access', HandleAttributes: 'u32', Options: 'u32' },
    ret: 'status',
    impl: (k, a) => {
      const source = processOf(k, a.SourceProcessHandle);
      if (typeof source === 'number') return source;
      // The source handle is looked up in the source process's table (or the kernel's, for a kernel handle).
      const e = k.ob.lookup(a.SourceHandle, KernelMode, source);
      if (!e) {
        if (k.io.files.has(Number(a.SourceHandle & 0xffffffffn))) {
          throw new GuestStop('unsupported-call', `ZwDuplicateObject(${hex(a.SourceHandle)}) from ${k.symbolize(k.callerAddress())}: a device file handle, which kdemu cannot duplicate`, { export: 'ntoskrnl.exe!ZwDuplicateObject' });
        }
        return STATUS.INVALID_HANDLE;
      }
      let result: number = STATUS.SUCCESS;
      if (a.TargetProcessHandle !== 0n) {
        const target = processOf(k, a.TargetProcessHandle);
        if (typeof target === 'number') return target;
        const access = a.Options & DUPLICATE_SAME_ACCESS ? e.access : mapGeneric(e.object.type, a.DesiredAccess);
        const kernel = (a.Options & DUPLICATE_SAME_ATTRIBUTES ? k.ob.isKernelHandle(a.SourceHandle) : (a.HandleAttributes & OBJ_KERNEL_HANDLE) !== 0);
        k.m.setPtr(a.TargetHandle, k.ob.insert(e.object, access, kernel, target));
      } else if (!(a.Options & DUPLICATE_CLOSE_SOURCE)) {
        // No target process: only closing the source makes sense.
        result = STATUS.INVALID_PARAMETER;
      }
      if (a.Options & DUPLICATE_CLOSE_SOURCE) k.ob.close(a.SourceHandle, KernelMode, source);
      return result;
    },
  }),
];
