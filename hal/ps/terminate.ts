// ZwTerminateProcess from a driver. A synthetic process (--spawn, CreateProcess) ends as `--kill` ends it: its
// thread and process notify routines run, its object is signaled with the exit status. Ending System or the client
// from kernel mode would end threads kdemu runs itself (the kernel's, the one in the driver's call), so the run stops
// there naming the process.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { resolveHandle } from '../ob/handle.js';
import { terminateProcess } from './notify.js';

const KernelMode = 0;

function unsupported(k: Kernel, what: string): never {
  throw new GuestStop('unsupported-call', `ZwTerminateProcess from ${k.symbolize(k.callerAddress())}: ${what}`, { export: 'ntoskrnl.exe!ZwTerminateProcess' });
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ZwTerminateProcess',
    proto: 'NTSTATUS ZwTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus)',
    params: { ProcessHandle: 'handle', ExitStatus: 'status' }, ret: 'status',
    impl: (k, a) => {
      // NULL ends every thread of the caller's process but the caller: the kernel's own threads, in kdemu.
      if (a.ProcessHandle === 0n) unsupported(k, `a NULL handle ends the other threads of ${k.ps.currentKProcess.name}, which kdemu does not end from a driver`);
      // Kernel mode: no access check on the handle's rights.
      const r = resolveHandle(k, a.ProcessHandle, KernelMode);
      if (!r) return STATUS.INVALID_HANDLE;
      if (r.type !== 'Process') return STATUS.OBJECT_TYPE_MISMATCH;
      const p = k.ps.processAt(r.body);
      if (!p) throw new GuestStop('fault', `ZwTerminateProcess(${hex(a.ProcessHandle)}): no process at ${hex(r.body)}`, { export: 'ntoskrnl.exe!ZwTerminateProcess' });
      if (p.exitCode !== undefined) return STATUS.PROCESS_IS_TERMINATING;
      if (p.kind === 'system') unsupported(k, 'ending System would end the kernel\'s own threads, which kdemu does not model');
      if (p.kind === 'client') unsupported(k, `ending ${p.name} from a driver would end the thread whose request the driver is serving; kdemu ends its client only when the program exits`);
      terminateProcess(k, p, a.ExitStatus);
      return STATUS.SUCCESS;
    },
  }),
];
