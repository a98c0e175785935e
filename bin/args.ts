// Command-line parsing: subcommands, options, and the ordered operations of `kdemu run`.

import { parseArgs } from 'node:util';
import { readFileSync, statSync } from 'node:fs';
import type { Operation } from '../hal/report.js';
import type { EngineName } from '../emu/index.js';
import { RegFileError, decodeRegFile, parseRegFile, type RegEdit } from '../hal/cm/regfile.js';

/** Wrong arguments: printed as one line, exit 2. */
export class UsageError extends Error {}

export type Command =
  | { cmd: 'help' }
  | { cmd: 'version' }
  | { cmd: 'info'; file: string; json: boolean }
  | { cmd: 'exports'; json: boolean }
  /** kdemu schema report|trace: the JSON Schema of the report or of a trace event. */
  | { cmd: 'schema'; which: 'report' | 'trace' }
  | {
      cmd: 'run';
      file: string;
      json: boolean;
      trace?: string;
      /** --timeline: a Chrome/Perfetto trace-event JSON file of the run on the virtual clock. */
      timeline?: string;
      /** --junit: where the JUnit XML report goes. */
      junit?: string;
      /** --trace-limit: stop the run after this many trace events. */
      traceLimit?: number;
      /** --coverage FILE: the drcov file of the driver images' executed basic blocks. */
      coverage?: string;
      /** --coverage-summary: the report's coverage field and a summary line. */
      coverageSummary?: boolean;
      engine?: EngineName;
      noUnload: boolean;
      maxInstructions?: number | 'unlimited';
      maxVirtualMs?: number | 'unlimited';
      memoryMb?: number;
      timeoutMs?: number;
      operations: Operation[];
      /** --client: the program, its arguments (after --) and its standard input. */
      client?: { path: string; args: string[]; stdin: string };
      /** --load: drivers loaded after DRIVER, in order. */
      load: string[];
      /** --overlapped: handles are opened with FILE_FLAG_OVERLAPPED. */
      overlapped: boolean;
      /** --pipe: named pipes served from the host side, created before DriverEntry. */
      pipes: string[];
      /** --fs: a host folder the emulated file system shows read-only at C:\. */
      fsDir?: string;
      /** --os-version: the Windows version the kernel reports. */
      osVersion?: { major: number; minor: number; build: number };
      /** --registry: the edits of regedit-format files, applied to the emulated registry in order. */
      registry?: RegEdit[];
      /** --no-pnp: no root device for a driver with an AddDevice routine. */
      noPnp: boolean;
    };


export const USAGE = `usage:
  kdemu info DRIVER [--json]
  kdemu run  DRIVER [options] [operations]
  kdemu run  DRIVER --client CLIENT.exe [--stdin TEXT] [options] [-- CLIENT-ARGS]
  kdemu exports [--json]
  kdemu schema report|trace   print the JSON Schema of the --json report or of a --trace event

operations (performed in order):
  --open NAME            CreateFile("\\\\.\\NAME"); a NAME starting with \\ is an NT path
  --open-interface GUID  CreateFile of the first enabled device interface of class {GUID} (a PnP or KMDF driver's)
  --read N               ReadFile of N bytes
  --write HEX            WriteFile of the given bytes
  --ioctl CODE[:IN[:OUT]] DeviceIoControl: code (0x... or decimal), input hex, output length
  --close                CloseHandle of the open handle
  --wait MS              let MS milliseconds of virtual time pass (timers, DPCs and pending I/O progress)
  --cancel               CancelIo on the open handle
  --spawn IMAGE          create a process of IMAGE (it runs no code) as the program's child: notify routines fire
  --kill PID             terminate a process --spawn (or the client) created: notify routines fire
  --script FILE          a JSON array of operations

options:
  --overlapped           open with FILE_FLAG_OVERLAPPED: requests may pend and complete later
  --load OTHER.sys       load another driver after DRIVER (repeatable, in order): filters, driver stacks
  --pipe NAME            serve \\\\.\\pipe\\NAME from the host before DriverEntry (repeatable); the report lists what it read
  --fs DIR               show the host folder DIR, read-only, as C:\\ in the emulated file system (default: empty)
  --client CLIENT.exe    run an unmodified console program against the driver (instead of operations)
  --stdin TEXT           the client's standard input (EOF after it)
  --engine wasm|unicorn  CPU engine (default: wasm)
  --json                 print the JSON report
  --trace FILE           write every trace event as NDJSON (- for stdout: the summary goes to stderr; FILE.gz: gzip)
  --junit FILE           write the run as a JUnit XML report (CI test results), also when the run stops
  --timeline FILE.json   write a timeline of the run on its virtual clock (Chrome trace-event JSON: ui.perfetto.dev)
  --trace-limit N        stop the run (outcome trace-limit) when the trace would go past N events
  --coverage FILE        write the executed basic blocks of the driver images as drcov (Lighthouse, bncov ...)
  --coverage-summary     report blocks and functions executed per driver image (JSON coverage, summary line)
  --no-unload            skip the driver's unload routine
  --max-instructions N   instruction budget for the whole run (default 1000000000; 'unlimited' for none)
  --max-virtual-time MS  virtual-time budget for the whole run (default 600000, ten minutes; 'unlimited' for none)
  --memory MB            guest memory the run may map (default 2048; at most what the engine holds)
  --timeout MS           wall-clock budget for the whole run (default: none)
  --os-version M.m.B     the Windows version the kernel reports (default 10.0.19045, Windows 10 22H2)
  --registry FILE.reg    preload the emulated registry from a regedit-format file (repeatable, in order)
  --no-pnp               no root-enumerated device for a driver with an AddDevice routine (PnP and KMDF drivers)
`;

