// The C runtimes' process start-up and end, memory, and the small stdlib pieces console programs use.
//
// Start-up is what mingw-w64's and MSVC's CRT start-up code (mainCRTStartup) imports: __getmainargs /
// _configure_narrow_argv, _initterm(_e), the app type, the runtime's variables (_fmode, _commode, __initenv ...).
// exit() runs the atexit/_onexit functions last-registered first, then ends the process.

import { defineData, type DataExportDecl } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { GuestStop, hex } from '../../machine.js';
import { ClientExit, clientOf } from '../process.js';
import { callUserCode, heapAlloc, heapBlockSize, heapFree, heapReAlloc } from '../kernel32/process.js';
import { encodeCodePage } from '../kernel32/nls.js';
import { CRT_MODULE, crtExport, crtString, crtVariable, type Crt } from './common.js';
import { EINVAL, ENOMEM, ERANGE, setErrno } from './errno.js';
import { FAST_FAIL, fastFail, invalidParameter } from './invalid.js';
import { ERRNO_TEXT, iob, writeStream } from './stdio.js';

/** argc, argv and the environment as __getmainargs builds them (kdemu has the arguments already split). */
function argv(k: Kernel, wide: boolean): { argc: number; argv: bigint; env: bigint } {
  return {
    argc: 1 + clientOf(k).options.args.length,
    argv: buildArgv(k, wide),
    // An empty environment: the array holds only its NULL terminator.
    env: crtVariable(k, wide ? '_wenviron' : '_environ', k.ptrSize),
  };
}

function buildArgv(k: Kernel, wide: boolean): bigint {
  return crtVariable(k, wide ? 'argv.w' : 'argv.a', (2 + clientOf(k).options.args.length) * k.ptrSize, (a) => {
    const c = clientOf(k);
    const name = c.options.path.split(/[\\/]/).pop() ?? c.options.path;
    const all = [name, ...c.options.args];
    all.forEach((s, i) => {
      let p: bigint;
      if (wide) {
        p = k.userAlloc(s.length * 2 + 2, 2);
        k.m.writeWString(p, s);
      } else {
        const b = encodeCodePage(s, 0);
        p = k.userAlloc(b.length + 1, 1);
        k.m.write(p, b);
      }
      k.m.setPtr(a + BigInt(i * k.ptrSize), p);
    });
  });
}

/** __getmainargs(&argc, &argv, &env, doWildcard, &startinfo): 0, or -1 when out of memory. */
function getMainArgs(k: Kernel, wide: boolean, pargc: bigint, pargv: bigint, penv: bigint): number {
  const r = argv(k, wide);
  k.m.setU32(pargc, r.argc);
  k.m.setPtr(pargv, r.argv);
  k.m.setPtr(penv, r.env);
  k.m.setU32(crtVariable(k, '__argc', 4), r.argc);
  k.m.setPtr(crtVariable(k, wide ? '__wargv.var' : '__argv.var', k.ptrSize), r.argv);
  return 0;
}

/** _acmdln: the command line in the ANSI code page. */
function acmdln(k: Kernel): bigint {
  return crtVariable(k, '_acmdln', k.ptrSize, (a) => {
    const b = encodeCodePage(clientOf(k).commandLine, 0);
    const s = k.userAlloc(b.length + 1, 1);
    k.m.write(s, b);
    k.m.setPtr(a, s);
  });
}

/** exit: the registered functions, last first (each may register more), then the end of the process. */
function runAtExit(k: Kernel): void {
  const list = clientOf(k).crt.atexit;
  while (list.length) callUserCode(k, list.pop()!);
}

// ---- signals (signal.h): SIGINT 2, SIGILL 4, SIGFPE 8, SIGSEGV 11, SIGTERM 15, SIGBREAK 21, SIGABRT 22 ----
//
// SIGINT, SIGBREAK, SIGABRT (and SIGABRT_COMPAT, 6, the same action) and SIGTERM have one action for the process;
// SIGFPE, SIGILL and SIGSEGV one per thread (the program has one thread). The default action of every one of them
// (raise with SIG_DFL) is _exit(3). A handler raise calls is reset to SIG_DFL first.

