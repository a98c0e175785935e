// Registry callbacks: CmRegisterCallback, CmRegisterCallbackEx (with an altitude) and CmUnRegisterCallback.
//
// A registration is a callback block in paged pool (tag 'CMcb') holding the routine and its context; its address
// is the cookie (unique while registered). The configuration manager calls the registered routines around each
// registry operation (cm/notify.ts).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { tagOf } from '../io/device.js';
import { readUnicodeString } from '../rtl/unicode.js';

export interface RegistryCallback {
  cookie: bigint;
  routine: bigint;
  context: bigint;
  /** CmRegisterCallbackEx's altitude (unique among registrations); none for CmRegisterCallback. */
  altitude?: string;
  /** Who registered it (module+offset), for reports. */
  caller: string;
}

const registered = new WeakMap<Kernel, RegistryCallback[]>();

/** The registered callbacks, in registration order. */
export function registeredCallbacks(k: Kernel): RegistryCallback[] {
  let list = registered.get(k);
  if (!list) registered.set(k, (list = []));
  return list;
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'CmRegisterCallback',
    cc: 'stdcall',
    proto: 'NTSTATUS CmRegisterCallback(PEX_CALLBACK_FUNCTION Function, PVOID Context, PLARGE_INTEGER Cookie)',
    params: { Function: 'ptr', Context: 'ptr', Cookie: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const block = k.pool.allocate(4 * k.ptrSize, tagOf('CMcb'), 1 /* PagedPool */, 'system', 'CmRegisterCallback');
      if (block === null) return STATUS.INSUFFICIENT_RESOURCES;
      k.m.setPtr(block, a.Function);
      k.m.setPtr(block + BigInt(k.ptrSize), a.Context);
      registeredCallbacks(k).push({ cookie: block, routine: a.Function, context: a.Context, caller: k.symbolize(k.callerAddress()) });
      k.m.setU64(a.Cookie, block);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'CmRegisterCallbackEx',
    cc: 'stdcall',
    proto: 'NTSTATUS CmRegisterCallbackEx(PEX_CALLBACK_FUNCTION Function, PCUNICODE_STRING Altitude, PVOID Driver, PVOID Context, PLARGE_INTEGER Cookie, PVOID Reserved)',
    params: { Function: 'ptr', Altitude: 'pustr', Driver: 'ptr', Context: 'ptr', Cookie: 'ptr', Reserved: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const altitude = readUnicodeString(k, a.Altitude);
      // Two registrations at one altitude: STATUS_FLT_INSTANCE_ALTITUDE_COLLISION, as the configuration manager answers.
      if (registeredCallbacks(k).some((c) => c.altitude === altitude)) return 0xc01c0011;
      const block = k.pool.allocate(4 * k.ptrSize, tagOf('CMcb'), 1 /* PagedPool */, 'system', 'CmRegisterCallbackEx');
      if (block === null) return STATUS.INSUFFICIENT_RESOURCES;
      k.m.setPtr(block, a.Function);
      k.m.setPtr(block + BigInt(k.ptrSize), a.Context);
      registeredCallbacks(k).push({ cookie: block, routine: a.Function, context: a.Context, altitude, caller: k.symbolize(k.callerAddress()) });
      k.m.setU64(a.Cookie, block);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'CmUnRegisterCallback',
    cc: 'stdcall',
    proto: 'NTSTATUS CmUnRegisterCallback(LARGE_INTEGER Cookie)',
    params: { Cookie: 'i64' },
    ret: 'status',
    impl: (k, a) => {
      const list = registeredCallbacks(k);
      const i = list.findIndex((c) => c.cookie === a.Cookie);
      if (i < 0) return STATUS.INVALID_PARAMETER;
      list.splice(i, 1);
      k.pool.free_(a.Cookie, 0);
      return STATUS.SUCCESS;
    },
  }),
];
