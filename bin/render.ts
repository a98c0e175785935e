// Human-readable output for the terminal. Colour only when the stream the text goes to is a terminal (and NO_COLOR
// is unset): the caller passes that stream, process.stdout unless said otherwise.

import type { OpReport, Report, StopReport } from '../hal/report.js';
import type { ExportListing, InfoReport, WdfInfo } from '../hal/info.js';
import { ntStatusName, win32ErrorName } from '../hal/rtl/ntstatus.js';
import { colorsFor, type Colors, type OutputStream } from './colors.js';

/** "0xC0000010 STATUS_INVALID_DEVICE_REQUEST": the status as reported, then its name when it has one. */
export function statusLabel(status: string): string {
  const name = ntStatusName(parseInt(status, 16));
  return name ? `${status} ${name}` : status;
}

/** The labelled status, padded to `width`, coloured by severity (error red, warning yellow, else green). */
function statusText(c: Colors, status: string, width = 0): string {
  const text = statusLabel(status).padEnd(width);
  const v = parseInt(status, 16) >>> 0;
  if (v >>> 30 === 3) return c.red(text);
  if (v >>> 30 === 2) return c.yellow(text);
  return c.green(text);
}

function win32Text(code: number): string {
  const name = code !== 0 ? win32ErrorName(code) : undefined;
  return name ? `${code} ${name}` : String(code);
}

/** Data up to this many bytes stays on the operation's line; longer data is dumped below it. */
const INLINE_DATA = 16;
/** Dump rows printed before the rest is left to --json (a repeated row collapsed to `*` counts once). */
const MAX_DUMP_ROWS = 32;

/**
 * Lower-case hex as hexdump -C shows it: an offset column, 16 bytes a line in two groups of 8, the printable ASCII
 * between bars, runs of identical lines collapsed to `*`. At most `maxRows` lines, then how many bytes were left out.
 */