const SIGABRT = 22;
const SIGFPE = 8;
const SIG_DFL = 0n;
const SIG_IGN = 1n;
const SIG_GET = 2n; // signal(sig, SIG_GET): the current action, unchanged
const SIG_SGE = 3n;
const SIG_ACK = 4n;
const SIG_ERR = -1n;
const GLOBAL_SIGNALS = new Set([2, 21, 22, 6, 15]);
const THREAD_SIGNALS = new Set([8, 4, 11]);
/** UNIX signals the runtime accepts to ignore: signal() fails on them without setting errno. */
const QUIETLY_UNSUPPORTED = new Set([1, 3, 13, 16, 17]);
/** _FPE_EXPLICITGEN: a SIGFPE handler's second argument when raise() sent it. */
const FPE_EXPLICITGEN = 0x8c;

function signalKey(sig: number): number | undefined {
  if (sig === 6) return SIGABRT;
  return GLOBAL_SIGNALS.has(sig) || THREAD_SIGNALS.has(sig) ? sig : undefined;
}

function signalAction(k: Kernel, sig: number): bigint {
  return clientOf(k).crt.signals.get(signalKey(sig)!) ?? SIG_DFL;
}

/** raise(sig) for a supported signal: ignore, the default (_exit(3)), or the handler (reset to SIG_DFL first). */
function raiseSignal(k: Kernel, sig: number): void {
  const action = signalAction(k, sig);
  if (action === SIG_IGN) return;
  if (action === SIG_DFL) throw new ClientExit(3);
  clientOf(k).crt.signals.set(signalKey(sig)!, SIG_DFL);
  callUserCode(k, action, sig === SIGFPE ? [BigInt(sig), BigInt(FPE_EXPLICITGEN)] : [BigInt(sig)]);
}

/** _set_abort_behavior's flags (UCRT): _WRITE_ABORT_MSG 1 (debug runtimes only), _CALL_REPORTFAULT 2 (the default). */
const CALL_REPORTFAULT = 2;

function abortBehavior(k: Kernel): bigint {
  return crtVariable(k, '__abort_behavior', 4, (a) => k.m.setU32(a, CALL_REPORTFAULT));
}

/**
 * abort(): SIGABRT's handler runs first, if one is set (SIG_IGN does not keep the program alive). msvcrt.dll prints
 * its runtime message, raises SIGABRT and ends with _exit(3); the UCRT raises SIGABRT only for a handler, then with
 * _CALL_REPORTFAULT (its release default) ends with __fastfail(FAST_FAIL_FATAL_APP_EXIT), otherwise _exit(3).
 */
function abort(k: Kernel, crt: Crt): never {
  const from = k.symbolize(k.callerAddress());
  if (crt === 'msvcrt') {
    writeStream(k, 2, new TextEncoder().encode('\nThis application has requested the Runtime to terminate it in an unusual way.\nPlease contact the application\'s support team for more information.\n'));
    if (signalAction(k, SIGABRT) !== SIG_DFL) raiseSignal(k, SIGABRT);
  } else {
    if (signalAction(k, SIGABRT) !== SIG_DFL) raiseSignal(k, SIGABRT);
    if (k.m.u32(abortBehavior(k)) & CALL_REPORTFAULT) fastFail(k, FAST_FAIL.FATAL_APP_EXIT, `the client called abort() from ${from}`);
  }
  clientOf(k).exitCode = 3;
  throw new GuestStop('client-fault', `the client called abort() from ${from} (exit code 3)`, {});
}

function memoryOrNull(k: Kernel, p: bigint): bigint {
  if (p === 0n) setErrno(k, ENOMEM);
  return p;
}

