// Bug-check callbacks: KeRegisterBugCheckCallback, KeDeregisterBugCheckCallback, KeRegisterBugCheckReasonCallback,
// KeDeregisterBugCheckReasonCallback, and their calls when the run ends in a bug check.
//
// The records are the drivers' own KBUGCHECK_CALLBACK_RECORD / KBUGCHECK_REASON_CALLBACK_RECORD, linked into the
// kernel's lists with their State going BufferEmpty → BufferInserted. After a bug check Windows calls each bug-check
// callback (State BufferStarted, then BufferFinished) with its buffer at HIGH_LEVEL, skipping records whose checksum
// no longer matches; then, writing the crash dump (the default configuration writes one), the reason callbacks of
// KbCallbackSecondaryDumpData with a KBUGCHECK_SECONDARY_DUMP_DATA. A callback that faults is skipped, as the bug-check
// code guards each call. Records still registered at unload would be called in unloaded code: leaks.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { EngineMemoryError } from '../../emu/engine.js';
import type { LeakReport } from '../report.js';
import { setIrql } from './irql.js';

const BufferEmpty = 0;
const BufferInserted = 1;
const BufferStarted = 2;
const BufferFinished = 3;
const BufferIncomplete = 4;

const KbCallbackSecondaryDumpData = 2;
/** HIGH_LEVEL on each architecture. */
const HIGH_LEVEL = { x86: 31, x64: 15 } as const;
/** The room a secondary dump data callback may fill (MaximumAllowed). */
const SECONDARY_DUMP_MAX = 0x1000;

interface Record_ {
  readonly record: bigint;
  readonly reason: boolean;
  readonly caller: string;
}

const states = new WeakMap<Kernel, Record_[]>();

function records(k: Kernel): Record_[] {
  let s = states.get(k);
  if (!s) states.set(k, (s = []));
  return s;
}

function add(k: Kernel, record: bigint, reason: boolean): void {
  records(k).push({ record, reason, caller: k.symbolize(k.callerAddress()) });
}

function remove(k: Kernel, record: bigint, reason: boolean): boolean {
  const s = records(k);
  const i = s.findIndex((r) => r.record === record && r.reason === reason);
  if (i < 0) return false;
  s.splice(i, 1);
  return true;
}

function usize(k: Kernel, v: bigint): bigint {
  return BigInt.asUintN(k.ptrSize * 8, v);
}

/** Records still registered: the leak report's callbacks. */
export function bugCheckCallbackLeaks(k: Kernel): LeakReport[] {
  return (states.get(k) ?? []).map((r) => {
    const L = r.reason ? k.L.KBUGCHECK_REASON_CALLBACK_RECORD : k.L.KBUGCHECK_CALLBACK_RECORD;
    const routine = k.m.actingAs(-1, () => k.m.ptrAt(r.record, L.off.CallbackRoutine));
    return { kind: 'callback', detail: `${r.reason ? 'bug-check reason' : 'bug-check'} callback record ${hex(r.record)} (${k.symbolize(routine)}) never deregistered`, caller: r.caller };
  });
}

/**
 * Calls the registered callbacks as Windows does after a bug check: at HIGH_LEVEL, bug-check callbacks with their
 * buffers, then the secondary dump data reason callbacks. Each call is traced; one that stops the machine again is
 * skipped, and the trace says so.
 */