export function hexDump(hex: string, c: Colors, indent = '', maxRows = MAX_DUMP_ROWS): string[] {
  const bytes = Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
  const width = Math.max(4, (bytes.length - 1).toString(16).length);
  const out: string[] = [];
  let previous = '';
  let collapsed = false;
  for (let at = 0; at < bytes.length; at += 16) {
    const row = bytes.subarray(at, at + 16);
    const key = hex.slice(at * 2, at * 2 + 32);
    // A full row equal to the one before is shown once as `*` (the next different row shows where the run ended).
    if (row.length === 16 && key === previous) {
      if (!collapsed) out.push(`${indent}*`);
      collapsed = true;
      continue;
    }
    if (out.length >= maxRows) {
      out.push(`${indent}${c.dim(`… ${bytes.length - at} more bytes (--json has them all)`)}`);
      break;
    }
    previous = key;
    collapsed = false;
    let cols = '';
    for (let i = 0; i < 16; i++) cols += (i === 8 ? '  ' : i ? ' ' : '') + (i < row.length ? row[i].toString(16).padStart(2, '0') : '  ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`${indent}${c.dim(at.toString(16).padStart(width, '0'))}  ${cols}  |${ascii}|`);
  }
  return out;
}

/** Data returned to the caller: inline text to append to the line when short, else dump lines (and a truncation note). */
function dataParts(c: Colors, d: { data?: string; dataBytes?: number; dataSha256?: string }, indent: string): { inline: string; lines: string[] } {
  if (!d.data) return { inline: '', lines: [] };
  const lines: string[] = [];
  if (d.dataBytes !== undefined) lines.push(`${indent}${c.dim(`the first ${d.data.length / 2} of ${d.dataBytes} bytes; sha256 ${d.dataSha256 ?? '?'}`)}`);
  if (d.data.length / 2 <= INLINE_DATA && d.dataBytes === undefined) return { inline: `  ${d.data}`, lines };
  return { inline: '', lines: [...lines, ...hexDump(d.data, c, indent)] };
}

function opWhat(o: OpReport): string {
  switch (o.op) {
    case 'open': return `open ${o.name}`;
    case 'read': return `read ${o.length}`;
    case 'write': return `write ${o.length}`;
    case 'ioctl': return `ioctl ${o.code}`;
    case 'wait': return `wait ${o.ms} ms`;
    case 'spawn': return `spawn ${o.image?.split('\\').pop()}${o.pid !== undefined ? ` pid ${o.pid}` : ''}`;
    case 'kill': return `kill ${o.pid}`;
    default: return o.op;
  }
}

/** The run report as text for `stream` (colours only if it is a terminal). */
export function renderReport(r: Report, stream: OutputStream = process.stdout): string {
  const c = colorsFor(stream);
  const out: string[] = [];
  out.push(`${c.bold(r.driver.path)}  ${r.driver.arch}  loaded at ${r.driver.imageBase}  entry ${r.driver.entryPoint}`);
  if (r.driverEntry) out.push(`DriverEntry → ${statusText(c, r.driverEntry.status)}`);
  for (const l of r.loaded) out.push(`${c.bold(l.path)}  loaded at ${l.imageBase}  DriverEntry → ${statusText(c, l.driverEntry.status)}`);
  for (const d of r.devices) out.push(`  device  ${d.name || '(unnamed)'}  type ${d.type}  flags ${d.flags}`);
  for (const l of r.symlinks) out.push(`  link    ${l.link} → ${l.target}`);
  if (r.dbgPrint.length) {
    out.push(c.bold('DbgPrint'));
    for (const line of r.dbgPrint) out.push(`  ${c.cyan(line.replace(/\n$/, '').replace(/\n/g, '\n  '))}`);
  }
  if (r.ops.length) out.push(c.bold('Operations'));
  // The win32 column lines up whatever the status names' lengths.
  // A reduce, not Math.max(...spread): a script of a million operations would overflow the stack.
  const statusWidth = r.ops.reduce((w, o) => Math.max(w, statusLabel(o.status).length), 0);
  for (const o of r.ops) {
    let line = `  ${opWhat(o).padEnd(20)} ${statusText(c, o.status, statusWidth)}  win32 ${win32Text(o.win32Error)}`;
    if (o.information !== undefined) line += `  ${o.information} bytes`;
    const data = dataParts(c, o, '    ');
    out.push(line + data.inline, ...data.lines);
    if (o.note) out.push(`    ${c.yellow('note:')} ${o.note}`);
    if (o.completion !== undefined) {
      const cpl = o.completion;
      if (!cpl) out.push(`    ${c.yellow('never completed')}`);
      else {
        const cdata = dataParts(c, cpl, '      ');
        out.push(`    completed at ${cpl.atMs} ms: ${statusText(c, cpl.status)}  ${cpl.information} bytes${cdata.inline}`, ...cdata.lines);
      }
    }
  }
  if (r.client) {
    // The program's console output was printed as it came.
    const code = r.client.exitCode === null ? 'did not exit' : `exited with code ${r.client.exitCode}`;
    out.push(`${c.bold('Client')} ${r.client.path}  ${code}`);
    for (const n of r.client.notes) out.push(`    ${c.yellow('note:')} ${n}`);
  }
  // Threads and processes beyond the run's own (System's thread and the client's main thread).
  const threads = r.threads.filter((t) => t.start !== null);
  if (threads.length) {
    out.push(c.bold('Threads'));
    for (const t of threads) out.push(`  ${String(t.tid).padEnd(6)} pid ${String(t.pid).padEnd(6)} ${t.start}  ${t.state}${t.exitStatus ? ` ${t.exitStatus}` : ''}`);
  }
  const spawned = r.processes.slice(2);
  if (spawned.length) {
    out.push(c.bold('Processes'));
    for (const p of spawned) out.push(`  ${String(p.pid).padEnd(6)} parent ${String(p.parentPid).padEnd(6)} ${p.image}${p.exitCode ? `  exited ${p.exitCode}` : ''}`);
  }
  for (const p of r.pipes) {
    out.push(`${c.bold('Pipe')} ${p.name}  ${p.messages.length} write${p.messages.length === 1 ? '' : 's'}, ${p.received.length / 2} bytes`);
    for (const line of p.text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1)) out.push(`  ${c.cyan(JSON.stringify(line).slice(1, -1))}`);
  }
  out.push(c.bold('Unload') + (r.unload.called ? ' called' : ' not called'));
  if (r.outcome === 'completed' || r.unload.called) {
    if (r.unload.leaks.length === 0) out.push('  no leaks');
    for (const l of r.unload.leaks) out.push(`  ${c.yellow('leak')} ${l.kind.padEnd(8)} ${l.detail}${l.driver ? ` (${l.driver})` : ''}${l.caller ? ` (allocated at ${l.caller})` : ''}`);
  }
  if (r.stop) out.push(...renderStop(c, r.outcome, r.stop));
  out.push(c.dim(`${r.stats.engine} engine, ${r.stats.instructions} instructions, ${r.stats.apiCalls} API calls, ${r.stats.wallMs} ms`));
  return out.join('\n') + '\n';
}

