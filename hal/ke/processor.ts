// Processors, groups, nodes and thread affinity: KeQueryActiveProcessorCount(Ex), KeQueryMaximumProcessorCount(Ex),
// KeQueryActiveProcessors, KeQuery*GroupCount, KeGetCurrentProcessorNumberEx, KeGetProcessorNumberFromIndex /
// KeGetProcessorIndexFromNumber, the node queries, KeSetSystem(Group)AffinityThread(Ex) and their reverts, and the
// calls that run a routine on every processor: KeIpiGenericCall, KeGenericCallDpc with KeSignalCallDpcDone /
// KeSignalCallDpcSynchronize.
//
// The emulated machine has ONE processor: processor 0 of group 0 (node 0), index 0, affinity mask 1. "Every processor"
// is that one, so the broadcast routines run their routine once, on the calling thread. A thread's affinity is kept
// per thread: the user affinity is processor 0, a system affinity replaces it until the thread reverts.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { DISPATCH_LEVEL, setIrql } from './irql.js';
import { assertCanWait } from './clock.js';

/** The one processor: its count, the active mask of group 0, the group and node counts. */
export const PROCESSOR_COUNT = 1;
const ACTIVE_MASK = 1n;
const ALL_PROCESSOR_GROUPS = 0xffff;
const INVALID_PROCESSOR_INDEX = 0xffffffff;
const IRQL_NOT_LESS_OR_EQUAL = 0x0a;
const DpcObject = 0x13;

/** IPI_LEVEL: 14 on x64, 29 on x86. */
function ipiLevel(k: Kernel): number {
  return k.arch === 'x64' ? 14 : 29;
}

/** Routines documented for IRQL <= `max`: above it, IRQL_NOT_LESS_OR_EQUAL. */
function requireAtMost(k: Kernel, max: number, routine: string): void {
  if (k.irql <= max) return;
  throw new GuestStop('bugcheck', `${routine} from ${k.symbolize(k.callerAddress())} at IRQL ${k.irql}: it may be called at IRQL ${max} at most`, {
    bugcheck: { code: IRQL_NOT_LESS_OR_EQUAL, params: [0n, BigInt(k.irql), 0n, k.callerAddress()] },
  });
}

/** Each thread's system affinity (group 0 mask) while it has one; absent: the thread runs with its user affinity. */
const systemAffinity = new WeakMap<Kernel, Map<bigint, bigint>>();
function affinities(k: Kernel): Map<bigint, bigint> {
  let m = systemAffinity.get(k);
  if (!m) systemAffinity.set(k, (m = new Map()));
  return m;
}

/** The mask's processors that exist: a mask naming none of them leaves the affinity unchanged (as documented). */
function usable(mask: bigint): boolean {
  return (mask & ACTIVE_MASK) !== 0n;
}

/** Sets the current thread's system affinity; returns the previous one (0: it had its user affinity). */
function setSystemAffinity(k: Kernel, mask: bigint, routine: string): bigint {
  requireAtMost(k, DISPATCH_LEVEL, routine);
  const m = affinities(k);
  const t = k.ps.currentThread;
  const previous = m.get(t) ?? 0n;
  if (usable(mask)) m.set(t, mask);
  return previous;
}

/** Restores a previous system affinity, or (mask 0) the thread's user affinity. */
function revertAffinity(k: Kernel, mask: bigint, routine: string): void {
  requireAtMost(k, DISPATCH_LEVEL, routine);
  const m = affinities(k);
  if (mask === 0n) m.delete(k.ps.currentThread);
  else if (usable(mask)) m.set(k.ps.currentThread, mask);
}

function writeProcessorNumber(k: Kernel, p: bigint): void {
  const o = k.L.PROCESSOR_NUMBER.off;
  k.m.setU16At(p, o.Group, 0);
  k.m.setU8At(p, o.Number, 0);
  k.m.setU8At(p, o.Reserved, 0);
}

function writeGroupAffinity(k: Kernel, p: bigint, mask: bigint, group: number): void {
  const L = k.L.GROUP_AFFINITY;
  k.m.fill(p, L.size);
  k.m.setPtrAt(p, L.off.Mask, mask);
  k.m.setU16At(p, L.off.Group, group);
}

/** Processors in a group (ALL_PROCESSOR_GROUPS: all of them). */
function countIn(group: number): number {
  return group === 0 || group === ALL_PROCESSOR_GROUPS ? PROCESSOR_COUNT : 0;
}