export const exports = [
  // ---- start-up ----
  ...crtExport({
    name: '__getmainargs', proto: 'int __getmainargs(int *argc, char ***argv, char ***env, int doWildCard, _startupinfo *startInfo)',
    params: { argc: 'ptr', argv: 'ptr', env: 'ptr', doWildCard: 'i32', startInfo: 'ptr' }, ret: 'i32',
    impl: () => (k, a) => getMainArgs(k, false, a.argc, a.argv, a.env),
  }, 'msvcrt'),
  ...crtExport({
    name: '__wgetmainargs', proto: 'int __wgetmainargs(int *argc, wchar_t ***argv, wchar_t ***env, int doWildCard, _startupinfo *startInfo)',
    params: { argc: 'ptr', argv: 'ptr', env: 'ptr', doWildCard: 'i32', startInfo: 'ptr' }, ret: 'i32',
    impl: () => (k, a) => getMainArgs(k, true, a.argc, a.argv, a.env),
  }, 'msvcrt'),
  ...crtExport({
    name: '_configure_narrow_argv', proto: 'errno_t _configure_narrow_argv(_crt_argv_mode mode)', params: { mode: 'i32' }, ret: 'i32',
    impl: () => (k) => {
      const r = argv(k, false);
      k.m.setU32(crtVariable(k, '__argc', 4), r.argc);
      k.m.setPtr(crtVariable(k, '__argv.var', k.ptrSize), r.argv);
      return 0;
    },
  }, 'ucrt'),
  ...crtExport({ name: '_initialize_narrow_environment', proto: 'int _initialize_narrow_environment(void)', params: {}, ret: 'i32', impl: () => () => 0 }, 'ucrt'),
  ...crtExport({ name: '_get_initial_narrow_environment', proto: 'char **_get_initial_narrow_environment(void)', params: {}, ret: 'ptr', impl: () => (k) => argv(k, false).env }, 'ucrt'),
  ...crtExport({ name: '__p___argc', proto: 'int *__p___argc(void)', params: {}, ret: 'ptr', impl: () => (k) => crtVariable(k, '__argc', 4) }, 'ucrt'),
  ...crtExport({ name: '__p___argv', proto: 'char ***__p___argv(void)', params: {}, ret: 'ptr', impl: () => (k) => crtVariable(k, '__argv.var', k.ptrSize) }, 'ucrt'),
  ...crtExport({
    name: '_initterm', proto: 'void _initterm(_PVFV *begin, _PVFV *end)', params: { begin: 'ptr', end: 'ptr' }, ret: 'void',
    impl: () => (k, a) => {
      for (let p = a.begin; p < a.end; p += BigInt(k.ptrSize)) {
        const fn = k.m.ptr(p);
        if (fn !== 0n) callUserCode(k, fn);
      }
    },
  }),
  ...crtExport({
    name: '_initterm_e', proto: 'int _initterm_e(_PIFV *begin, _PIFV *end)', params: { begin: 'ptr', end: 'ptr' }, ret: 'i32',
    impl: () => (k, a) => {
      for (let p = a.begin; p < a.end; p += BigInt(k.ptrSize)) {
        const fn = k.m.ptr(p);
        if (fn === 0n) continue;
        const r = Number(BigInt.asIntN(32, callUserCode(k, fn)));
        if (r !== 0) return r;
      }
      return 0;
    },
  }),
  ...crtExport({ name: '__set_app_type', proto: 'void __set_app_type(int type)', params: { type: 'i32' }, ret: 'void', impl: () => (k, a) => void (clientOf(k).crt.appType = a.type) }, 'msvcrt'),
  ...crtExport({ name: '_set_app_type', proto: 'void _set_app_type(_crt_app_type type)', params: { type: 'i32' }, ret: 'void', impl: () => (k, a) => void (clientOf(k).crt.appType = a.type) }, 'ucrt'),
  ...crtExport({ name: '__setusermatherr', proto: 'void __setusermatherr(int (*handler)(struct _exception *))', params: { handler: 'ptr' }, ret: 'void', impl: () => (k, a) => void (clientOf(k).crt.userMathErr = a.handler) }),
  ...crtExport({ name: '__p__fmode', proto: 'int *__p__fmode(void)', params: {}, ret: 'ptr', impl: () => (k) => crtVariable(k, '_fmode', 4) }),
  ...crtExport({ name: '__p__commode', proto: 'int *__p__commode(void)', params: {}, ret: 'ptr', impl: () => (k) => crtVariable(k, '_commode', 4) }),
  ...crtExport({
    name: '_set_fmode', proto: 'errno_t _set_fmode(int mode)', params: { mode: 'i32' }, ret: 'i32',
    impl: (crt) => (k, a) => {
      if (a.mode !== 0x4000 && a.mode !== 0x8000 && a.mode !== 0x10000) {
        // _O_TEXT, _O_BINARY, _O_WTEXT only.
        setErrno(k, EINVAL);
        invalidParameter(k, crt, '_set_fmode');
        return EINVAL;
      }
      k.m.setU32(crtVariable(k, '_fmode', 4), a.mode);
      return 0;
    },
  }, 'ucrt'),
  ...crtExport({
    name: '_lock', proto: 'void _lock(int locknum)', params: { locknum: 'i32' }, ret: 'void',
    impl: () => (k, a) => {
      // The runtime's internal locks; the program's one thread always gets them.
      const l = clientOf(k).crt.locks;
      l.set(a.locknum, (l.get(a.locknum) ?? 0) + 1);
    },
  }, 'msvcrt'),
  ...crtExport({
    name: '_unlock', proto: 'void _unlock(int locknum)', params: { locknum: 'i32' }, ret: 'void',
    impl: () => (k, a) => {
      const l = clientOf(k).crt.locks;
      l.set(a.locknum, Math.max(0, (l.get(a.locknum) ?? 0) - 1));
    },
  }, 'msvcrt'),
  // ---- the end ----
  ...crtExport({
    name: 'exit', proto: 'void exit(int status)', params: { status: 'i32' }, ret: 'void',
    impl: () => (k, a) => {
      runAtExit(k);
      throw new ClientExit(a.status);
    },
  }),
  ...(['_exit', '_Exit'] as const).flatMap((name) =>
    crtExport({
      name, proto: `void ${name}(int status)`, params: { status: 'i32' }, ret: 'void',
      impl: () => (_k, a) => {
        throw new ClientExit(a.status);
      },
    }, name === '_exit' ? undefined : 'ucrt'),
  ),
  ...crtExport({
    name: 'quick_exit', proto: 'void quick_exit(int status)', params: { status: 'i32' }, ret: 'void',
    impl: () => (k, a) => {
      // The at_quick_exit functions, last registered first (those they register run too), then _Exit: no atexit
      // functions, no stream flushing (kdemu's console streams hold nothing back anyway).
      const list = clientOf(k).crt.atQuickExit;
      while (list.length) callUserCode(k, list.pop()!);
      throw new ClientExit(a.status);
    },
  }, 'ucrt'),
  ...crtExport({ name: '_cexit', proto: 'void _cexit(void)', params: {}, ret: 'void', impl: () => (k) => runAtExit(k) }),
  ...crtExport({ name: '_c_exit', proto: 'void _c_exit(void)', params: {}, ret: 'void', impl: () => () => undefined }),
  ...crtExport({
    name: '_amsg_exit', proto: 'void _amsg_exit(int rterrnum)', params: { rterrnum: 'i32' }, ret: 'void',
    impl: () => (k, a) => {
      writeStream(k, 2, new TextEncoder().encode(`\nruntime error R60${String(a.rterrnum).padStart(2, '0')}\n`));
      throw new ClientExit(255);
    },
  }, 'msvcrt'),
  ...crtExport({ name: 'abort', proto: 'void abort(void)', params: {}, ret: 'void', impl: (crt) => (k) => abort(k, crt) }),
  ...crtExport({
    name: '_set_abort_behavior', proto: 'unsigned int _set_abort_behavior(unsigned int flags, unsigned int mask)', params: { flags: 'u32', mask: 'u32' }, ret: 'u32',
    impl: () => (k, a) => {
      const v = abortBehavior(k);
      const old = k.m.u32(v);
      k.m.setU32(v, (old & ~a.mask) | (a.flags & a.mask));
      return old;
    },
  }, 'ucrt'),
  ...crtExport({
    name: 'atexit', proto: 'int atexit(void (*func)(void))', params: { func: 'ptr' }, ret: 'i32',
    impl: () => (k, a) => {
      clientOf(k).crt.atexit.push(a.func);
      return 0;
    },
  }),
  ...crtExport({
    name: '_onexit', proto: '_onexit_t _onexit(_onexit_t function)', params: { function: 'ptr' }, ret: 'ptr',
    impl: () => (k, a) => {
      clientOf(k).crt.atexit.push(a.function);
      return a.function;
    },
  }),
  ...crtExport({
    name: '_crt_atexit', proto: 'int _crt_atexit(_PVFV function)', params: { function: 'ptr' }, ret: 'i32',
    impl: () => (k, a) => {
      clientOf(k).crt.atexit.push(a.function);
      return 0;
    },
  }, 'ucrt'),
  // ---- memory ----
  ...crtExport({ name: 'malloc', proto: 'void *malloc(size_t size)', params: { size: 'usize' }, ret: 'ptr', impl: () => (k, a) => memoryOrNull(k, heapAlloc(k, 0, a.size)) }),
  ...crtExport({
    name: 'calloc', proto: 'void *calloc(size_t number, size_t size)', params: { number: 'usize', size: 'usize' }, ret: 'ptr',
    impl: () => (k, a) => memoryOrNull(k, a.number * a.size > 0xffffffffn ? 0n : heapAlloc(k, 0x8, a.number * a.size)),
  }),
  ...crtExport({
    name: 'realloc', proto: 'void *realloc(void *memblock, size_t size)', params: { memblock: 'ptr', size: 'usize' }, ret: 'ptr',
    impl: () => (k, a) => {
      if (a.memblock === 0n) return memoryOrNull(k, heapAlloc(k, 0, a.size));
      if (a.size === 0n) {
        heapFree(k, a.memblock, 'realloc');
        return 0n;
      }
      return memoryOrNull(k, heapReAlloc(k, a.memblock, a.size, 'realloc'));
    },
  }),
  ...crtExport({
    name: 'free', proto: 'void free(void *memblock)', params: { memblock: 'ptr' }, ret: 'void',
    impl: () => (k, a) => {
      if (a.memblock !== 0n) heapFree(k, a.memblock, 'free');
    },
  }),
  ...crtExport({
    name: '_msize', proto: 'size_t _msize(void *memblock)', params: { memblock: 'ptr' }, ret: 'usize',
    impl: (crt) => (k, a) => {
      if (a.memblock === 0n) {
        setErrno(k, EINVAL);
        invalidParameter(k, crt, '_msize');
        return k.ptrSize === 8 ? 0xffffffffffffffffn : 0xffffffffn;
      }
      const n = heapBlockSize(k, a.memblock);
      if (n === undefined) throw new GuestStop('client-fault', `_msize(${hex(a.memblock)}): not a heap block: STATUS_HEAP_CORRUPTION (0xC0000374)`, {});
      return BigInt(n);
    },
  }),
  // ---- locale and errors ----
  ...crtExport({ name: '__p__acmdln', proto: 'char **__p__acmdln(void)', params: {}, ret: 'ptr', impl: () => (k) => acmdln(k) }),
  ...crtExport({
    name: '__p__environ', proto: 'char ***__p__environ(void)', params: {}, ret: 'ptr',
    impl: () => (k) => crtVariable(k, '__p__environ', k.ptrSize, (a) => k.m.setPtr(a, argv(k, false).env)),
  }),
  ...crtExport({
    name: '__p__wenviron', proto: 'wchar_t ***__p__wenviron(void)', params: {}, ret: 'ptr',
    impl: () => (k) => crtVariable(k, '__p__wenviron', k.ptrSize, (a) => k.m.setPtr(a, argv(k, true).env)),
  }),
  ...crtExport({
    name: '_configure_wide_argv', proto: 'errno_t _configure_wide_argv(_crt_argv_mode mode)', params: { mode: 'i32' }, ret: 'i32',
    impl: () => (k) => {
      const r = argv(k, true);
      k.m.setU32(crtVariable(k, '__argc', 4), r.argc);
      k.m.setPtr(crtVariable(k, '__wargv.var', k.ptrSize), r.argv);
      return 0;
    },
  }, 'ucrt'),
  ...crtExport({ name: '_initialize_wide_environment', proto: 'int _initialize_wide_environment(void)', params: {}, ret: 'i32', impl: () => () => 0 }, 'ucrt'),
  ...crtExport({ name: '_get_initial_wide_environment', proto: 'wchar_t **_get_initial_wide_environment(void)', params: {}, ret: 'ptr', impl: () => (k) => argv(k, true).env }, 'ucrt'),
  ...crtExport({ name: '__p___wargv', proto: 'wchar_t ***__p___wargv(void)', params: {}, ret: 'ptr', impl: () => (k) => crtVariable(k, '__wargv.var', k.ptrSize) }, 'ucrt'),
  ...crtExport({
    name: '_set_new_mode', proto: 'int _set_new_mode(int newhandlermode)', params: { newhandlermode: 'i32' }, ret: 'i32',
    impl: () => (k, a) => {
      const c = clientOf(k).crt;
      const prev = c.newMode;
      c.newMode = a.newhandlermode;
      return prev;
    },
  }),
  ...crtExport({
    name: '_set_invalid_parameter_handler', proto: '_invalid_parameter_handler _set_invalid_parameter_handler(_invalid_parameter_handler pNew)', params: { pNew: 'ptr' }, ret: 'ptr',
    impl: () => (k, a) => {
      const c = clientOf(k).crt;
      const prev = c.invalidParameterHandler;
      c.invalidParameterHandler = a.pNew;
      return prev;
    },
  }),
  ...crtExport({
    name: '_get_invalid_parameter_handler', proto: '_invalid_parameter_handler _get_invalid_parameter_handler(void)', params: {}, ret: 'ptr',
    impl: () => (k) => clientOf(k).crt.invalidParameterHandler,
  }),
  ...crtExport({
    name: '_crt_at_quick_exit', proto: 'int _crt_at_quick_exit(_PVFV function)', params: { function: 'ptr' }, ret: 'i32',
    impl: () => (k, a) => {
      clientOf(k).crt.atQuickExit.push(a.function);
      return 0;
    },
  }, 'ucrt'),
  ...crtExport({
    name: 'setlocale', proto: 'char *setlocale(int category, const char *locale)', params: { category: 'i32', locale: 'pstr' }, ret: 'ptr',
    impl: () => (k, a) => {
      if (a.category < 0 || a.category > 5) return 0n;
      // The runtime stays in the "C" locale: asking for it (or what is set) succeeds, any other locale is not there.
      if (a.locale === 0n) return crtString(k, 'C');
      const name = String.fromCharCode(...k.m.cstring(a.locale, 256));
      return name === 'C' ? crtString(k, 'C') : 0n;
    },
  }),
  ...crtExport({ name: '___lc_codepage_func', proto: 'UINT ___lc_codepage_func(void)', params: {}, ret: 'u32', impl: () => () => 0 }, 'msvcrt'),
  ...crtExport({ name: '___mb_cur_max_func', proto: 'int ___mb_cur_max_func(void)', params: {}, ret: 'i32', impl: () => () => 1 }),
  ...crtExport({
    name: 'localeconv', proto: 'struct lconv *localeconv(void)', params: {}, ret: 'ptr',
    impl: () => (k) =>
      // The "C" locale: decimal_point ".", the other strings empty, the char fields CHAR_MAX.
      crtVariable(k, 'lconv', 10 * k.ptrSize + 8, (a) => {
        for (let i = 0; i < 10; i++) k.m.setPtr(a + BigInt(i * k.ptrSize), crtString(k, i === 0 ? '.' : ''));
        k.m.fill(a + BigInt(10 * k.ptrSize), 8, 127);
      }),
  }),
  ...crtExport({
    name: 'signal', proto: 'void (*signal(int sig, void (*func)(int)))(int)', params: { sig: 'i32', func: 'ptr' }, ret: 'ptr',
    impl: () => (k, a) => {
      const key = signalKey(a.sig);
      if (key === undefined || a.func === SIG_SGE || a.func === SIG_ACK) {
        if (!QUIETLY_UNSUPPORTED.has(a.sig)) setErrno(k, EINVAL);
        return BigInt.asUintN(k.ptrSize * 8, SIG_ERR);
      }
      const s = clientOf(k).crt.signals;
      const prev = s.get(key) ?? SIG_DFL;
      if (a.func !== SIG_GET) s.set(key, a.func);
      return prev;
    },
  }),
  ...crtExport({
    name: 'raise', proto: 'int raise(int sig)', params: { sig: 'i32' }, ret: 'i32',
    impl: (crt) => (k, a) => {
      if (signalKey(a.sig) === undefined) {
        setErrno(k, EINVAL);
        invalidParameter(k, crt, 'raise');
        return -1;
      }
      raiseSignal(k, a.sig);
      return 0;
    },
  }),
  ...crtExport({
    name: '_itoa_s', proto: 'errno_t _itoa_s(int value, char *buffer, size_t size, int radix)', params: { value: 'i32', buffer: 'ptr', size: 'usize', radix: 'i32' }, ret: 'i32',
    impl: (crt) => (k, a) => {
      // The runtimes' checks in their order; each failure sets errno and goes through the invalid parameter handler.
      const fail = (e: number): number => {
        setErrno(k, e);
        invalidParameter(k, crt, '_itoa_s');
        return e;
      };
      if (a.buffer === 0n || a.size === 0n) return fail(EINVAL);
      k.m.setU8(a.buffer, 0);
      const negative = a.radix === 10 && a.value < 0;
      if (a.size <= (negative ? 2n : 1n)) return fail(ERANGE);
      if (a.radix < 2 || a.radix > 36) return fail(EINVAL);
      // Other radixes convert the bits as unsigned; digits past 9 are lower-case letters.
      const text = negative ? '-' + String(-a.value) : (a.value >>> 0).toString(a.radix);
      if (BigInt(text.length) >= a.size) {
        k.m.setU8(a.buffer, 0);
        return fail(ERANGE);
      }
      k.m.write(a.buffer, Uint8Array.from([...text, '\0'].map((ch) => ch.charCodeAt(0))));
      return 0;
    },
  }),
  ...crtExport({
    name: 'strerror', proto: 'char *strerror(int errnum)', params: { errnum: 'i32' }, ret: 'ptr',
    impl: () => (k, a) => crtString(k, ERRNO_TEXT[a.errnum] ?? 'Unknown error'),
  }),
];