/**
 * Why the run stopped, laid out like the first screen of WinDbg's !analyze -v: the bugcheck with what each of its
 * four parameters means, where it happened and the instruction there, then the call stack a frame a line.
 */
function renderStop(c: Colors, outcome: string, stop: StopReport): string[] {
  const out = [c.red(c.bold(`Stopped: ${outcome}`)) + ` — ${stop.reason}`];
  const b = stop.bugcheck;
  if (b) {
    const help = bugcheckHelp(b.code, b.params, stop);
    const name = /^0x[0-9A-F]+$/i.test(b.name) && help?.name ? help.name : b.name;
    out.push(`  bugcheck ${c.bold(`${b.code} ${name}`)} (${b.params.join(', ')})`);
    if (help?.about) out.push(`    ${help.about}`);
    const width = Math.max(...b.params.map((p) => p.length));
    b.params.forEach((p, i) => {
      const meaning = help?.args[i];
      out.push(`    Arg${i + 1}: ${meaning ? `${p.padEnd(width)}  ${meaning}` : p}`);
    });
  }
  if (stop.pc) {
    const where = stop.module ? `${stop.module}+${stop.offset} (${stop.pc})` : stop.pc;
    out.push(`  at ${c.bold(where)}${stop.instruction ? `: ${c.cyan(stop.instruction)}` : ''}`);
  }
  if (stop.stack?.length) {
    const [top, ...rest] = stop.stack;
    out.push(`  call stack: ${top}`);
    for (const frame of rest) out.push(`              ${frame}`);
  }
  return out;
}

// ---- Bugcheck parameters -------------------------------------------------------------------------------------------
// What the four parameters of the common bugchecks mean (the facts of Microsoft's bug check reference), and how to
// read a value: a status by name, the faulting address as module+offset, an IRQL or an access kind by name.

interface BugcheckHelp {
  name?: string;
  about: string;
  /** Per parameter: what it is, with the value decoded when that helps. Absent: nothing to say. */
  args: (string | undefined)[];
}

type Arg = string | ((v: bigint, all: bigint[], stop: StopReport) => string);

interface BugcheckEntry {
  name: string;
  about: string;
  /** Per parameter (undefined: nothing to say). */
  args: (Arg | undefined)[];
  /** Codes whose meaning depends on Arg1: the variant for it (about and args override the entry's). */
  sub?: (p1: bigint) => { about?: string; args?: (Arg | undefined)[] } | undefined;
}

const IRQL_NAMES = ['PASSIVE_LEVEL', 'APC_LEVEL', 'DISPATCH_LEVEL'];

const named = (what: string, name: string | undefined): string => (name ? `${what}: ${name}` : what);
const status = (what: string): Arg => (v) => named(what, ntStatusName(Number(v & 0xffffffffn)));
const irql = (what: string): Arg => (v) => named(what, IRQL_NAMES[Number(v)]);
/** An address in code: module+offset when it is where the run stopped. */
const code = (what: string): Arg => (v, _all, stop) => named(what, stop.pc !== undefined && stop.module && BigInt(stop.pc) === v ? `${stop.module}+${stop.offset}` : undefined);
const choice = (what: string, values: Record<number, string>): Arg => (v) => named(what, values[Number(v)]);
const reserved = 'reserved';

