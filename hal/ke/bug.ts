// Bug checks: KeBugCheckEx and KeBugCheck stop the run with Windows' code and parameters.

import { defineExport } from '../export.js';
import { GuestStop } from '../machine.js';
import { bugcheckName } from './bugcodes.js';

function bugcheck(code: number, params: bigint[], caller: string): never {
  throw new GuestStop('bugcheck', `KeBugCheckEx(${bugcheckName(code)}) from ${caller}`, {
    bugcheck: { code, params },
  });
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeBugCheckEx',
    cc: 'stdcall',
    proto: 'DECLSPEC_NORETURN VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1, ULONG_PTR BugCheckParameter2, ULONG_PTR BugCheckParameter3, ULONG_PTR BugCheckParameter4)',
    params: { BugCheckCode: 'u32', BugCheckParameter1: 'usize', BugCheckParameter2: 'usize', BugCheckParameter3: 'usize', BugCheckParameter4: 'usize' },
    ret: 'void',
    impl: (k, a) => bugcheck(a.BugCheckCode, [a.BugCheckParameter1, a.BugCheckParameter2, a.BugCheckParameter3, a.BugCheckParameter4], k.symbolize(k.callerAddress())),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'KeBugCheck',
    cc: 'stdcall',
    proto: 'DECLSPEC_NORETURN VOID KeBugCheck(ULONG BugCheckCode)',
    params: { BugCheckCode: 'u32' },
    ret: 'void',
    impl: (k, a) => bugcheck(a.BugCheckCode, [0n, 0n, 0n, 0n], k.symbolize(k.callerAddress())),
  }),
];