/** The runtime's variables programs import as data (__imp__fmode ...). */
export const data: DataExportDecl[] = (['msvcrt', 'ucrt'] as const).flatMap((c) => {
  const module = CRT_MODULE[c];
  const v = (name: string, proto: string, address: (k: Kernel) => bigint) => defineData({ module, name, proto, address });
  const common = [
    v('_fmode', 'int _fmode', (k) => crtVariable(k, '_fmode', 4)),
    v('_commode', 'int _commode', (k) => crtVariable(k, '_commode', 4)),
    v('__argc', 'int __argc', (k) => crtVariable(k, '__argc', 4)),
    v('__argv', 'char **__argv', (k) => crtVariable(k, '__argv.var', k.ptrSize)),
  ];
  if (c === 'ucrt') return common;
  return [
    ...common,
    v('__initenv', 'char **__initenv', (k) => crtVariable(k, '__initenv', k.ptrSize)),
    v('__winitenv', 'wchar_t **__winitenv', (k) => crtVariable(k, '__winitenv', k.ptrSize)),
    v('_acmdln', 'char *_acmdln', acmdln),
    v('__mb_cur_max', 'int __mb_cur_max', (k) => crtVariable(k, '__mb_cur_max', 4, (a) => k.m.setU32(a, 1))),
    v('_iob', 'FILE _iob[]', (k) => iob(k)),
  ];
});