/** KMODE_EXCEPTION_NOT_HANDLED's parameters 3 and 4 for an access violation: the access and the address accessed. */
const AV_ACCESS: Record<number, string> = { 0: 'read', 1: 'write', 8: 'execute' };
const exceptionParam = (n: 0 | 1): Arg => (v, all) => {
  if (Number(all[0] & 0xffffffffn) !== 0xc0000005) return `exception parameter ${n}`;
  return n === 0 ? named('exception parameter 0, the access', AV_ACCESS[Number(v)]) : 'exception parameter 1: the address accessed';
};

const BUGCHECKS: Record<number, BugcheckEntry> = {
  0x01: { name: 'APC_INDEX_MISMATCH', about: 'APC state unbalanced on return (KeEnterCriticalRegion without KeLeaveCriticalRegion, or the reverse).', args: [code('address of the system function'), "the thread's ApcStateIndex", "the thread's combined APC disable count", choice('call type', { 0: 'system call', 1: 'worker routine' })] },
  0x09: { name: 'IRQL_NOT_GREATER_OR_EQUAL', about: 'A routine was called at an IRQL lower than it requires.', args: [] },
  0x0a: { name: 'IRQL_NOT_LESS_OR_EQUAL', about: 'Pageable or invalid memory was referenced at an IRQL too high (DISPATCH_LEVEL or above).', args: ['memory referenced', irql('IRQL at the time'), (v) => `access: ${v & 8n ? 'execute' : v & 1n ? 'write' : 'read'}`, code('address of the instruction that referenced it')] },
  0x0f: { name: 'SPIN_LOCK_ALREADY_OWNED', about: 'A spin lock was acquired by the processor that already holds it.', args: [] },
  0x10: { name: 'SPIN_LOCK_NOT_OWNED', about: 'A spin lock was released that is not held.', args: [] },
  0x18: { name: 'REFERENCE_BY_POINTER', about: "An object's reference count went wrong (dereferenced once too often).", args: ['object type', 'the object', reserved, reserved] },
  0x1a: { name: 'MEMORY_MANAGEMENT', about: 'A memory-management error; Arg1 says which.', args: ['type of error'] },
  0x1e: { name: 'KMODE_EXCEPTION_NOT_HANDLED', about: 'An exception in kernel mode that no handler took.', args: [status('exception code'), code('address of the exception'), exceptionParam(0), exceptionParam(1)] },
  0x35: { name: 'NO_MORE_IRP_STACK_LOCATIONS', about: 'IoCallDriver with no I/O stack location left in the IRP (the IRP was allocated with too small a StackSize).', args: ['the IRP', reserved, reserved, reserved] },
  0x39: { name: 'SYSTEM_EXIT_OWNED_MUTEX', about: 'A worker routine returned still owning a mutex.', args: [code('the worker routine'), 'its parameter', 'the work item', reserved] },
  0x3b: { name: 'SYSTEM_SERVICE_EXCEPTION', about: 'An exception while running a system service.', args: [status('exception code'), code('address of the exception'), 'context record', reserved] },
  0x44: { name: 'MULTIPLE_IRP_COMPLETE_REQUESTS', about: 'An IRP was completed a second time.', args: ['the IRP', reserved, reserved, reserved] },
  0x4a: { name: 'IRQL_GT_ZERO_AT_SYSTEM_SERVICE', about: 'A return to user mode (or a thread exit) at an IRQL above PASSIVE_LEVEL.', args: [code('address of the system function'), irql('IRQL'), reserved, reserved] },
  0x4e: { name: 'PFN_LIST_CORRUPT', about: 'The page frame list is corrupt, or an MDL names pages wrongly; Arg1 says how.', args: ['type of error'] },
  0x50: { name: 'PAGE_FAULT_IN_NONPAGED_AREA', about: 'Invalid system memory was referenced: a bad address, or freed memory.', args: ['memory referenced', (v) => `access: ${v & 0x10n ? 'execute' : v & 2n ? 'write' : 'read'}`, code('address of the instruction that referenced it (if known)'), 'type of page fault'] },
  0x7e: { name: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED', about: 'A system thread raised an exception that no handler took.', args: [status('exception code'), code('address of the exception'), 'exception record', 'context record'] },
  0x7f: { name: 'UNEXPECTED_KERNEL_MODE_TRAP', about: 'A trap the kernel cannot take (8, a double fault, is often a kernel stack overflow).', args: [choice('trap number', { 0: 'divide error', 4: 'overflow', 6: 'invalid opcode', 8: 'double fault' }), reserved, reserved, reserved] },
  0x8e: { name: 'KERNEL_MODE_EXCEPTION_NOT_HANDLED', about: 'An exception in kernel mode that no handler took.', args: [status('exception code'), code('address of the exception'), 'trap frame', reserved] },
  0x93: { name: 'INVALID_KERNEL_HANDLE', about: 'A handle that is invalid or protected was closed or referenced.', args: ['the handle', choice('what happened', { 0: 'a protected handle was closed', 1: 'an invalid handle was referenced' }), reserved, reserved] },
  0xbe: { name: 'ATTEMPTED_WRITE_TO_READONLY_MEMORY', about: 'Read-only memory was written.', args: ['address written', 'PTE contents', reserved, reserved] },
  0xc2: {
    name: 'BAD_POOL_CALLER', about: 'A bad pool request; Arg1 says which.', args: ['type of violation'],
    sub: (p1) => ({
      0x07: { about: 'Pool freed twice.', args: [undefined, reserved, 'pool header contents', 'address of the block being freed'] },
      0x0a: { about: 'Pool freed with a tag other than the one it was allocated with.', args: [undefined, 'address of the block', "the allocation's tag", 'tag passed to the free'] },
      0x46: { about: 'An address freed that was never allocated from pool.', args: [undefined, 'the address'] },
    } as Record<number, { about: string; args: (Arg | undefined)[] }>)[Number(p1)],
  },
  0xc4: {
    name: 'DRIVER_VERIFIER_DETECTED_VIOLATION', about: 'Driver Verifier found a violation; Arg1 says which, and what the others mean.', args: ['type of violation'],
    sub: (p1) => ({
      0x00: { about: 'A zero-byte pool allocation.', args: [undefined, irql('current IRQL'), 'pool type', 'number of bytes'] },
      0x01: { about: 'Paged pool allocated above APC_LEVEL.', args: [undefined, irql('current IRQL'), 'pool type', 'size of the allocation'] },
      0x02: { about: 'Nonpaged pool allocated above DISPATCH_LEVEL.', args: [undefined, irql('current IRQL'), 'pool type', 'size of the allocation'] },
      0x10: { about: 'An address freed that no allocation returned.', args: [undefined, 'the address'] },
      0x11: { about: 'Paged pool freed above APC_LEVEL.', args: [undefined, irql('current IRQL'), 'pool type', 'address of the pool'] },
      0x12: { about: 'Nonpaged pool freed above DISPATCH_LEVEL.', args: [undefined, irql('current IRQL'), 'pool type', 'address of the pool'] },
      0x13: { about: 'Pool freed that was freed already.', args: [undefined, reserved, 'pool header', 'pool header contents'] },
      0x14: { about: 'Pool freed that was freed already.', args: [undefined, reserved, 'pool header', 'pool header contents'] },
      0x30: { about: 'KeRaiseIrql to an IRQL below the current one.', args: [undefined, irql('current IRQL'), irql('requested IRQL')] },
      0x31: { about: 'KeLowerIrql to an IRQL above the current one.', args: [undefined, irql('current IRQL'), irql('requested IRQL')] },
      0x32: { about: 'KeReleaseSpinLock at an IRQL other than DISPATCH_LEVEL (a double release?).', args: [undefined, irql('current IRQL'), 'the spin lock'] },
      0x3f: { about: 'An object referenced or dereferenced whose reference count was zero.', args: [undefined, 'the object', 'new reference count'] },
      0x62: { about: 'The driver unloaded without freeing its pool allocations.', args: [undefined, 'name of the driver', reserved, 'allocations not freed'] },
    } as Record<number, { about: string; args: (Arg | undefined)[] }>)[Number(p1)],
  },
  0xce: { name: 'DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS', about: 'Code of an unloaded driver ran: it left timers, DPCs, threads or callbacks behind.', args: ['memory referenced', choice('access', { 0: 'read', 1: 'write' }), code('address of the instruction that referenced it'), reserved] },
  0xd1: { name: 'DRIVER_IRQL_NOT_LESS_OR_EQUAL', about: 'A driver referenced pageable or invalid memory at an IRQL too high (DISPATCH_LEVEL or above).', args: ['memory referenced', irql('IRQL at the time'), choice('access', { 0: 'read', 1: 'write', 2: 'execute', 8: 'execute' }), code('address of the instruction that referenced it')] },
  0xda: { name: 'SYSTEM_PTE_MISUSE', about: 'A system PTE routine was misused; Arg1 says how.', args: ['type of error'] },
  0xe1: { name: 'WORKER_THREAD_RETURNED_AT_BAD_IRQL', about: 'A work item routine returned at a raised IRQL.', args: [code('the worker routine'), irql('IRQL it returned at'), 'work item parameter', 'the work item'] },
  0xe3: { name: 'RESOURCE_NOT_OWNED', about: 'An ERESOURCE was released by a thread that does not own it.', args: ['the resource', 'the thread', 'owner table', reserved] },
  0xf7: { name: 'DRIVER_OVERRAN_STACK_BUFFER', about: 'A stack buffer overrun: the /GS cookie was overwritten.', args: ['cookie found on the stack', 'cookie expected', 'complement of the expected cookie', reserved] },
  0xfc: { name: 'ATTEMPTED_EXECUTE_OF_NOEXECUTE_MEMORY', about: 'Memory that is not executable was executed.', args: ['address executed', 'PTE contents', reserved, reserved] },
  0x10d: {
    name: 'WDF_VIOLATION', about: 'KMDF found an error in the framework driver; Arg1 says which.', args: ['type of violation', undefined, undefined, reserved],
    sub: (p1) => ({
      0x1: { about: 'A power operation timed out.', args: [undefined, 'WDF_POWER_ROUTINE_TIMED_OUT_DATA', reserved] },
      0x2: { about: 'A lock was acquired that is already held (by this thread).', args: [undefined, 'the lock', 'the thread'] },
      0x3: { about: 'Framework verifier fatal error on a request (still referenced buffers, or a request the driver does not own).', args: [undefined, 'the WDFREQUEST', 'outstanding buffer references'] },
      0x4: { about: 'NULL passed for a parameter that must not be NULL.', args: [undefined, reserved, code("the caller's address")] },
      0x5: { about: 'A framework handle of the wrong type (or no object) was passed.', args: [undefined, 'the handle'] },
      0x6: { about: 'A fatal error handling a request; Arg2 says which.', args: [undefined, choice('type', { 1: 'no I/O stack location left', 2: 'a request without an IRP formatted', 3: 'a request sent that was sent already', 4: 'more bytes written than the IRP allows' }), 'the IRP, request, or details'] },
      0x7: { about: 'An object deleted with WdfObjectDereference instead of WdfObjectDelete.', args: [undefined, 'the object'] },
      0x8: { about: 'A DMA transaction used in the wrong state.', args: [undefined, 'the DMA transaction'] },
      0xa: { about: 'A fatal error on a request in a queue.', args: [undefined, 'WDF_QUEUE_FATAL_ERROR_DATA'] },
      0xb: { about: 'An invalid lock operation; Arg3 says which.', args: [undefined, 'the handle', choice('error', { 0: 'the object has no synchronization lock', 1: 'released by a thread that did not acquire it' })] },
      0xc: { about: 'A state-changing PnP IRP arrived while another was being handled.', args: [undefined, 'the WDFDEVICE', 'the new PnP IRP'] },
      0xd: { about: "The power policy owner got a power IRP it did not request.", args: [undefined, 'the WDFDEVICE', 'the power IRP'] },
      0xe: { about: 'An event callback returned at another IRQL than it was called at.', args: [undefined, irql('IRQL at the call'), irql('IRQL at the return')] },
      0xf: { about: 'An event callback entered a critical region and did not leave it.', args: [undefined, code('the callback')] },
    } as Record<number, { about: string; args: (Arg | undefined)[] }>)[Number(p1)],
  },
  0x139: { name: 'KERNEL_SECURITY_CHECK_FAILURE', about: 'A security check failed (__fastfail): a corrupt list, a stack cookie, a Control Flow Guard check.', args: [choice('type', { 2: 'stack cookie check', 3: 'corrupt LIST_ENTRY', 10: 'guard indirect call check' }), 'trap frame', 'exception record', reserved] },
};

/** What a bugcheck's parameters mean, for the codes in the table; undefined for the others. */
export function bugcheckHelp(codeText: string, params: string[], stop: StopReport): BugcheckHelp | undefined {
  const entry = BUGCHECKS[parseInt(codeText, 16)];
  if (!entry) return undefined;
  const values = params.map((p) => BigInt(p));
  const sub = entry.sub && values.length ? entry.sub(values[0]) : undefined;
  const args = [0, 1, 2, 3].map((i) => {
    const a = sub?.args?.[i] ?? entry.args[i];
    if (a === undefined || i >= values.length) return undefined;
    return typeof a === 'string' ? a : a(values[i], values, stop);
  });
  return { name: entry.name, about: sub?.about ? `${sub.about}` : entry.about, args };
}

export function renderInfo(i: InfoReport, stream: OutputStream = process.stdout): string {
  const c = colorsFor(stream);
  const out: string[] = [];
  out.push(`${c.bold(i.path)}: ${i.kind} (${i.subsystem}), ${i.arch}${i.kmdf ? ', KMDF' : ''}`);
  out.push(`  image base ${i.imageBase}  entry ${i.entryPoint}  size ${i.sizeOfImage}`);
  out.push(c.bold('Sections'));
  for (const s of i.sections) out.push(`  ${s.name.padEnd(10)} ${s.rva.padEnd(10)} ${s.size.padEnd(10)} ${s.prot}`);
  // `missing` also names framework entries a KMDF client calls: counted in the KMDF section instead.
  out.push(c.bold(`Imports (${i.imports.length}, ${i.imports.filter((imp) => !imp.implemented).length} missing in kdemu)`));
  for (const imp of i.imports) out.push(`  ${imp.implemented ? c.green('implemented') : c.red('missing    ')}  ${imp.module}!${imp.name}`);
  if (i.wdf) out.push(...renderWdf(c, i.wdf));
  if (i.exports.length) {
    out.push(c.bold('Exports'));
    for (const e of i.exports) out.push(`  ${String(e.ordinal).padStart(4)}  ${e.name || '(by ordinal)'}  ${e.rva}`);
  }
  return out.join('\n') + '\n';
}

/** The KMDF binding and the framework entries referenced: the missing ones a line each, the rest as wrapped names. */
function renderWdf(c: Colors, w: WdfInfo): string[] {
  const out = [c.bold(`KMDF ${w.version}`) + `  ${w.funcCount} functions  bind info ${w.bindInfo}  function table ${w.functionTable}`];
  if (!w.referenced) {
    out.push('  no calls through the function table recognised');
    return out;
  }
  const missing = w.referenced.filter((e) => !e.implemented);
  out.push(`  ${w.referenced.length} entries referenced, ${missing.length} missing in kdemu`);
  for (const e of missing) out.push(`  ${c.red('missing    ')}  ${e.name} (#${e.index})`);
  const names = w.referenced.filter((e) => e.implemented).map((e) => e.name);
  let line = '';
  for (const n of names) {
    if (line && line.length + n.length + 1 > 100) {
      out.push(`  ${c.green('implemented')}  ${line}`);
      line = '';
    }
    line += (line ? ' ' : '') + n;
  }
  if (line) out.push(`  ${c.green('implemented')}  ${line}`);
  return out;
}

export function renderExports(list: ExportListing[], stream: OutputStream = process.stdout): string {
  const c = colorsFor(stream);
  let module = '';
  const out: string[] = [];
  for (const e of list) {
    if (e.module !== module) out.push(c.bold((module = e.module)));
    out.push(`  ${e.prototype}${e.convention && e.convention !== 'stdcall' ? `  [${e.convention}]` : ''}${e.arch ? `  (${e.arch} only)` : ''}`);
  }
  return out.join('\n') + '\n';
}