export function runBugCheckCallbacks(k: Kernel, code: number): void {
  const list = states.get(k);
  if (!list || list.length === 0) return;
  const m = k.m;
  const note = (text: string) => k.trace.enabled && k.trace.emit({ type: 'note', text });
  m.actingAs(-1, () => setIrql(k, HIGH_LEVEL[k.arch]));
  const guarded = (what: string, routine: bigint, args: bigint[]): boolean => {
    try {
      k.callRoutine(routine, args, what);
      return true;
    } catch (e) {
      if (!(e instanceof GuestStop) && !(e instanceof EngineMemoryError)) throw e;
      note(`${what} ${k.symbolize(routine)} did not return (${e instanceof GuestStop ? e.reason : e.message}): skipped`);
      return false;
    }
  };
  for (const r of list.filter((x) => !x.reason)) {
    const o = k.L.KBUGCHECK_CALLBACK_RECORD.off;
    const at = (f: number) => m.actingAs(-1, () => m.ptrAt(r.record, f));
    const routine = at(o.CallbackRoutine);
    const buffer = at(o.Buffer);
    const length = m.actingAs(-1, () => m.u32At(r.record, o.Length));
    const component = at(o.Component);
    const checksum = at(o.Checksum);
    // A record the driver overwrote since registering is not trusted with a call.
    if (checksum !== usize(k, routine + buffer + BigInt(length) + component)) {
      note(`bug-check callback record ${hex(r.record)}: checksum mismatch, not called`);
      continue;
    }
    m.actingAs(-1, () => m.setU8(r.record + BigInt(o.State), BufferStarted));
    const ok = guarded('bug-check callback', routine, [buffer, BigInt(length)]);
    m.actingAs(-1, () => m.setU8(r.record + BigInt(o.State), ok ? BufferFinished : BufferIncomplete));
  }
  const reasons = list.filter((x) => x.reason);
  if (reasons.length === 0) return;
  // KBUGCHECK_SECONDARY_DUMP_DATA: InBuffer, InBufferLength, MaximumAllowed, Guid, OutBuffer, OutBufferLength.
  const p = k.ptrSize;
  const guidOff = p === 8 ? 16 : 12;
  const outOff = guidOff + 16;
  const dataSize = outOff + 2 * p;
  const inBuffer = m.actingAs(0, () => k.pool.allocate(SECONDARY_DUMP_MAX, 0x706d7544 /* 'Dump' */, 0, 'system', 'crash dump'));
  const data = m.actingAs(0, () => k.pool.allocate(dataSize, 0x706d7544, 0, 'system', 'crash dump'));
  if (inBuffer === null || data === null) return;
  for (const r of reasons) {
    const o = k.L.KBUGCHECK_REASON_CALLBACK_RECORD.off;
    const at = (f: number) => m.actingAs(-1, () => m.ptrAt(r.record, f));
    const routine = at(o.CallbackRoutine);
    const component = at(o.Component);
    const checksum = at(o.Checksum);
    const reason = m.actingAs(-1, () => m.u32At(r.record, o.Reason));
    if (checksum !== usize(k, routine + BigInt(reason) + component)) {
      note(`bug-check reason callback record ${hex(r.record)}: checksum mismatch, not called`);
      continue;
    }
    if (reason !== KbCallbackSecondaryDumpData) continue;
    m.actingAs(0, () => {
      m.write(data, new Uint8Array(dataSize));
      m.setPtr(data, inBuffer);
      m.setU32(data + BigInt(p), SECONDARY_DUMP_MAX);
      m.setU32(data + BigInt(p + 4), SECONDARY_DUMP_MAX);
      m.setU8(r.record + BigInt(o.State), BufferStarted);
    });
    const ok = guarded('bug-check reason callback', routine, [BigInt(reason), r.record, data, BigInt(dataSize)]);
    m.actingAs(0, () => m.setU8(r.record + BigInt(o.State), ok ? BufferFinished : BufferIncomplete));
    if (ok && k.trace.enabled) {
      const outLen = m.actingAs(0, () => m.u32At(data, outOff + p));
      note(`bug-check 0x${code.toString(16)}: ${k.symbolize(routine)} gave ${outLen} bytes of secondary dump data`);
    }
  }
}

