// ZwYieldExecution (NtYieldExecution): the running thread gives the processor to the threads that are ready to run,
// whatever their priority, and goes on once they have had it; STATUS_NO_YIELD_PERFORMED when none was ready.
// The ready threads run as the scheduler runs them between a run's steps (ke/scheduler.ts runReady): each until it
// waits, ends or uses up its quantum.

import { defineExport } from '../export.js';
import { STATUS } from '../rtl/ntstatus.js';

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ZwYieldExecution',
    proto: 'NTSTATUS ZwYieldExecution(VOID)',
    params: {}, ret: 'status',
    impl: (k) => {
      const before = k.sched.switches;
      k.sched.runReady();
      return k.sched.switches !== before ? STATUS.SUCCESS : STATUS.NO_YIELD_PERFORMED;
    },
  }),
];
