// Event Tracing for Windows, the provider side: EtwRegister, EtwRegisterClassicProvider, EtwUnregister,
// EtwEventEnabled, EtwProviderEnabled, EtwWrite, EtwWriteTransfer, EtwWriteString, EtwActivityIdControl and WPP's
// WmiTraceMessage.
//
// No trace session runs on kdemu's machine, so no provider is ever enabled: the enabled checks answer FALSE, the
// enable callback is never called, and an event written by a registered provider goes to no session (STATUS_SUCCESS,
// nothing logged, as Windows documents for a provider no session enabled). Registrations are real: the handle is a
// non-paged pool block holding the provider GUID and callback, freed by EtwUnregister; one still registered when
// the driver unloads is a leak (session.ts), as its callback would point into unloaded code.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import type { KThread } from '../ke/thread.js';
import { STATUS } from '../rtl/ntstatus.js';
import { tagOf } from '../io/device.js';

export interface EtwRegistration {
  handle: bigint;
  provider: string;
  callback: bigint;
  context: bigint;
  /** Who registered it (module+offset), for reports. */
  caller: string;
}

const registrations = new WeakMap<Kernel, Map<bigint, EtwRegistration>>();

/** The providers registered and not yet unregistered, in registration order. */
export function etwRegistrations(k: Kernel): Map<bigint, EtwRegistration> {
  let m = registrations.get(k);
  if (!m) registrations.set(k, (m = new Map()));
  return m;
}

/** A GUID in registry format, {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}. */
export function guidText(k: Kernel, p: bigint): string {
  const b = k.m.read(p, 16);
  const h = (i: number, n: number, le: boolean) => {
    const bytes = [...b.slice(i, i + n)];
    if (le) bytes.reverse();
    return bytes.map((x) => x.toString(16).padStart(2, '0')).join('');
  };
  return `{${h(0, 4, true)}-${h(4, 2, true)}-${h(6, 2, true)}-${h(8, 2, false)}-${h(10, 6, false)}}`;
}

/** MAX_EVENT_DATA_DESCRIPTORS. */
const MAX_EVENT_DATA_DESCRIPTORS = 128;

/** EtwWrite's checks: a registered handle, at most 128 data descriptors. No session listens: nothing is logged. */
function write(k: Kernel, handle: bigint, userDataCount: number): number {
  if (!etwRegistrations(k).has(handle)) return STATUS.INVALID_HANDLE;
  if (userDataCount > MAX_EVENT_DATA_DESCRIPTORS) return STATUS.INVALID_PARAMETER;
  return STATUS.SUCCESS;
}

// EtwActivityIdControl's control codes (EVENT_ACTIVITY_CTRL_*).
const GET_ID = 1;
const SET_ID = 2;
const CREATE_ID = 3;
const GET_SET_ID = 4;
const CREATE_SET_ID = 5;

/** Each thread's activity id (16 bytes; all zero until set). */
const activityIds = new WeakMap<KThread, Uint8Array>();
/** Activity ids created so far on this machine: the next one is built from the count, so runs repeat. */
const created = new WeakMap<Kernel, number>();

/** A locally unique activity id: a sequence number in the first bytes, the rest fixed. */
function newActivityId(k: Kernel): Uint8Array {
  const n = (created.get(k) ?? 0) + 1;
  created.set(k, n);
  const g = new Uint8Array(16);
  new DataView(g.buffer).setUint32(0, n, true);
  g.set([0x6b, 0x64, 0x65, 0x6d, 0x75, 0x00, 0x00, 0x01], 8);
  return g;
}

/** A provider registration: a pool block holding the GUID, callback and context, whose address is the handle. */
function register(k: Kernel, guid: bigint, callback: bigint, context: bigint, out: bigint, routine: string): number {
  const provider = guidText(k, guid);
  const block = k.pool.allocate(16 + 3 * k.ptrSize, tagOf('EtwR'), 0, 'system', routine);
  if (block === null) return STATUS.NO_MEMORY;
  k.m.write(block, k.m.read(guid, 16));
  k.m.setPtr(block + 16n, callback);
  k.m.setPtr(block + 16n + BigInt(k.ptrSize), context);
  etwRegistrations(k).set(block, { handle: block, provider, callback, context, caller: k.symbolize(k.callerAddress()) });
  // REGHANDLE is a ULONGLONG on both architectures.
  k.m.setU64(out, block);
  return STATUS.SUCCESS;
}