/** KeGenericCallDpc's KDPC and its two barriers (processors yet to signal done; yet to reach the synchronization). */
interface CallDpc {
  dpc: bigint;
  done: bigint;
  sync: bigint;
}
const callDpcs = new WeakMap<Kernel, CallDpc>();
function callDpc(k: Kernel): CallDpc {
  let c = callDpcs.get(k);
  if (!c) {
    const dpc = k.systemAlloc(k.L.KDPC.size, 16);
    const barriers = k.systemAlloc(8, 8);
    callDpcs.set(k, (c = { dpc, done: barriers, sync: barriers + 4n }));
  }
  return c;
}

const ke = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ke, name: 'KeQueryActiveProcessorCount', proto: 'ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors)',
    params: { ActiveProcessors: 'ptr' }, ret: 'u32',
    impl: (k, a) => {
      if (a.ActiveProcessors !== 0n) k.m.setPtr(a.ActiveProcessors, ACTIVE_MASK);
      return PROCESSOR_COUNT;
    },
  }),
  defineExport({
    ...ke, name: 'KeQueryActiveProcessorCountEx', proto: 'ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber)',
    params: { GroupNumber: 'u16' }, ret: 'u32',
    impl: (_k, a) => countIn(a.GroupNumber),
  }),
  defineExport({
    ...ke, name: 'KeQueryMaximumProcessorCount', proto: 'ULONG KeQueryMaximumProcessorCount(VOID)',
    params: {}, ret: 'u32',
    impl: () => PROCESSOR_COUNT,
  }),
  defineExport({
    ...ke, name: 'KeQueryMaximumProcessorCountEx', proto: 'ULONG KeQueryMaximumProcessorCountEx(USHORT GroupNumber)',
    params: { GroupNumber: 'u16' }, ret: 'u32',
    impl: (_k, a) => countIn(a.GroupNumber),
  }),
  defineExport({
    ...ke, name: 'KeQueryActiveProcessors', proto: 'KAFFINITY KeQueryActiveProcessors(VOID)',
    params: {}, ret: 'usize',
    impl: () => ACTIVE_MASK,
  }),
  defineExport({
    ...ke, name: 'KeQueryActiveGroupCount', proto: 'USHORT KeQueryActiveGroupCount(VOID)',
    params: {}, ret: 'u16',
    impl: () => 1,
  }),
  defineExport({
    ...ke, name: 'KeQueryMaximumGroupCount', proto: 'USHORT KeQueryMaximumGroupCount(VOID)',
    params: {}, ret: 'u16',
    impl: () => 1,
  }),
  defineExport({
    ...ke, name: 'KeQueryGroupAffinity', proto: 'KAFFINITY KeQueryGroupAffinity(USHORT GroupNumber)',
    params: { GroupNumber: 'u16' }, ret: 'usize',
    impl: (_k, a) => (a.GroupNumber === 0 ? ACTIVE_MASK : 0n),
  }),
  defineExport({
    ...ke, name: 'KeGetCurrentProcessorNumberEx', proto: 'ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber)',
    params: { ProcNumber: 'ptr' }, ret: 'u32',
    impl: (k, a) => {
      if (a.ProcNumber !== 0n) writeProcessorNumber(k, a.ProcNumber);
      return 0;
    },
  }),
  defineExport({
    ...ke, name: 'KeGetProcessorNumberFromIndex', proto: 'NTSTATUS KeGetProcessorNumberFromIndex(ULONG ProcIndex, PPROCESSOR_NUMBER ProcNumber)',
    params: { ProcIndex: 'u32', ProcNumber: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      if (a.ProcIndex >= PROCESSOR_COUNT) return STATUS.INVALID_PARAMETER;
      writeProcessorNumber(k, a.ProcNumber);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...ke, name: 'KeGetProcessorIndexFromNumber', proto: 'ULONG KeGetProcessorIndexFromNumber(PPROCESSOR_NUMBER ProcNumber)',
    params: { ProcNumber: 'ptr' }, ret: 'u32',
    impl: (k, a) => {
      const o = k.L.PROCESSOR_NUMBER.off;
      const valid = k.m.u16At(a.ProcNumber, o.Group) === 0 && k.m.u8At(a.ProcNumber, o.Number) < PROCESSOR_COUNT;
      return valid ? k.m.u8At(a.ProcNumber, o.Number) : INVALID_PROCESSOR_INDEX;
    },
  }),
  defineExport({
    ...ke, name: 'KeGetCurrentNodeNumber', proto: 'USHORT KeGetCurrentNodeNumber(VOID)',
    params: {}, ret: 'u16',
    impl: () => 0,
  }),
  defineExport({
    ...ke, name: 'KeQueryHighestNodeNumber', proto: 'USHORT KeQueryHighestNodeNumber(VOID)',
    params: {}, ret: 'u16',
    impl: () => 0,
  }),
  defineExport({
    ...ke, name: 'KeQueryNodeActiveAffinity', proto: 'VOID KeQueryNodeActiveAffinity(USHORT NodeNumber, PGROUP_AFFINITY Affinity, PUSHORT Count)',
    params: { NodeNumber: 'u16', Affinity: 'ptr', Count: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      // A node that does not exist has no processors: an empty affinity and a count of 0.
      const exists = a.NodeNumber === 0;
      if (a.Affinity !== 0n) writeGroupAffinity(k, a.Affinity, exists ? ACTIVE_MASK : 0n, 0);
      if (a.Count !== 0n) k.m.setU16(a.Count, exists ? PROCESSOR_COUNT : 0);
    },
  }),
  defineExport({
    ...ke, name: 'KeQueryNodeMaximumProcessorCount', proto: 'USHORT KeQueryNodeMaximumProcessorCount(USHORT NodeNumber)',
    params: { NodeNumber: 'u16' }, ret: 'u16',
    impl: (_k, a) => (a.NodeNumber === 0 ? PROCESSOR_COUNT : 0),
  }),
  defineExport({
    ...ke, name: 'KeSetSystemAffinityThread', proto: 'VOID KeSetSystemAffinityThread(KAFFINITY Affinity)',
    params: { Affinity: 'usize' }, ret: 'void',
    impl: (k, a) => void setSystemAffinity(k, a.Affinity, 'KeSetSystemAffinityThread'),
  }),
  defineExport({
    ...ke, name: 'KeSetSystemAffinityThreadEx', proto: 'KAFFINITY KeSetSystemAffinityThreadEx(KAFFINITY Affinity)',
    params: { Affinity: 'usize' }, ret: 'usize',
    impl: (k, a) => setSystemAffinity(k, a.Affinity, 'KeSetSystemAffinityThreadEx'),
  }),
  defineExport({
    ...ke, name: 'KeRevertToUserAffinityThread', proto: 'VOID KeRevertToUserAffinityThread(VOID)',
    params: {}, ret: 'void',
    impl: (k) => revertAffinity(k, 0n, 'KeRevertToUserAffinityThread'),
  }),
  defineExport({
    ...ke, name: 'KeRevertToUserAffinityThreadEx', proto: 'VOID KeRevertToUserAffinityThreadEx(KAFFINITY Affinity)',
    params: { Affinity: 'usize' }, ret: 'void',
    impl: (k, a) => revertAffinity(k, a.Affinity, 'KeRevertToUserAffinityThreadEx'),
  }),
  defineExport({
    ...ke, name: 'KeSetSystemGroupAffinityThread', proto: 'VOID KeSetSystemGroupAffinityThread(PGROUP_AFFINITY Affinity, PGROUP_AFFINITY PreviousAffinity)',
    params: { Affinity: 'ptr', PreviousAffinity: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const o = k.L.GROUP_AFFINITY.off;
      // Only group 0 exists: a mask for another group names no processor and changes nothing.
      const group = k.m.u16At(a.Affinity, o.Group);
      const mask = group === 0 ? k.m.ptrAt(a.Affinity, o.Mask) : 0n;
      const previous = setSystemAffinity(k, mask, 'KeSetSystemGroupAffinityThread');
      // A zero mask is the special "user affinity" value KeRevertToUserGroupAffinityThread understands.
      if (a.PreviousAffinity !== 0n) writeGroupAffinity(k, a.PreviousAffinity, previous, 0);
    },
  }),
  defineExport({
    ...ke, name: 'KeRevertToUserGroupAffinityThread', proto: 'VOID KeRevertToUserGroupAffinityThread(PGROUP_AFFINITY PreviousAffinity)',
    params: { PreviousAffinity: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const o = k.L.GROUP_AFFINITY.off;
      const mask = k.m.ptrAt(a.PreviousAffinity, o.Mask);
      // Mask 0: back to the user affinity; a mask for a group that does not exist names no processor: no change.
      if (mask !== 0n && k.m.u16At(a.PreviousAffinity, o.Group) !== 0) return requireAtMost(k, DISPATCH_LEVEL, 'KeRevertToUserGroupAffinityThread');
      revertAffinity(k, mask, 'KeRevertToUserGroupAffinityThread');
    },
  }),
  defineExport({
    ...ke, name: 'KeIpiGenericCall', proto: 'ULONG_PTR KeIpiGenericCall(PKIPI_BROADCAST_WORKER BroadcastFunction, ULONG_PTR Context)',
    params: { BroadcastFunction: 'ptr', Context: 'usize' }, ret: 'usize',
    impl: (k, a) => {
      requireAtMost(k, DISPATCH_LEVEL, 'KeIpiGenericCall');
      // The worker runs at IPI_LEVEL on each processor (here the one), with the others stalled; its result on the
      // calling processor is the call's.
      const old = k.irql;
      setIrql(k, ipiLevel(k));
      let r: bigint;
      try {
        r = k.callRoutine(a.BroadcastFunction, [a.Context], 'IPI broadcast worker');
      } finally {
        setIrql(k, old);
      }
      return k.ptrSize === 4 ? r & 0xffffffffn : r;
    },
  }),
  defineExport({
    ...ke, name: 'KeGenericCallDpc', proto: 'VOID KeGenericCallDpc(PKDEFERRED_ROUTINE Routine, PVOID Context)',
    params: { Routine: 'ptr', Context: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      // The caller waits until every processor's DPC has signalled it is done.
      assertCanWait(k, 'KeGenericCallDpc');
      const c = callDpc(k);
      const o = k.L.KDPC.off;
      k.m.fill(c.dpc, k.L.KDPC.size);
      k.m.setU8At(c.dpc, o.Type, DpcObject);
      k.m.setPtrAt(c.dpc, o.DeferredRoutine, a.Routine);
      k.m.setPtrAt(c.dpc, o.DeferredContext, a.Context);
      k.m.setPtrAt(c.dpc, o.SystemArgument1, c.done);
      k.m.setPtrAt(c.dpc, o.SystemArgument2, c.sync);
      k.m.setU32(c.done, PROCESSOR_COUNT);
      k.m.setU32(c.sync, PROCESSOR_COUNT);
      const caller = k.callerAddress();
      const old = k.irql;
      setIrql(k, DISPATCH_LEVEL);
      try {
        k.callRoutine(a.Routine, [c.dpc, a.Context, c.done, c.sync], 'generic call DPC routine');
      } finally {
        setIrql(k, old);
      }
      const left = k.m.u32(c.done) | 0;
      if (left !== 0) {
        throw new GuestStop('deadlock', `KeGenericCallDpc(${k.symbolize(a.Routine)}) from ${k.symbolize(caller)} waits forever: the DPC routine returned without calling KeSignalCallDpcDone (${left} processor(s) outstanding)`, {});
      }
    },
  }),
  defineExport({
    ...ke, name: 'KeSignalCallDpcDone', proto: 'VOID KeSignalCallDpcDone(PVOID SystemArgument1)',
    params: { SystemArgument1: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setU32(a.SystemArgument1, (k.m.u32(a.SystemArgument1) - 1) >>> 0),
  }),
  defineExport({
    ...ke, name: 'KeSignalCallDpcSynchronize', proto: 'LOGICAL KeSignalCallDpcSynchronize(PVOID SystemArgument2)',
    params: { SystemArgument2: 'ptr' }, ret: 'u32',
    impl: (k, a) => {
      // A barrier: the last processor to arrive gets TRUE, and the barrier resets for the next synchronization.
      const left = (k.m.u32(a.SystemArgument2) - 1) | 0;
      if (left > 0) {
        throw new GuestStop('deadlock', `KeSignalCallDpcSynchronize(${hex(a.SystemArgument2)}) from ${k.symbolize(k.callerAddress())} waits for ${left} other processor(s), and the machine has one`, {});
      }
      k.m.setU32(a.SystemArgument2, PROCESSOR_COUNT);
      return 1;
    },
  }),
];
