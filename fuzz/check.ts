// The checks every kdemu command line run by the fuzzer must pass, whatever its input: an exit code of the contract
// (0 completed, 1 the guest stopped abnormally, 2 bad input), one line on stderr for exit 2, a JSON report that
// parses and agrees with the exit code, never a host stack trace, and bounded wall time.

/** Report outcomes of the contract (hal/report.ts) other than internal-error, which is a failure. */
export const ABNORMAL = ['bugcheck', 'fault', 'unsupported-call', 'unsupported-instruction', 'instruction-limit', 'timeout', 'deadlock', 'client-fault', 'resource-limit'];

export interface RunResult {
  argv: string[];
  /** runCli's return value; null when it threw instead of returning. */
  exit: number | null;
  stdout: string;
  stderr: string;
  /** What runCli threw, if it did. */
  threw?: string;
  /** Anything written to the process's own streams or console during the run (runCli must write through its io). */
  stray?: string;
  wallMs: number;
}

export interface Verdict {
  /** Outcome class for the summary, e.g. "run 1 bugcheck", "info 2", "run 3". */
  key: string;
  problems: string[];
}

export interface CheckOptions {
  /** The command line is certainly wrong: exit 2 expected. */
  expectUsageError?: boolean;
  /** Wall-time bound of one command line, ms. */
  maxWallMs: number;
}

/** A V8 stack frame line ("    at f (file.js:1:2)"), or Node's "node:internal" frames. */
const STACK_LINE = /^\s+at (?:.+ \()?(?:file:\/\/|node:|\/|[A-Za-z]:\\|<anonymous>|native)[^\n]*\)?$/m;
const STACK_LOOSE = /^ {4}at \S/m;

export function hasStackTrace(text: string, strict = false): boolean {
  return STACK_LINE.test(text) || (strict && STACK_LOOSE.test(text));
}

function tokensBeforeDashDash(argv: string[]): string[] {
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
}

export function checkRun(r: RunResult, o: CheckOptions): Verdict {
  const problems: string[] = [];
  const cmd = r.argv[0] ?? '';
  const known = cmd === 'run' || cmd === 'info' || cmd === 'exports';
  const opts = tokensBeforeDashDash(r.argv.slice(1));
  const json = known && opts.includes('--json');
  const traceToStdout = opts.some((t, i) => (t === '--trace' && opts[i + 1] === '-') || t === '--trace=-');
  let outcome: string | undefined;

  if (r.threw !== undefined) problems.push(`runCli threw instead of returning: ${firstLine(r.threw)}`);
  if (r.exit !== null && ![0, 1, 2].includes(r.exit)) problems.push(`exit code ${r.exit} is outside the contract (0, 1, 2)`);
  if (r.exit === 3) problems.push(`internal error (exit 3)${r.stderr ? ': ' + firstLine(r.stderr) : ''}`);
  // Stack traces: anywhere on stderr (kdemu writes one-liners only), or frame-shaped lines anywhere on stdout.
  if (hasStackTrace(r.stderr, true)) problems.push(`host stack trace on stderr: ${firstLine(r.stderr)}`);
  if (hasStackTrace(r.stdout)) problems.push('host stack trace on stdout');
  if (r.stray) problems.push(`output outside the CLI's io: ${firstLine(r.stray)}`);

  if (r.exit === 2) {
    if (!/^kdemu: [^\n]+\n$/.test(r.stderr)) problems.push(`exit 2 without exactly one "kdemu: ..." line on stderr: ${JSON.stringify(r.stderr.slice(0, 300))}`);
    if (r.stdout !== '' && !traceToStdout) problems.push(`exit 2 with output on stdout: ${JSON.stringify(r.stdout.slice(0, 200))}`);
  }
  if (o.expectUsageError && r.exit !== 2 && r.exit !== null) problems.push(`an invalid command line ended in exit ${r.exit}, not 2`);

  // The report of a run with --json: it parses, its outcome is of the contract and agrees with the exit code.
  if (cmd === 'run' && json && !traceToStdout && (r.exit === 0 || r.exit === 1 || (r.exit === 3 && r.stdout !== ''))) {
    let report: unknown;
    try {
      report = JSON.parse(r.stdout);
    } catch (e) {
      problems.push(`--json report does not parse: ${(e as Error).message}`);
    }
    if (report !== undefined) {
      const rep = report as Record<string, unknown>;
      outcome = typeof rep.outcome === 'string' ? rep.outcome : undefined;
      if (outcome === undefined) problems.push('report without an outcome');
      else if (outcome === 'internal-error') {
        const stop = rep.stop as { reason?: string } | null;
        problems.push(`outcome internal-error: ${stop?.reason ?? '?'}`);
      } else if (outcome === 'completed' ? r.exit !== 0 : !ABNORMAL.includes(outcome) || r.exit !== 1) {
        problems.push(`outcome ${outcome} with exit ${r.exit}`);
      }
      for (const k of ['driver', 'ops', 'stats', 'unload', 'dbgPrint']) if (!(k in rep)) problems.push(`report without "${k}"`);
    }
  }
  if (r.exit === 0 || r.exit === 1) {
    if (cmd === 'info' && r.exit === 1) problems.push('kdemu info exited 1 (only 0 or 2 are possible)');
    if ((cmd === 'info' || cmd === 'exports') && json) {
      try {
        JSON.parse(r.stdout);
      } catch (e) {
        problems.push(`${cmd} --json output does not parse: ${(e as Error).message}`);
      }
    }
    if (r.stderr !== '' && !(cmd === 'run' && !json)) problems.push(`exit ${r.exit} with stderr: ${firstLine(r.stderr)}`);
  }
  if (r.wallMs > o.maxWallMs) problems.push(`took ${Math.round(r.wallMs)} ms (bound ${o.maxWallMs} ms)`);

  const name = known ? cmd : 'other';
  const key = r.exit === null ? `${name} threw` : outcome !== undefined ? `${name} ${r.exit} ${outcome}` : `${name} ${r.exit}`;
  return { key, problems };
}

function firstLine(s: string): string {
  const line = s.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 300 ? line.slice(0, 300) + '…' : line;
}
