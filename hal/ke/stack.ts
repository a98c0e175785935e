// KeExpandKernelStackAndCallout / KeExpandKernelStackAndCalloutEx: run a routine with at least Size bytes of kernel
// stack. kdemu's kernel stacks are far larger than Windows' (MAXIMUM_EXPANSION_SIZE is under 64 KB on x86 and 72 KB
// on x64), so the routine runs on the caller's stack, as Windows does when enough of it is left; the size is still
// checked against Windows' limit.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';

/** MAXIMUM_EXPANSION_SIZE: KERNEL_LARGE_STACK_SIZE - PAGE_SIZE / 2. */
function maximumExpansion(k: Kernel): number {
  return (k.arch === 'x64' ? 0x12000 : 0xf000) - 0x800;
}

function callout(k: Kernel, routine: bigint, parameter: bigint, size: bigint): number {
  if (size > BigInt(maximumExpansion(k))) return STATUS.INVALID_PARAMETER_3;
  k.callRoutine(routine, [parameter], 'expanded stack callout');
  return STATUS.SUCCESS;
}

const ke = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ke, name: 'KeExpandKernelStackAndCallout',
    proto: 'NTSTATUS KeExpandKernelStackAndCallout(PEXPAND_STACK_CALLOUT Callout, PVOID Parameter, SIZE_T Size)',
    params: { Callout: 'ptr', Parameter: 'ptr', Size: 'usize' }, ret: 'status',
    impl: (k, a) => callout(k, a.Callout, a.Parameter, a.Size),
  }),
  defineExport({
    ...ke, name: 'KeExpandKernelStackAndCalloutEx',
    proto: 'NTSTATUS KeExpandKernelStackAndCalloutEx(PEXPAND_STACK_CALLOUT Callout, PVOID Parameter, SIZE_T Size, BOOLEAN Wait, PVOID Context)',
    params: { Callout: 'ptr', Parameter: 'ptr', Size: 'usize', Wait: 'bool', Context: 'ptr' }, ret: 'status',
    // Wait (whether to wait for a stack) and Context (reserved) change nothing when no stack has to be allocated.
    impl: (k, a) => callout(k, a.Callout, a.Parameter, a.Size),
  }),
];
