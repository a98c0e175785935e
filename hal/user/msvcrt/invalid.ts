// The C runtimes' invalid parameter handling (_set_invalid_parameter_handler), and the fast fail that ends a process
// without any handler seeing it.
//
// A runtime function that finds an invalid argument sets errno, calls the process's invalid parameter handler with
// (expression, function, file, line, reserved), all NULL and 0 in the release runtimes, and, when the handler
// returns, returns its error. With no handler set, the runtimes differ: Windows' msvcrt.dll goes on (for app
// compatibility it ignores invalid parameters), the UCRT calls _invoke_watson, which ends the process with
// __fastfail(FAST_FAIL_INVALID_ARG): exit code STATUS_STACK_BUFFER_OVERRUN, no exception handler runs (on Windows
// before 8, without the fast-fail instruction, the code was STATUS_INVALID_CRUNTIME_PARAMETER).

import type { Kernel } from '../../kernel.js';
import { GuestStop } from '../../machine.js';
import { callUserCode } from '../kernel32/process.js';
import { clientOf } from '../process.js';
import type { Crt } from './common.js';

/** __fastfail codes (winnt.h) the runtimes use. */
export const FAST_FAIL = { INVALID_ARG: 5, FATAL_APP_EXIT: 7 } as const;

const FAST_FAIL_NAMES: Record<number, string> = { 5: 'FAST_FAIL_INVALID_ARG', 7: 'FAST_FAIL_FATAL_APP_EXIT' };

/**
 * __fastfail(code): int 29 ends the process at once with STATUS_STACK_BUFFER_OVERRUN as its exit code; no exception
 * handler, filter or atexit function runs. Windows Error Reporting sees it: a client fault.
 */
export function fastFail(k: Kernel, code: number, why: string): never {
  clientOf(k).exitCode = 0xc0000409;
  throw new GuestStop('client-fault', `${why}: __fastfail(${FAST_FAIL_NAMES[code] ?? code}) ends the process: STATUS_STACK_BUFFER_OVERRUN (0xC0000409)`, {});
}

/**
 * An invalid parameter found by runtime function fn (errno already set, as the runtimes' _VALIDATE_ macros do):
 * the handler runs and this returns (the function then returns its error), or the UCRT's default ends the process.
 */
export function invalidParameter(k: Kernel, crt: Crt, fn: string): void {
  const handler = clientOf(k).crt.invalidParameterHandler;
  if (handler !== 0n) {
    callUserCode(k, handler, [0n, 0n, 0n, 0n, 0n]);
    return;
  }
  if (crt === 'msvcrt') return;
  fastFail(k, FAST_FAIL.INVALID_ARG, `${fn}, called from ${k.symbolize(k.callerAddress())}, got an invalid parameter and no invalid parameter handler is set: the UCRT's default (_invoke_watson)`);
}
