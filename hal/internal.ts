// Internal errors: a bug in kdemu, never the guest's doing (guest misbehaviour always ends in a typed outcome). They
// end the run with outcome internal-error (exit 3), and the report names the kdemu function where it happened.

const ISSUES = 'please report it as a kdemu bug, with the driver and the command line';

/** The innermost kdemu function on the error's stack, as `Function (hal/file.js:line)`; machine paths stripped. */
export function internalWhere(e: unknown): string {
  const stack = e instanceof Error && typeof e.stack === 'string' ? e.stack.split('\n') : [];
  for (const line of stack) {
    const m = /^\s+at (?:(.+?) \()?(?:file:\/\/)?([^()]*?)(?::(\d+))?(?::\d+)?\)?$/.exec(line);
    if (!m) continue;
    const rel = /(?:^|\/)((?:emu|hal|bin|bench)\/[^/].*)$/.exec(m[2]);
    if (!rel) continue;
    return `${m[1] ?? '<anonymous>'} (${rel[1]}${m[3] ? ':' + m[3] : ''})`;
  }
  return 'unknown';
}

export function internalMessage(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** One line for stderr when kdemu fails outside a run's report. */
export function internalErrorLine(e: unknown): string {
  return `internal error in ${internalWhere(e)}: ${internalMessage(e)} (${ISSUES})`;
}

/** The report's stop reason for an internal error. */
export function internalStopReason(e: unknown): string {
  return `kdemu failed internally in ${internalWhere(e)}: ${internalMessage(e)}; ${ISSUES}`;
}
