// KeQueryUnbiasedInterruptTime: the interrupt time without the time the machine spent asleep or hibernating. The
// emulated machine never sleeps, so it equals the interrupt time.

import { defineExport } from '../export.js';
import { interruptTime } from './clock.js';

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'KeQueryUnbiasedInterruptTime',
    proto: 'ULONGLONG KeQueryUnbiasedInterruptTime(VOID)',
    params: {}, ret: 'u64',
    impl: (k) => interruptTime(k),
  }),
];