const ke = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ke, name: 'KeRegisterBugCheckCallback',
    proto: 'BOOLEAN KeRegisterBugCheckCallback(PKBUGCHECK_CALLBACK_RECORD CallbackRecord, PKBUGCHECK_CALLBACK_ROUTINE CallbackRoutine, PVOID Buffer, ULONG Length, PUCHAR Component)',
    params: { CallbackRecord: 'ptr', CallbackRoutine: 'ptr', Buffer: 'ptr', Length: 'u32', Component: 'pstr' }, ret: 'bool',
    impl: (k, a) => {
      const o = k.L.KBUGCHECK_CALLBACK_RECORD.off;
      const r = a.CallbackRecord;
      // Only a record in its initial state (KeInitializeCallbackRecord) is taken: FALSE for one already registered.
      if (k.m.u8(r + BigInt(o.State)) !== BufferEmpty) return 0;
      k.m.setPtr(r + BigInt(o.CallbackRoutine), a.CallbackRoutine);
      k.m.setPtr(r + BigInt(o.Buffer), a.Buffer);
      k.m.setU32(r + BigInt(o.Length), a.Length);
      k.m.setPtr(r + BigInt(o.Component), a.Component);
      k.m.setPtr(r + BigInt(o.Checksum), usize(k, a.CallbackRoutine + a.Buffer + BigInt(a.Length) + a.Component));
      k.m.setU8(r + BigInt(o.State), BufferInserted);
      add(k, r, false);
      return 1;
    },
  }),
  defineExport({
    ...ke, name: 'KeDeregisterBugCheckCallback',
    proto: 'BOOLEAN KeDeregisterBugCheckCallback(PKBUGCHECK_CALLBACK_RECORD CallbackRecord)',
    params: { CallbackRecord: 'ptr' }, ret: 'bool',
    impl: (k, a) => {
      const o = k.L.KBUGCHECK_CALLBACK_RECORD.off;
      if (k.m.u8(a.CallbackRecord + BigInt(o.State)) !== BufferInserted || !remove(k, a.CallbackRecord, false)) return 0;
      k.m.setU8(a.CallbackRecord + BigInt(o.State), BufferEmpty);
      return 1;
    },
  }),
  defineExport({
    ...ke, name: 'KeRegisterBugCheckReasonCallback',
    proto: 'BOOLEAN KeRegisterBugCheckReasonCallback(PKBUGCHECK_REASON_CALLBACK_RECORD CallbackRecord, PKBUGCHECK_REASON_CALLBACK_ROUTINE CallbackRoutine, KBUGCHECK_CALLBACK_REASON Reason, PUCHAR Component)',
    params: { CallbackRecord: 'ptr', CallbackRoutine: 'ptr', Reason: 'u32', Component: 'pstr' }, ret: 'bool',
    impl: (k, a) => {
      const o = k.L.KBUGCHECK_REASON_CALLBACK_RECORD.off;
      const r = a.CallbackRecord;
      if (k.m.u8(r + BigInt(o.State)) !== BufferEmpty) return 0;
      k.m.setPtr(r + BigInt(o.CallbackRoutine), a.CallbackRoutine);
      k.m.setPtr(r + BigInt(o.Component), a.Component);
      k.m.setU32(r + BigInt(o.Reason), a.Reason);
      k.m.setPtr(r + BigInt(o.Checksum), usize(k, a.CallbackRoutine + BigInt(a.Reason) + a.Component));
      k.m.setU8(r + BigInt(o.State), BufferInserted);
      add(k, r, true);
      return 1;
    },
  }),
  defineExport({
    ...ke, name: 'KeDeregisterBugCheckReasonCallback',
    proto: 'BOOLEAN KeDeregisterBugCheckReasonCallback(PKBUGCHECK_REASON_CALLBACK_RECORD CallbackRecord)',
    params: { CallbackRecord: 'ptr' }, ret: 'bool',
    impl: (k, a) => {
      const o = k.L.KBUGCHECK_REASON_CALLBACK_RECORD.off;
      if (k.m.u8(a.CallbackRecord + BigInt(o.State)) !== BufferInserted || !remove(k, a.CallbackRecord, true)) return 0;
      k.m.setU8(a.CallbackRecord + BigInt(o.State), BufferEmpty);
      return 1;
    },
  }),
];