const etw = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...etw, name: 'EtwRegister',
    proto: 'NTSTATUS EtwRegister(LPCGUID ProviderId, PETWENABLECALLBACK EnableCallback, PVOID CallbackContext, PREGHANDLE RegHandle)',
    params: { ProviderId: 'ptr', EnableCallback: 'ptr', CallbackContext: 'ptr', RegHandle: 'ptr' }, ret: 'status',
    impl: (k, a) => register(k, a.ProviderId, a.EnableCallback, a.CallbackContext, a.RegHandle, 'EtwRegister'),
  }),
  defineExport({
    ...etw, name: 'EtwUnregister', proto: 'NTSTATUS EtwUnregister(REGHANDLE RegHandle)',
    params: { RegHandle: 'u64' }, ret: 'status',
    impl: (k, a) => {
      const regs = etwRegistrations(k);
      if (!regs.has(a.RegHandle)) return STATUS.INVALID_HANDLE;
      regs.delete(a.RegHandle);
      k.pool.free_(a.RegHandle, 0);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...etw, name: 'EtwEventEnabled', proto: 'BOOLEAN EtwEventEnabled(REGHANDLE RegHandle, PCEVENT_DESCRIPTOR EventDescriptor)',
    params: { RegHandle: 'u64', EventDescriptor: 'ptr' }, ret: 'bool',
    // No session enabled any provider.
    impl: () => 0,
  }),
  defineExport({
    ...etw, name: 'EtwProviderEnabled', proto: 'BOOLEAN EtwProviderEnabled(REGHANDLE RegHandle, UCHAR Level, ULONGLONG Keyword)',
    params: { RegHandle: 'u64', Level: 'u8', Keyword: 'u64' }, ret: 'bool',
    impl: () => 0,
  }),
  defineExport({
    ...etw, name: 'EtwWrite',
    proto: 'NTSTATUS EtwWrite(REGHANDLE RegHandle, PCEVENT_DESCRIPTOR EventDescriptor, LPCGUID ActivityId, ULONG UserDataCount, PEVENT_DATA_DESCRIPTOR UserData)',
    params: { RegHandle: 'u64', EventDescriptor: 'ptr', ActivityId: 'ptr', UserDataCount: 'u32', UserData: 'ptr' }, ret: 'status',
    impl: (k, a) => write(k, a.RegHandle, a.UserDataCount),
  }),
  defineExport({
    ...etw, name: 'EtwWriteTransfer',
    proto: 'NTSTATUS EtwWriteTransfer(REGHANDLE RegHandle, PCEVENT_DESCRIPTOR EventDescriptor, LPCGUID ActivityId, LPCGUID RelatedActivityId, ULONG UserDataCount, PEVENT_DATA_DESCRIPTOR UserData)',
    params: { RegHandle: 'u64', EventDescriptor: 'ptr', ActivityId: 'ptr', RelatedActivityId: 'ptr', UserDataCount: 'u32', UserData: 'ptr' }, ret: 'status',
    impl: (k, a) => write(k, a.RegHandle, a.UserDataCount),
  }),
  defineExport({
    ...etw, name: 'EtwWriteString',
    proto: 'NTSTATUS EtwWriteString(REGHANDLE RegHandle, UCHAR Level, ULONGLONG Keyword, LPCGUID ActivityId, PCWSTR String)',
    params: { RegHandle: 'u64', Level: 'u8', Keyword: 'u64', ActivityId: 'ptr', String: 'pwstr' }, ret: 'status',
    impl: (k, a) => write(k, a.RegHandle, 0),
  }),
  defineExport({
    ...etw, name: 'EtwActivityIdControl', proto: 'NTSTATUS EtwActivityIdControl(ULONG ControlCode, LPGUID ActivityId)',
    params: { ControlCode: 'u32', ActivityId: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      if (a.ControlCode < GET_ID || a.ControlCode > CREATE_SET_ID || a.ActivityId === 0n) return STATUS.INVALID_PARAMETER;
      const t = k.ps.current;
      const mine = activityIds.get(t) ?? new Uint8Array(16);
      switch (a.ControlCode) {
        case GET_ID:
          k.m.write(a.ActivityId, mine);
          break;
        case SET_ID:
          activityIds.set(t, k.m.read(a.ActivityId, 16));
          break;
        case CREATE_ID:
          k.m.write(a.ActivityId, newActivityId(k));
          break;
        case GET_SET_ID:
          // The caller's id becomes the thread's; the previous one goes back.
          activityIds.set(t, k.m.read(a.ActivityId, 16));
          k.m.write(a.ActivityId, mine);
          break;
        case CREATE_SET_ID:
          activityIds.set(t, newActivityId(k));
          k.m.write(a.ActivityId, mine);
          break;
      }
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...etw, name: 'EtwRegisterClassicProvider',
    proto: 'NTSTATUS EtwRegisterClassicProvider(LPCGUID ProviderGuid, ULONG Type, PETW_CLASSIC_CALLBACK EnableCallback, PVOID CallbackContext, PREGHANDLE RegHandle)',
    params: { ProviderGuid: 'ptr', Type: 'u32', EnableCallback: 'ptr', CallbackContext: 'ptr', RegHandle: 'ptr' }, ret: 'status',
    // A classic (WPP, MOF) provider: registered like a manifest one, unregistered with EtwUnregister; never enabled.
    impl: (k, a) => register(k, a.ProviderGuid, a.EnableCallback, a.CallbackContext, a.RegHandle, 'EtwRegisterClassicProvider'),
  }),
  defineExport({
    ...etw, cc: 'cdecl', name: 'WmiTraceMessage', varargs: true,
    proto: 'NTSTATUS __cdecl WmiTraceMessage(TRACEHANDLE LoggerHandle, ULONG MessageFlags, LPCGUID MessageGuid, USHORT MessageNumber, ...)',
    params: { LoggerHandle: 'u64', MessageFlags: 'u32', MessageGuid: 'ptr', MessageNumber: 'u16' }, ret: 'status',
    // No trace session runs, so no logger handle is valid.
    impl: () => STATUS.INVALID_HANDLE,
  }),
];
