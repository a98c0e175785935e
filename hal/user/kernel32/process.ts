// kernel32's process and thread functions: ids, the last error, exit, the command line, modules, start-up
// information, TLS slots, time, the process heap, and code-page conversion.

import { defineExport } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { GuestStop, hex } from '../../machine.js';
import { virtualUs } from '../../ke/clock.js';
import { BOOT_SYSTEM_TIME } from '../../boot.js';
import { ClientExit, TEB, TLS_SLOTS, clientOf } from '../process.js';
import { ERROR, k32, pseudoHandle, setLastError } from './common.js';
import { decodeCodePage, encodeCodePage, knownCodePage, utf16Text } from './nls.js';

const HEAP_ZERO_MEMORY = 0x8;
const HEAP_TAG = 0x70616548; // 'Heap'

/** The DLLs whose exports kdemu implements, with the module handles GetModuleHandle gives for them. */
const SYSTEM_DLLS = ['kernel32.dll', 'kernelbase.dll', 'ntdll.dll', 'msvcrt.dll', 'ucrtbase.dll'];

function moduleHandle(k: Kernel, name: string | null): bigint {
  const c = clientOf(k);
  if (name === null) return c.base;
  let n = name.split(/[\\/]/).pop()!.toLowerCase();
  if (!n.includes('.')) n += '.dll';
  const exe = (c.options.path.split(/[\\/]/).pop() ?? '').toLowerCase();
  if (n === exe) return c.base;
  const i = SYSTEM_DLLS.indexOf(n);
  if (i < 0) {
    // GetModuleHandle: not loaded; LoadLibrary: not found on the machine. Both ERROR_MOD_NOT_FOUND.
    setLastError(k, ERROR.MOD_NOT_FOUND);
    return 0n;
  }
  // One page per DLL at the top of the user stub region: an address no code runs from.
  const l = k.m.layout;
  return l.userStubs + BigInt(l.userStubsSize) - BigInt((SYSTEM_DLLS.length - i) * 0x1000);
}

function procAddress(k: Kernel, module: bigint, name: string): bigint {
  const l = k.m.layout;
  const top = l.userStubs + BigInt(l.userStubsSize);
  const i = SYSTEM_DLLS.length - Number((top - module) / 0x1000n);
  const dll = module < top && module >= top - BigInt(SYSTEM_DLLS.length * 0x1000) && (top - module) % 0x1000n === 0n ? SYSTEM_DLLS[i] : undefined;
  if (!dll || !k.findExport(dll, name)) {
    setLastError(k, dll ? ERROR.PROC_NOT_FOUND : ERROR.MOD_NOT_FOUND);
    return 0n;
  }
  return k.resolveImport(dll, name, true);
}

function heapAlloc(k: Kernel, flags: number, size: bigint): bigint {
  if (size > 0x7fff0000n) return 0n;
  const p = k.userHeap.allocate(Number(size), HEAP_TAG, 0, 'system', 'HeapAlloc');
  if (p === null) return 0n;
  if (flags & HEAP_ZERO_MEMORY) k.m.fill(p, Number(size));
  return p;
}

/** Frees a block of the process heap; anything else is heap corruption, which ends the process on Windows. */
export function heapFree(k: Kernel, p: bigint, fn: string): void {
  if (!k.userHeap.block(p)) {
    throw new GuestStop('client-fault', `${fn}(${hex(p)}) from ${k.symbolize(k.callerAddress())}: not a block of the process heap: STATUS_HEAP_CORRUPTION (0xC0000374)`, {});
  }
  k.userHeap.free_(p, 0);
}

export function heapReAlloc(k: Kernel, p: bigint, size: bigint, fn: string): bigint {
  const b = k.userHeap.block(p);
  if (!b) throw new GuestStop('client-fault', `${fn}(${hex(p)}) from ${k.symbolize(k.callerAddress())}: not a block of the process heap: STATUS_HEAP_CORRUPTION (0xC0000374)`, {});
  const q = heapAlloc(k, 0, size);
  if (q === 0n) return 0n;
  const n = Math.min(b.size, Number(size));
  if (n > 0) k.m.write(q, k.m.read(p, n));
  k.userHeap.free_(p, 0);
  return q;
}

