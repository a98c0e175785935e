// ZwQueryInformationProcess: a process's basic information, image file name, WOW64 state and session, as the kernel
// answers a kernel-mode caller (the handle may be a kernel handle; no access check).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import { STATUS } from '../rtl/ntstatus.js';
import { resolveHandle } from '../ob/handle.js';
import { NORMAL_PRIORITY, type KProcess } from './process.js';
import { sessionOf } from './info.js';

const ProcessBasicInformation = 0;
const ProcessSessionInformation = 24;
const ProcessWow64Information = 26;
const ProcessImageFileName = 27;
const KernelMode = 0;

/** The NT path of a process's image (\Device\HarddiskVolume1 is C:), '' for System, which has no image file. */
export function ntImagePath(p: KProcess): string {
  if (p.kind === 'system') return '';
  return `\\Device\\HarddiskVolume1${p.imagePath.replace(/^[A-Za-z]:/, '')}`;
}

function pebOf(k: Kernel, p: KProcess): bigint {
  if (p.kind === 'system') return 0n;
  if (p === k.ps.clientProcess && k.client) return k.client.peb;
  throw new GuestStop('unsupported-call', `ZwQueryInformationProcess(ProcessBasicInformation) from ${k.symbolize(k.callerAddress())}: ${p.name} has no user address space in kdemu, so no PEB address to report`, { export: 'ntoskrnl.exe!ZwQueryInformationProcess' });
}

interface Answer {
  status: number;
  data?: Uint8Array;
  returnLength: number;
}

function answer(k: Kernel, p: KProcess, cls: number, length: number): Answer {
  const ps = k.ptrSize;
  const put = (v: DataView, off: number, value: bigint) => (ps === 8 ? v.setBigUint64(off, value, true) : v.setUint32(off, Number(value), true));
  switch (cls) {
    case ProcessBasicInformation: {
      // PROCESS_BASIC_INFORMATION: ExitStatus, PebBaseAddress, AffinityMask, BasePriority, UniqueProcessId, InheritedFrom...
      const size = ps === 8 ? 48 : 24;
      if (length !== size) return { status: STATUS.INFO_LENGTH_MISMATCH, returnLength: size };
      const b = new Uint8Array(size);
      const v = new DataView(b.buffer);
      v.setUint32(0, p.exitCode ?? STATUS.PENDING, true);
      put(v, ps, pebOf(k, p));
      put(v, 2 * ps, 1n);
      v.setInt32(3 * ps, NORMAL_PRIORITY, true);
      put(v, 4 * ps, BigInt(p.pid));
      put(v, 5 * ps, BigInt(p.parentPid));
      return { status: STATUS.SUCCESS, data: b, returnLength: size };
    }
    case ProcessSessionInformation: {
      if (length !== 4) return { status: STATUS.INFO_LENGTH_MISMATCH, returnLength: 4 };
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, sessionOf(p), true);
      return { status: STATUS.SUCCESS, data: b, returnLength: 4 };
    }
    case ProcessWow64Information: {
      // A ULONG_PTR: the WOW64 PEB's address, 0 for a native process (kdemu's clients are all native).
      if (length !== ps) return { status: STATUS.INFO_LENGTH_MISMATCH, returnLength: ps };
      return { status: STATUS.SUCCESS, data: new Uint8Array(ps), returnLength: ps };
    }
    default:
      throw new GuestStop('unsupported-call', `ZwQueryInformationProcess class ${cls} from ${k.symbolize(k.callerAddress())}: kdemu answers ProcessBasicInformation, ProcessSessionInformation, ProcessWow64Information and ProcessImageFileName`, { export: 'ntoskrnl.exe!ZwQueryInformationProcess' });
  }
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', cc: 'stdcall', name: 'ZwQueryInformationProcess',
    proto: 'NTSTATUS ZwQueryInformationProcess(HANDLE ProcessHandle, PROCESSINFOCLASS ProcessInformationClass, PVOID ProcessInformation, ULONG ProcessInformationLength, PULONG ReturnLength)',
    params: { ProcessHandle: 'handle', ProcessInformationClass: 'u32', ProcessInformation: 'ptr', ProcessInformationLength: 'u32', ReturnLength: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const r = resolveHandle(k, a.ProcessHandle, KernelMode);
      if (!r) return STATUS.INVALID_HANDLE;
      if (r.type !== 'Process') return STATUS.OBJECT_TYPE_MISMATCH;
      const p = k.ps.processAt(r.body);
      if (!p) throw new GuestStop('fault', `ZwQueryInformationProcess(${hex(a.ProcessHandle)}): no process at ${hex(r.body)}`, { export: 'ntoskrnl.exe!ZwQueryInformationProcess' });
      if (a.ProcessInformationClass === ProcessImageFileName) {
        // A UNICODE_STRING followed by the NUL-terminated text it points to.
        const name = ntImagePath(p);
        const header = k.L.UNICODE_STRING.size;
        const need = header + (name ? name.length * 2 + 2 : 0);
        if (a.ReturnLength !== 0n) k.m.setU32(a.ReturnLength, need);
        if (a.ProcessInformationLength < need) return STATUS.INFO_LENGTH_MISMATCH;
        const o = k.L.UNICODE_STRING.off;
        const text = name ? a.ProcessInformation + BigInt(header) : 0n;
        if (name) k.m.writeWString(text, name);
        k.m.setU16(a.ProcessInformation + BigInt(o.Length), name.length * 2);
        k.m.setU16(a.ProcessInformation + BigInt(o.MaximumLength), name ? name.length * 2 + 2 : 0);
        k.m.setPtr(a.ProcessInformation + BigInt(o.Buffer), text);
        return STATUS.SUCCESS;
      }
      const ans = answer(k, p, a.ProcessInformationClass, a.ProcessInformationLength);
      if (ans.data) k.m.write(a.ProcessInformation, ans.data);
      if (a.ReturnLength !== 0n) k.m.setU32(a.ReturnLength, ans.returnLength);
      return ans.status;
    },
  }),
];
