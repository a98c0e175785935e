// The DbgPrint family: DbgPrint, DbgPrintEx, vDbgPrintEx, vDbgPrintExWithPrefix.

import { defineExport, type VarArgs } from '../export.js';
import type { Kernel } from '../kernel.js';
import { hex } from '../machine.js';
import { decodeBytes } from '../rtl/text.js';
import { DBGPRINT_BUFFER_SIZE, formatDbgPrint } from './format.js';

/** A va_list in guest memory: a pointer to consecutive argument slots (4 bytes on x86, 8 on x64). */
export function vaList(k: Kernel, p: bigint): VarArgs {
  let cur = p;
  const step = BigInt(k.ptrSize);
  return {
    int32: () => {
      const v = k.m.u32(cur);
      cur += step;
      return v;
    },
    int64: () => {
      const v = k.m.u64(cur);
      cur += 8n;
      return v;
    },
    ptr: () => {
      const v = k.m.ptr(cur);
      cur += step;
      return v;
    },
  };
}

/**
 * Formats and records one message. A bad pointer among the arguments does not crash: Windows' DbgPrint runs its
 * formatter under __try and returns the exception code having printed nothing, and so does this.
 */
function print(k: Kernel, prefix: bigint, format: bigint, va: VarArgs): number {
  const pre = prefix === 0n ? new Uint8Array(0) : k.m.cstring(prefix, DBGPRINT_BUFFER_SIZE);
  const r = formatDbgPrint(k.m.cstring(format, 0x10000), va, { read: (a, n) => k.m.tryRead(a, n) }, k.arch, pre);
  if (r.fault) {
    k.trace.emit({ type: 'dbgprint', text: '', note: `formatting read unmapped memory at ${hex(r.fault.address)} (${r.fault.what}); DbgPrint printed nothing and returned STATUS_ACCESS_VIOLATION` });
    return r.status;
  }
  for (const w of r.countWrites) k.m.write(w.address, new Uint8Array(new BigUint64Array([BigInt(w.value)]).buffer).subarray(0, w.size));
  const text = decodeBytes(r.bytes);
  k.dbgPrint.push(text);
  // The real DbgPrint formats into a 512-byte buffer; the text past it is lost on Windows too, so say so.
  k.trace.emit({ type: 'dbgprint', text, ...(r.truncated ? { note: `truncated to ${r.bytes.length} bytes as DbgPrint does` } : {}) });
  return r.status;
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'DbgPrint',
    cc: 'cdecl',
    proto: 'ULONG DbgPrint(PCSTR Format, ...)',
    params: { Format: 'pstr' },
    varargs: true,
    ret: 'status',
    impl: (k, a, va) => print(k, 0n, a.Format, va),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'DbgPrintEx',
    cc: 'cdecl',
    proto: 'ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)',
    params: { ComponentId: 'u32', Level: 'u32', Format: 'pstr' },
    varargs: true,
    ret: 'status',
    impl: (k, a, va) => print(k, 0n, a.Format, va),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'vDbgPrintEx',
    cc: 'stdcall',
    proto: 'ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist)',
    params: { ComponentId: 'u32', Level: 'u32', Format: 'pstr', arglist: 'ptr' },
    ret: 'status',
    impl: (k, a) => print(k, 0n, a.Format, vaList(k, a.arglist)),
  }),
  defineExport({
    module: 'ntoskrnl.exe',
    name: 'vDbgPrintExWithPrefix',
    cc: 'stdcall',
    proto: 'ULONG vDbgPrintExWithPrefix(PCCH Prefix, ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist)',
    params: { Prefix: 'pstr', ComponentId: 'u32', Level: 'u32', Format: 'pstr', arglist: 'ptr' },
    ret: 'status',
    impl: (k, a) => print(k, a.Prefix, a.Format, vaList(k, a.arglist)),
  }),
];