export { heapAlloc };

function tlsSlot(k: Kernel, i: number): bigint {
  return clientOf(k).teb + BigInt(TEB[k.arch].tlsSlots + i * k.ptrSize);
}

function startupInfo(k: Kernel, p: bigint): void {
  const size = k.ptrSize === 8 ? 0x68 : 0x44;
  k.m.fill(p, size);
  k.m.setU32(p, size);
}

function commandLine(k: Kernel, wide: boolean): bigint {
  const c = clientOf(k);
  if (wide) {
    if (c.commandLineW === 0n) {
      c.commandLineW = k.userAlloc(c.commandLine.length * 2 + 2, 2);
      k.m.writeWString(c.commandLineW, c.commandLine);
    }
    return c.commandLineW;
  }
  if (c.commandLineA === 0n) {
    const b = encodeCodePage(c.commandLine, 0);
    c.commandLineA = k.userAlloc(b.length + 1, 1);
    k.m.write(c.commandLineA, b);
  }
  return c.commandLineA;
}

export const exports = [
  defineExport({ ...k32, name: 'GetLastError', proto: 'DWORD GetLastError(VOID)', params: {}, ret: 'u32', impl: (k) => clientOf(k).lastError }),
  defineExport({
    ...k32, name: 'SetLastError', proto: 'VOID SetLastError(DWORD dwErrCode)', params: { dwErrCode: 'u32' }, ret: 'void',
    impl: (k, a) => setLastError(k, a.dwErrCode),
  }),
  defineExport({ ...k32, name: 'GetCurrentProcessId', proto: 'DWORD GetCurrentProcessId(VOID)', params: {}, ret: 'u32', impl: (k) => k.ps.userPid }),
  defineExport({ ...k32, name: 'GetCurrentThreadId', proto: 'DWORD GetCurrentThreadId(VOID)', params: {}, ret: 'u32', impl: (k) => k.ps.userTid }),
  defineExport({ ...k32, name: 'GetCurrentProcess', proto: 'HANDLE GetCurrentProcess(VOID)', params: {}, ret: 'handle', impl: (k) => pseudoHandle(k, 1) }),
  defineExport({ ...k32, name: 'GetCurrentThread', proto: 'HANDLE GetCurrentThread(VOID)', params: {}, ret: 'handle', impl: (k) => pseudoHandle(k, 2) }),
  defineExport({
    ...k32, name: 'ExitProcess', proto: 'VOID ExitProcess(UINT uExitCode)', params: { uExitCode: 'u32' }, ret: 'void',
    impl: (_k, a) => {
      throw new ClientExit(a.uExitCode);
    },
  }),
  defineExport({ ...k32, name: 'GetCommandLineA', proto: 'LPSTR GetCommandLineA(VOID)', params: {}, ret: 'ptr', impl: (k) => commandLine(k, false) }),
  defineExport({ ...k32, name: 'GetCommandLineW', proto: 'LPWSTR GetCommandLineW(VOID)', params: {}, ret: 'ptr', impl: (k) => commandLine(k, true) }),
  defineExport({
    ...k32, name: 'GetModuleHandleA', proto: 'HMODULE GetModuleHandleA(LPCSTR lpModuleName)', params: { lpModuleName: 'pstr' }, ret: 'ptr',
    impl: (k, a) => moduleHandle(k, a.lpModuleName === 0n ? null : String.fromCharCode(...k.m.cstring(a.lpModuleName, 260))),
  }),
  defineExport({
    ...k32, name: 'GetModuleHandleW', proto: 'HMODULE GetModuleHandleW(LPCWSTR lpModuleName)', params: { lpModuleName: 'pwstr' }, ret: 'ptr',
    impl: (k, a) => moduleHandle(k, a.lpModuleName === 0n ? null : k.m.wstring(a.lpModuleName, 260)),
  }),
  ...(['A', 'W'] as const).map((w) =>
    defineExport({
      ...k32, name: `LoadLibrary${w}`, proto: `HMODULE LoadLibrary${w}(LPC${w === 'W' ? 'W' : ''}STR lpLibFileName)`, params: { lpLibFileName: w === 'W' ? 'pwstr' : 'pstr' }, ret: 'ptr',
      // Only the system DLLs kdemu provides exist in the emulated machine; any other DLL is not found.
      impl: (k, a) => moduleHandle(k, w === 'W' ? k.m.wstring(a.lpLibFileName, 260) : String.fromCharCode(...k.m.cstring(a.lpLibFileName, 260))),
    }),
  ),
  defineExport({ ...k32, name: 'FreeLibrary', proto: 'BOOL FreeLibrary(HMODULE hLibModule)', params: { hLibModule: 'ptr' }, ret: 'i32', impl: () => 1 }),
  defineExport({
    ...k32, name: 'GetProcAddress', proto: 'FARPROC GetProcAddress(HMODULE hModule, LPCSTR lpProcName)', params: { hModule: 'ptr', lpProcName: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      if (a.lpProcName < 0x10000n) {
        setLastError(k, ERROR.PROC_NOT_FOUND); // by ordinal: kdemu's DLLs have no ordinals
        return 0n;
      }
      return procAddress(k, a.hModule, String.fromCharCode(...k.m.cstring(a.lpProcName, 256)));
    },
  }),
  ...(['A', 'W'] as const).map((w) =>
    defineExport({
      ...k32, name: `GetStartupInfo${w}`, proto: `VOID GetStartupInfo${w}(LPSTARTUPINFO${w} lpStartupInfo)`, params: { lpStartupInfo: 'ptr' }, ret: 'void',
      impl: (k, a) => startupInfo(k, a.lpStartupInfo),
    }),
  ),
  defineExport({
    ...k32, name: 'SetUnhandledExceptionFilter',
    proto: 'LPTOP_LEVEL_EXCEPTION_FILTER SetUnhandledExceptionFilter(LPTOP_LEVEL_EXCEPTION_FILTER lpTopLevelExceptionFilter)',
    params: { lpTopLevelExceptionFilter: 'ptr' }, ret: 'ptr',
    impl: (k, a) => {
      const c = clientOf(k);
      const prev = c.unhandledExceptionFilter;
      c.unhandledExceptionFilter = a.lpTopLevelExceptionFilter;
      return prev;
    },
  }),
  defineExport({
    ...k32, name: 'TlsAlloc', proto: 'DWORD TlsAlloc(VOID)', params: {}, ret: 'u32',
    impl: (k) => {
      const c = clientOf(k);
      const i = c.tlsUsed.indexOf(false);
      if (i < 0) return 0xffffffff; // TLS_OUT_OF_INDEXES (the expansion slots are not modelled)
      c.tlsUsed[i] = true;
      k.m.setPtr(tlsSlot(k, i), 0n);
      return i;
    },
  }),
  defineExport({
    ...k32, name: 'TlsFree', proto: 'BOOL TlsFree(DWORD dwTlsIndex)', params: { dwTlsIndex: 'u32' }, ret: 'i32',
    impl: (k, a) => {
      const c = clientOf(k);
      if (a.dwTlsIndex >= TLS_SLOTS || !c.tlsUsed[a.dwTlsIndex]) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return 0;
      }
      c.tlsUsed[a.dwTlsIndex] = false;
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'TlsGetValue', proto: 'LPVOID TlsGetValue(DWORD dwTlsIndex)', params: { dwTlsIndex: 'u32' }, ret: 'ptr',
    impl: (k, a) => {
      if (a.dwTlsIndex >= TLS_SLOTS) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return 0n;
      }
      setLastError(k, ERROR.SUCCESS); // documented: callers tell a stored 0 from failure by the last error
      return k.m.ptr(tlsSlot(k, a.dwTlsIndex));
    },
  }),
  defineExport({
    ...k32, name: 'TlsSetValue', proto: 'BOOL TlsSetValue(DWORD dwTlsIndex, LPVOID lpTlsValue)', params: { dwTlsIndex: 'u32', lpTlsValue: 'ptr' }, ret: 'i32',
    impl: (k, a) => {
      if (a.dwTlsIndex >= TLS_SLOTS) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return 0;
      }
      k.m.setPtr(tlsSlot(k, a.dwTlsIndex), a.lpTlsValue);
      return 1;
    },
  }),
  defineExport({ ...k32, name: 'GetTickCount', proto: 'DWORD GetTickCount(VOID)', params: {}, ret: 'u32', impl: (k) => Number((virtualUs(k) / 1000n) & 0xffffffffn) }),
  defineExport({ ...k32, name: 'GetTickCount64', proto: 'ULONGLONG GetTickCount64(VOID)', params: {}, ret: 'u64', impl: (k) => virtualUs(k) / 1000n }),
  defineExport({
    ...k32, name: 'QueryPerformanceCounter', proto: 'BOOL QueryPerformanceCounter(LARGE_INTEGER *lpPerformanceCount)', params: { lpPerformanceCount: 'ptr' }, ret: 'i32',
    impl: (k, a) => {
      k.m.setU64(a.lpPerformanceCount, virtualUs(k) * 10n); // 10 MHz, as Windows 10 reports on most machines
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'QueryPerformanceFrequency', proto: 'BOOL QueryPerformanceFrequency(LARGE_INTEGER *lpFrequency)', params: { lpFrequency: 'ptr' }, ret: 'i32',
    impl: (k, a) => {
      k.m.setU64(a.lpFrequency, 10_000_000n);
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'GetSystemTimeAsFileTime', proto: 'VOID GetSystemTimeAsFileTime(LPFILETIME lpSystemTimeAsFileTime)', params: { lpSystemTimeAsFileTime: 'ptr' }, ret: 'void',
    impl: (k, a) => k.m.setU64(a.lpSystemTimeAsFileTime, BOOT_SYSTEM_TIME + virtualUs(k) * 10n),
  }),
  // The process heap (one heap: GetProcessHeap's handle is its base).
  defineExport({ ...k32, name: 'GetProcessHeap', proto: 'HANDLE GetProcessHeap(VOID)', params: {}, ret: 'handle', impl: (k) => k.m.layout.user }),
  defineExport({
    ...k32, name: 'HeapAlloc', proto: 'LPVOID HeapAlloc(HANDLE hHeap, DWORD dwFlags, SIZE_T dwBytes)', params: { hHeap: 'handle', dwFlags: 'u32', dwBytes: 'usize' }, ret: 'ptr',
    impl: (k, a) => heapAlloc(k, a.dwFlags, a.dwBytes),
  }),
  defineExport({
    ...k32, name: 'HeapFree', proto: 'BOOL HeapFree(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem)', params: { hHeap: 'handle', dwFlags: 'u32', lpMem: 'ptr' }, ret: 'i32',
    impl: (k, a) => {
      if (a.lpMem !== 0n) heapFree(k, a.lpMem, 'HeapFree');
      return 1;
    },
  }),
  defineExport({
    ...k32, name: 'HeapReAlloc', proto: 'LPVOID HeapReAlloc(HANDLE hHeap, DWORD dwFlags, LPVOID lpMem, SIZE_T dwBytes)', params: { hHeap: 'handle', dwFlags: 'u32', lpMem: 'ptr', dwBytes: 'usize' }, ret: 'ptr',
    impl: (k, a) => {
      const old = k.userHeap.block(a.lpMem)?.size ?? 0;
      const q = heapReAlloc(k, a.lpMem, a.dwBytes, 'HeapReAlloc');
      if (q !== 0n && a.dwFlags & HEAP_ZERO_MEMORY && Number(a.dwBytes) > old) k.m.fill(q + BigInt(old), Number(a.dwBytes) - old);
      return q;
    },
  }),
  defineExport({
    ...k32, name: 'HeapSize', proto: 'SIZE_T HeapSize(HANDLE hHeap, DWORD dwFlags, LPCVOID lpMem)', params: { hHeap: 'handle', dwFlags: 'u32', lpMem: 'ptr' }, ret: 'usize',
    impl: (k, a) => {
      const b = k.userHeap.block(a.lpMem);
      return b ? BigInt(b.size) : k.ptrSize === 8 ? 0xffffffffffffffffn : 0xffffffffn;
    },
  }),
  // Code pages.
  defineExport({ ...k32, name: 'GetACP', proto: 'UINT GetACP(VOID)', params: {}, ret: 'u32', impl: () => 1252 }),
  defineExport({ ...k32, name: 'GetOEMCP', proto: 'UINT GetOEMCP(VOID)', params: {}, ret: 'u32', impl: () => 437 }),
  defineExport({ ...k32, name: 'GetConsoleOutputCP', proto: 'UINT GetConsoleOutputCP(VOID)', params: {}, ret: 'u32', impl: () => 437 }),
  defineExport({
    ...k32, name: 'IsDBCSLeadByteEx', proto: 'BOOL IsDBCSLeadByteEx(UINT CodePage, BYTE TestChar)', params: { CodePage: 'u32', TestChar: 'u8' }, ret: 'i32',
    impl: (k, a) => {
      if (!knownCodePage(a.CodePage)) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return 0;
      }
      return 0; // the single-byte code pages kdemu knows have no lead bytes
    },
  }),
  defineExport({
    ...k32, name: 'MultiByteToWideChar',
    proto: 'int MultiByteToWideChar(UINT CodePage, DWORD dwFlags, LPCCH lpMultiByteStr, int cbMultiByte, LPWSTR lpWideCharStr, int cchWideChar)',
    params: { CodePage: 'u32', dwFlags: 'u32', lpMultiByteStr: 'ptr', cbMultiByte: 'i32', lpWideCharStr: 'ptr', cchWideChar: 'i32' },
    ret: 'i32',
    impl: (k, a) => {
      if (!knownCodePage(a.CodePage) || a.lpMultiByteStr === 0n || a.cbMultiByte === 0 || a.cchWideChar < 0) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return 0;
      }
      // -1: the string and its terminating NUL.
      const src = a.cbMultiByte < 0 ? Uint8Array.from([...k.m.cstring(a.lpMultiByteStr), 0]) : k.m.read(a.lpMultiByteStr, a.cbMultiByte);
      const text = decodeCodePage(src, a.CodePage);
      if (a.cchWideChar === 0) return text.length;
      if (text.length > a.cchWideChar) {
        setLastError(k, ERROR.INSUFFICIENT_BUFFER);
        return 0;
      }
      k.m.writeWString(a.lpWideCharStr, text, false);
      return text.length;
    },
  }),
  defineExport({
    ...k32, name: 'WideCharToMultiByte',
    proto: 'int WideCharToMultiByte(UINT CodePage, DWORD dwFlags, LPCWCH lpWideCharStr, int cchWideChar, LPSTR lpMultiByteStr, int cbMultiByte, LPCCH lpDefaultChar, LPBOOL lpUsedDefaultChar)',
    params: { CodePage: 'u32', dwFlags: 'u32', lpWideCharStr: 'ptr', cchWideChar: 'i32', lpMultiByteStr: 'ptr', cbMultiByte: 'i32', lpDefaultChar: 'ptr', lpUsedDefaultChar: 'ptr' },
    ret: 'i32',
    impl: (k, a) => {
      if (!knownCodePage(a.CodePage) || a.lpWideCharStr === 0n || a.cchWideChar === 0 || a.cbMultiByte < 0) {
        setLastError(k, ERROR.INVALID_PARAMETER);
        return 0;
      }
      const text = a.cchWideChar < 0 ? k.m.wstring(a.lpWideCharStr) + '\0' : utf16Text(k.m.read(a.lpWideCharStr, a.cchWideChar * 2));
      const dflt = a.lpDefaultChar !== 0n ? k.m.u8(a.lpDefaultChar) : 0x3f;
      const { bytes, usedDefault } = encodeCodePage(text, a.CodePage, dflt, true);
      if (a.lpUsedDefaultChar !== 0n) k.m.setU32(a.lpUsedDefaultChar, usedDefault ? 1 : 0);
      if (a.cbMultiByte === 0) return bytes.length;
      if (bytes.length > a.cbMultiByte) {
        setLastError(k, ERROR.INSUFFICIENT_BUFFER);
        return 0;
      }
      k.m.write(a.lpMultiByteStr, bytes);
      return bytes.length;
    },
  }),
];