/** --open-interface: a GUID, with or without braces, as {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx} in lower case. */
function guidArg(text: string): string {
  const m = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--open-interface: '${text}' is not a GUID ({xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx})`);
  return `{${m[1].toLowerCase()}}`;
}

/** The longest --wait: one day of virtual time. */
const MAX_WAIT_MS = 86_400_000;

function parseNumber(text: string, what: string, max = Number.MAX_SAFE_INTEGER): number {
  const t = text.trim();
  const v = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? parseInt(t, 10) : NaN;
  if (!Number.isSafeInteger(v) || v < 0 || v > max) throw new UsageError(`${what}: '${text}' is not a number from 0 to ${max}`);
  return v;
}

/** A budget: a positive number or 'unlimited' (0 would stop every run at once: refused). */
function budget(text: string | undefined, what: string): number | 'unlimited' | undefined {
  if (text === undefined) return undefined;
  if (text.trim().toLowerCase() === 'unlimited') return 'unlimited';
  return positive(text, what, ` (or 'unlimited')`);
}

function positive(text: string, what: string, alt = ''): number {
  const v = parseNumber(text, what);
  if (v === 0) throw new UsageError(`${what}: 0 would stop the run before it starts; give a positive number${alt}`);
  return v;
}

/** --trace-limit N: a positive count, and only with a --trace to limit. */
function traceLimitArg(text: string, trace: string | undefined): number {
  if (trace === undefined) throw new UsageError('--trace-limit limits a --trace; there is none');
  return positive(text, '--trace-limit');
}

/** The guest memory budget, MiB: from 16 (the kernel's own regions need a few) to the 4 GiB a 32-bit wasm memory holds. */
export const MIN_MEMORY_MB = 16;
export const MAX_MEMORY_MB = 4032;

function memoryMb(text: string): number {
  const v = parseNumber(text, '--memory', MAX_MEMORY_MB);
  if (v < MIN_MEMORY_MB) throw new UsageError(`--memory: ${v} MiB is too little; give ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}`);
  return v;
}

/**
 * --os-version MAJOR.MINOR.BUILD: major 1-255 and minor 0-255 (NTDDI versions hold a byte each), build 0-65535
 * (the PEB's OSBuildNumber is 16 bits).
 */
function osVersionArg(text: string): { major: number; minor: number; build: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,5})$/.exec(text.trim());
  const [major, minor, build] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [NaN, NaN, NaN];
  if (!m || major < 1 || major > 255 || minor > 255 || build > 65535) {
    throw new UsageError(`--os-version: '${text}' is not MAJOR.MINOR.BUILD (major 1-255, minor 0-255, build 0-65535; e.g. 10.0.19045)`);
  }
  return { major, minor, build };
}

/** --registry FILE.reg: the file's edits; an unreadable or malformed file is bad input naming the file and line. */
function registryArg(file: string): RegEdit[] {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UsageError(`--registry: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return parseRegFile(decodeRegFile(bytes));
  } catch (e) {
    if (e instanceof RegFileError) throw new UsageError(`--registry: ${file}: ${e.message}`);
    throw e;
  }
}

/** An image for --spawn: a Windows path or a bare name (found in C:\Windows\System32). */
function imageName(text: string, what: string): string {
  if (!text.trim() || /[\x00-\x1f<>"|?*]/.test(text)) throw new UsageError(`${what}: '${text}' is not a Windows file name`);
  return text;
}

/** A pipe name for --pipe: NAME or \\.\pipe\NAME, 1 to 256 characters, no backslash in the name itself. */
function pipeArg(text: string): string {
  const name = text.replace(/^\\\\\.\\pipe\\/i, '');
  if (!name || name.length > 256 || /[\\\x00-\x1f]/.test(name)) throw new UsageError(`--pipe: '${text}' is not a pipe name (NAME or \\\\.\\pipe\\NAME)`);
  return name;
}

/** --junit FILE: a file name (whether it can be written is checked before the run). */
function junitArg(text: string): string {
  if (!text) throw new UsageError('--junit needs a file name');
  return text;
}

/** --timeline FILE: a file (the report or --trace - may hold stdout). */
function timelineArg(text: string): string {
  if (text === '' || text === '-') throw new UsageError('--timeline needs a file to write (FILE.json)');
  return text;
}

/** --fs DIR: an existing directory. */
function fsArg(text: string): string {
  let st;
  try {
    st = statSync(text);
  } catch (e) {
    throw new UsageError(`--fs: cannot read ${text}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!st.isDirectory()) throw new UsageError(`--fs: ${text} is not a directory`);
  return text;
}

export function parseHex(text: string, what: string): Uint8Array {
  const t = text.replace(/\s+/g, '');
  if (t.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(t)) throw new UsageError(`${what}: '${text}' is not an even number of hex digits`);
  return Uint8Array.from(Buffer.from(t, 'hex'));
}

const MAX_BUFFER = 0x10000000; // 256 MiB: larger buffers are a typo, not a test

function ioctlOp(text: string): Operation {
  const parts = text.split(':');
  if (parts.length > 3 || parts[0] === '') throw new UsageError(`--ioctl: '${text}' is not CODE[:INHEX[:OUTLEN]]`);
  return {
    op: 'ioctl',
    code: parseNumber(parts[0], '--ioctl code', 0xffffffff),
    input: parseHex(parts[1] ?? '', '--ioctl input'),
    outputLength: parts[2] === undefined || parts[2] === '' ? 0 : parseNumber(parts[2], '--ioctl output length', MAX_BUFFER),
  };
}

/** A --script file: a JSON array of { op, ... } objects. */
export function scriptOps(file: string): Operation[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--script: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--script ${file}: not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(data)) throw new UsageError(`--script ${file}: expected a JSON array of operations`);
  return data.map((o, i) => scriptOp(o, `--script ${file}[${i}]`));
}

function scriptOp(o: unknown, where: string): Operation {
  if (typeof o !== 'object' || o === null) throw new UsageError(`${where}: expected an object`);
  const r = o as Record<string, unknown>;
  const known: Record<string, string[]> = { open: ['name'], read: ['length'], write: ['data'], ioctl: ['code', 'input', 'outputLength'], close: [], wait: ['ms'], cancel: [], spawn: ['image'], kill: ['pid'], 'open-interface': ['guid'] };
  const op = r.op;
  if (typeof op !== 'string' || !(op in known)) throw new UsageError(`${where}: "op" must be one of ${Object.keys(known).join(', ')}`);
  for (const key of Object.keys(r)) if (key !== 'op' && !known[op].includes(key)) throw new UsageError(`${where}: unknown key "${key}" for op "${op}"`);
  const num = (v: unknown, what: string, max: number): number => {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0 || v > max) throw new UsageError(`${where}: ${what} must be an integer from 0 to ${max}`);
      return v;
    }
    if (typeof v === 'string') return parseNumber(v, `${where}: ${what}`, max);
    throw new UsageError(`${where}: ${what} is required`);
  };
  const hexOf = (v: unknown, what: string): Uint8Array => {
    if (v === undefined) return new Uint8Array(0);
    if (typeof v !== 'string') throw new UsageError(`${where}: ${what} must be a hex string`);
    return parseHex(v, `${where}: ${what}`);
  };
  switch (op) {
    case 'open':
      if (typeof r.name !== 'string' || r.name === '') throw new UsageError(`${where}: "name" must be a non-empty string`);
      return { op: 'open', name: r.name };
    case 'read':
      return { op: 'read', length: num(r.length, '"length"', MAX_BUFFER) };
    case 'write':
      return { op: 'write', data: hexOf(r.data, '"data"') };
    case 'ioctl':
      return { op: 'ioctl', code: num(r.code, '"code"', 0xffffffff), input: hexOf(r.input, '"input"'), outputLength: r.outputLength === undefined ? 0 : num(r.outputLength, '"outputLength"', MAX_BUFFER) };
    case 'wait':
      return { op: 'wait', ms: num(r.ms, '"ms"', MAX_WAIT_MS) };
    case 'cancel':
      return { op: 'cancel' };
    case 'spawn':
      if (typeof r.image !== 'string' || r.image === '') throw new UsageError(`${where}: "image" must be a non-empty string`);
      return { op: 'spawn', image: imageName(r.image, `${where}: "image"`) };
    case 'kill':
      return { op: 'kill', pid: num(r.pid, '"pid"', 0xffffffff) };
    case 'open-interface':
      if (typeof r.guid !== 'string') throw new UsageError(`${where}: "guid" must be a string`);
      return { op: 'open-interface', guid: guidArg(r.guid) };
    default:
      return { op: 'close' };
  }
}

export function parseCommand(argv: string[]): Command {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') return { cmd: 'help' };
  if (cmd === '--version' || cmd === 'version') return { cmd: 'version' };
  if (cmd === 'schema') {
    const which = rest[0];
    if (rest.length !== 1 || (which !== 'report' && which !== 'trace')) throw new UsageError(`kdemu schema: expected 'report' or 'trace'${which === undefined ? '' : `, got '${rest.join(' ')}'`}`);
    return { cmd: 'schema', which };
  }
  if (cmd !== 'info' && cmd !== 'run' && cmd !== 'exports') throw new UsageError(`unknown command '${cmd}' (expected info, run, exports or schema)`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      tokens: true,
      options: {
        json: { type: 'boolean' },
        trace: { type: 'string' },
        timeline: { type: 'string' },
        junit: { type: 'string' },
        'trace-limit': { type: 'string' },
        coverage: { type: 'string' },
        'coverage-summary': { type: 'boolean' },
        engine: { type: 'string' },
        'no-unload': { type: 'boolean' },
        'max-instructions': { type: 'string' },
        'max-virtual-time': { type: 'string' },
        memory: { type: 'string' },
        timeout: { type: 'string' },
        open: { type: 'string', multiple: true },
        'open-interface': { type: 'string', multiple: true },
        'no-pnp': { type: 'boolean' },
        read: { type: 'string', multiple: true },
        write: { type: 'string', multiple: true },
        ioctl: { type: 'string', multiple: true },
        close: { type: 'boolean', multiple: true },
        script: { type: 'string', multiple: true },
        overlapped: { type: 'boolean' },
        wait: { type: 'string', multiple: true },
        cancel: { type: 'boolean', multiple: true },
        client: { type: 'string' },
        stdin: { type: 'string' },
        load: { type: 'string', multiple: true },
        spawn: { type: 'string', multiple: true },
        kill: { type: 'string', multiple: true },
        pipe: { type: 'string', multiple: true },
        fs: { type: 'string' },
        'os-version': { type: 'string' },
        registry: { type: 'string', multiple: true },
      },
    });
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    const unknown = /Unknown option '([^']+)'/.exec(msg);
    throw new UsageError(unknown ? `unknown option ${unknown[1]} (see kdemu --help)` : msg.replace(/\.$/, ''));
  }
  const v = parsed.values as Record<string, unknown>;
  const runOnly = ['trace', 'timeline', 'junit', 'trace-limit', 'coverage', 'coverage-summary', 'engine', 'no-unload', 'max-instructions', 'max-virtual-time', 'memory', 'timeout', 'open', 'read', 'write', 'ioctl', 'close', 'script', 'client', 'stdin', 'load', 'overlapped', 'wait', 'cancel', 'spawn', 'kill', 'pipe', 'fs', 'os-version', 'registry', 'open-interface', 'no-pnp'];
  if (cmd !== 'run') {
    const bad = runOnly.find((o) => v[o] !== undefined);
    if (bad) throw new UsageError(`option --${bad} only applies to kdemu run`);
  }
  if (cmd === 'exports') {
    if (parsed.positionals.length) throw new UsageError(`kdemu exports takes no file (got '${parsed.positionals[0]}')`);
    return { cmd: 'exports', json: v.json === true };
  }
  // Positionals after "--" are the client's arguments; before it, the DRIVER file.
  const tokens = parsed.tokens ?? [];
  const end = tokens.findIndex((t) => t.kind === 'option-terminator');
  const positional = (from: number, to: number) => tokens.slice(from, to).flatMap((t) => (t.kind === 'positional' ? [t.value] : []));
  const files = positional(0, end < 0 ? tokens.length : end);
  const clientArgs = end < 0 ? [] : positional(end + 1, tokens.length);
  if (files.length !== 1) {
    throw new UsageError(files.length === 0 ? `kdemu ${cmd}: missing the DRIVER file` : `kdemu ${cmd}: expected one DRIVER file, got ${files.length} (${files.join(' ')})`);
  }
  const file = files[0];
  if (cmd === 'info' && end >= 0) throw new UsageError('kdemu info: arguments after -- only go to a --client program');
  if (cmd === 'info') return { cmd: 'info', file, json: v.json === true };

  const operations: Operation[] = [];
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option') continue;
    const value = t.value ?? '';
    switch (t.name) {
      case 'open':
        if (!value) throw new UsageError('--open needs a device name');
        operations.push({ op: 'open', name: value });
        break;
      case 'open-interface':
        operations.push({ op: 'open-interface', guid: guidArg(value) });
        break;
      case 'read':
        operations.push({ op: 'read', length: parseNumber(value, '--read', MAX_BUFFER) });
        break;
      case 'write':
        operations.push({ op: 'write', data: parseHex(value, '--write') });
        break;
      case 'ioctl':
        operations.push(ioctlOp(value));
        break;
      case 'close':
        operations.push({ op: 'close' });
        break;
      case 'script':
        // One at a time: spreading a script of a million operations overflows the stack.
        for (const o of scriptOps(value)) operations.push(o);
        break;
      case 'wait':
        operations.push({ op: 'wait', ms: parseNumber(value, '--wait', MAX_WAIT_MS) });
        break;
      case 'cancel':
        operations.push({ op: 'cancel' });
        break;
      case 'spawn':
        operations.push({ op: 'spawn', image: imageName(value, '--spawn') });
        break;
      case 'kill':
        operations.push({ op: 'kill', pid: parseNumber(value, '--kill', 0xffffffff) });
        break;
    }
  }
  const clientPath = v.client as string | undefined;
  if (clientPath === undefined) {
    if (v.stdin !== undefined) throw new UsageError('--stdin feeds a --client program; there is none');
    if (end >= 0) throw new UsageError('arguments after -- go to a --client program; there is none');
  } else {
    if (!clientPath) throw new UsageError('--client needs a program file');
    if (operations.length) throw new UsageError('--client runs a program against the driver instead of operations: give one or the other');
  }
  if (v.json === true && v.trace === '-') throw new UsageError('--json and --trace - both want stdout: write the trace to a file (--trace FILE)');
  const engine = v.engine as string | undefined;
  if (engine !== undefined && engine !== 'unicorn' && engine !== 'wasm') throw new UsageError(`--engine: '${engine}' is not an engine (wasm or unicorn)`);
  return {
    cmd: 'run',
    file,
    json: v.json === true,
    trace: v.trace as string | undefined,
    ...(v.timeline !== undefined ? { timeline: timelineArg(v.timeline as string) } : {}),
    ...(v.junit !== undefined ? { junit: junitArg(v.junit as string) } : {}),
    ...(v['trace-limit'] !== undefined ? { traceLimit: traceLimitArg(v['trace-limit'] as string, v.trace as string | undefined) } : {}),
    ...(v.coverage !== undefined ? { coverage: v.coverage as string } : {}),
    ...(v['coverage-summary'] === true ? { coverageSummary: true } : {}),
    engine: engine as EngineName | undefined,
    noUnload: v['no-unload'] === true,
    maxInstructions: budget(v['max-instructions'] as string | undefined, '--max-instructions'),
    maxVirtualMs: budget(v['max-virtual-time'] as string | undefined, '--max-virtual-time'),
    memoryMb: v.memory === undefined ? undefined : memoryMb(v.memory as string),
    timeoutMs: v.timeout === undefined ? undefined : positive(v.timeout as string, '--timeout'),
    operations,
    load: (v.load as string[] | undefined) ?? [],
    pipes: ((v.pipe as string[] | undefined) ?? []).map(pipeArg),
    ...(v.fs !== undefined ? { fsDir: fsArg(v.fs as string) } : {}),
    ...(v['os-version'] !== undefined ? { osVersion: osVersionArg(v['os-version'] as string) } : {}),
    ...(v.registry !== undefined ? { registry: (v.registry as string[]).flatMap(registryArg) } : {}),
    overlapped: v.overlapped === true,
    noPnp: v['no-pnp'] === true,
    ...(clientPath !== undefined ? { client: { path: clientPath, args: clientArgs, stdin: (v.stdin as string | undefined) ?? '' } } : {}),
  };
}
