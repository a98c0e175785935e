// The cases: each is derived from (seed, kind, index) and the corpus alone. A case is a few files (written to a
// temporary directory; "@TMP@" in an argument stands for it) and one or more kdemu command lines run in turn.

import type { Corpus, DriverTarget } from './targets.js';
import { mutatePe } from './pe.js';
import { Rng } from './rng.js';

export const KINDS = ['pe', 'ioctl', 'args'] as const;
export type Kind = (typeof KINDS)[number] | 'selftest';

export interface CaseFile {
  name: string;
  bytes: Uint8Array | string;
}

export interface Invocation {
  argv: string[];
  /** The command line is certainly wrong: it must end in exit 2. */
  expectUsageError?: boolean;
  /** selftest only: the stand-in CLI's misbehaviour instead of running kdemu. */
  fake?: string;
}

export interface Case {
  kind: Kind;
  index: number;
  desc: string;
  files: CaseFile[];
  invocations: Invocation[];
  /** Operations the case sends (ioctl, read, ...), for the summary's totals. */
  ops?: Record<string, number>;
}

function countOps(ops: { op: string }[]): Record<string, number> {
  const n: Record<string, number> = {};
  for (const o of ops) n[o.op] = (n[o.op] ?? 0) + 1;
  return n;
}

export interface GenContext {
  corpus: Corpus;
  /** Exports kdemu implements (for renamed imports). */
  exportNames: string[];
  /** --engine for every run (args cases may override it). */
  engine: 'wasm' | 'unicorn';
  /** kdemu's own --timeout for each run, ms. */
  runTimeoutMs: number;
}

export const TMP = '@TMP@';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const code = (n: number): string => '0x' + (n >>> 0).toString(16).toUpperCase();

/** Addresses a driver may be handed as "pointers" in its input: its own image, kernel regions, user space, junk. */
function pointerValue(rng: Rng, arch: 'x86' | 'x64'): bigint {
  const x64 = arch === 'x64';
  const choices: bigint[] = x64
    ? [0n, 1n, 0x10000n, 0x7ffe0000n, 0x7fffffff0000n, 0xfffff78000000000n, 0xfffff80001000000n, 0xfffff80001001000n, 0xffff800000000000n, 0xffffffffffffffffn, 0x8000000000000000n, 0xfffffa8000000000n]
    : [0n, 1n, 0x10000n, 0x7ffe0000n, 0x7fff0000n, 0x80000000n, 0x9a000000n, 0x9a001000n, 0xffdf0000n, 0xffffffffn, 0xc0000000n];
  const base = rng.pick(choices);
  const off = rng.chance(0.5) ? 0n : BigInt(rng.int(0x2000));
  const mask = x64 ? 0xffffffffffffffffn : 0xffffffffn;
  return (base + off) & mask;
}

function interestingU32(rng: Rng): number {
  return rng.pick([0, 1, 2, 3, 4, 5, 8, 16, 0x20, 0x100, 0x1000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, rng.u32(), rng.int(64)]);
}

/** An IOCTL input buffer: noise, zeros, or fields (sub-operation, sizes, pointers) of the driver's architecture. */
function ioctlInput(rng: Rng, t: DriverTarget, maxLarge: number): Uint8Array {
  const r = rng.float();
  let len: number;
  if (r < 0.2) len = 0;
  else if (r < 0.65) len = rng.pick([1, 2, 3, 4, 7, 8, 12, 16, 20, 24, 32, rng.range(1, 64)]);
  else if (r < 0.97) len = rng.range(0, 4096);
  else len = rng.range(0x10000, maxLarge);
  const style = rng.float();
  if (style < 0.3 || len > 4096) {
    const b = rng.chance(0.3) ? new Uint8Array(len).fill(rng.pick([0, 0x41, 0xff])) : rng.bytes(len);
    if (len >= 4 && (t.inputStyle === 'subop' || rng.chance(0.3))) new DataView(b.buffer).setUint32(0, rng.int(8), true);
    return b;
  }
  // Structured: a sequence of ULONGs and pointers.
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  let p = 0;
  if (t.inputStyle === 'subop' && len >= 4) {
    dv.setUint32(0, rng.weighted([[6, 0], [2, 1], [2, 2], [1, 3], [1, rng.u32()]] as const), true);
    p = 4;
  }
  while (p < len) {
    const ptrSize = t.arch === 'x64' ? 8 : 4;
    if (rng.chance(0.4) && p + ptrSize <= len) {
      const v = pointerValue(rng, t.arch);
      if (ptrSize === 8) dv.setBigUint64(p, v, true);
      else dv.setUint32(p, Number(v), true);
      p += ptrSize;
    } else if (p + 4 <= len) {
      dv.setUint32(p, interestingU32(rng), true);
      p += 4;
    } else {
      b[p++] = rng.int(256);
    }
  }
  return b;
}

/** An IOCTL code: mostly the driver's own, sometimes one with another method or access, a neighbour, or noise. */
function ioctlCode(rng: Rng, t: DriverTarget): number {
  const own = t.codes.length ? rng.pick(t.codes) : 0x222000;
  const r = rng.float();
  if (r < 0.55) return own;
  if (r < 0.7) return ((own & ~3) | rng.int(4)) >>> 0; // another transfer method
  if (r < 0.78) return ((own & ~0xc000) | (rng.int(4) << 14)) >>> 0; // another access
  if (r < 0.86) return (own + rng.pick([-8, -4, 4, 8, 0x10, 0x1000])) >>> 0; // a neighbouring function
  return rng.pick([0, 1, 0xffffffff, 0x80000000, 0x222000, 0x22200f, rng.u32(), (0x22 << 16) | (rng.int(0x1000) << 2) | rng.int(4)]) >>> 0;
}

function outputLength(rng: Rng, maxLarge: number): number {
  const r = rng.float();
  if (r < 0.25) return 0;
  if (r < 0.7) return rng.pick([1, 2, 3, 4, 8, 16, 32, 64, rng.range(1, 256)]);
  if (r < 0.97) return rng.range(0, 8192);
  return rng.range(0x10000, maxLarge);
}

type Op =
  | { op: 'ioctl'; code: number; input: Uint8Array; outputLength: number }
  | { op: 'read'; length: number }
  | { op: 'write'; data: Uint8Array }
  | { op: 'open'; name: string }
  | { op: 'close' }
  | { op: 'cancel' }
  | { op: 'wait'; ms: number };

function randomOps(rng: Rng, t: DriverTarget, n: number, maxLarge: number): Op[] {
  const ops: Op[] = [];
  const names = t.names.length ? t.names : ['My_Device'];
  const hasIoctl = t.codes.length > 0;
  for (let i = 0; i < n; i++) {
    const kind = rng.weighted([
      [hasIoctl ? 60 : 15, 'ioctl'],
      [hasIoctl ? 8 : 25, 'read'],
      [hasIoctl ? 8 : 25, 'write'],
      [5, 'open'],
      [4, 'close'],
      [4, 'cancel'],
      [6, 'wait'],
    ] as const);
    switch (kind) {
      case 'ioctl':
        ops.push({ op: 'ioctl', code: ioctlCode(rng, t), input: ioctlInput(rng, t, maxLarge), outputLength: outputLength(rng, maxLarge) });
        break;
      case 'read':
        ops.push({ op: 'read', length: outputLength(rng, maxLarge) });
        break;
      case 'write': {
        const len = rng.chance(0.03) ? rng.range(0x10000, maxLarge) : rng.size(512);
        ops.push({ op: 'write', data: rng.bytes(len) });
        break;
      }
      case 'open':
        ops.push({
          op: 'open',
          name: rng.weighted([
            [8, rng.pick(names)],
            [1, 'NoSuchDevice'],
            [1, '\\Device\\NoSuch'],
            [1, rng.pick(names) + '\\sub\\path'],
            [1, '\\??\\' + rng.pick(names).replace(/^\\Device\\/, '')],
            [1, 'x'.repeat(rng.pick([1, 255, 300, 4000]))],
          ] as const),
        });
        break;
      case 'close':
        ops.push({ op: 'close' });
        break;
      case 'cancel':
        ops.push({ op: 'cancel' });
        break;
      case 'wait':
        ops.push({ op: 'wait', ms: rng.pick([0, 1, 10, 100, 499, 500, 501, 1000, 5000, rng.int(3000)]) });
        break;
    }
  }
  return ops;
}

function opArgs(ops: Op[]): string[] {
  const out: string[] = [];
  for (const o of ops) {
    switch (o.op) {
      case 'ioctl':
        out.push('--ioctl', `${code(o.code)}:${hex(o.input)}:${o.outputLength}`);
        break;
      case 'read':
        out.push('--read', String(o.length));
        break;
      case 'write':
        out.push('--write', hex(o.data));
        break;
      case 'open':
        out.push('--open', o.name);
        break;
      case 'close':
        out.push('--close');
        break;
      case 'cancel':
        out.push('--cancel');
        break;
      case 'wait':
        out.push('--wait', String(o.ms));
        break;
    }
  }
  return out;
}

function scriptJson(ops: Op[], rng: Rng): string {
  return JSON.stringify(
    ops.map((o) => {
      switch (o.op) {
        case 'ioctl':
          return { op: 'ioctl', code: rng.chance(0.5) ? code(o.code) : o.code >>> 0, input: hex(o.input), outputLength: o.outputLength };
        case 'read':
          return { op: 'read', length: o.length };
        case 'write':
          return { op: 'write', data: hex(o.data) };
        case 'open':
          return { op: 'open', name: o.name };
        case 'wait':
          return { op: 'wait', ms: o.ms };
        default:
          return { op: o.op };
      }
    }),
  );
}

function budgetArgs(rng: Rng, ctx: GenContext, heavy: boolean): string[] {
  const max = heavy ? rng.pick([20_000, 200_000, 1_000_000]) : rng.weighted([[4, 200_000], [4, 1_000_000], [2, 3_000_000], [1, 10_000]] as const);
  const out = ['--max-instructions', String(max), '--timeout', String(ctx.runTimeoutMs)];
  if (ctx.engine !== 'wasm') out.push('--engine', ctx.engine);
  return out;
}

function pickDriver(rng: Rng, ctx: GenContext): DriverTarget {
  const ds = ctx.corpus.drivers;
  // Drivers with IOCTLs or a device twice as often as the rest.
  return rng.weighted(ds.map((d) => [d.codes.length || d.names.length ? 2 : 1, d] as const));
}

/** A driver's run line (with --load for a filter): [run, DRIVER, (--load X)]. */
function runHead(t: DriverTarget, file = t.path): string[] {
  return t.loadAfter ? ['run', t.loadAfter, '--load', file] : ['run', file];
}

function peCase(rng: Rng, ctx: GenContext, index: number): Case {
  const useClient = ctx.corpus.clients.length > 0 && rng.chance(0.12);
  if (useClient) {
    const c = rng.pick(ctx.corpus.clients);
    const { bytes, steps } = mutatePe(c.bytes, rng, { exportNames: ctx.exportNames });
    const file = `${TMP}/mutant.exe`;
    return {
      kind: 'pe',
      index,
      desc: `${c.id}: ${steps.join('; ')}`,
      files: [{ name: 'mutant.exe', bytes }],
      invocations: [
        { argv: ['info', file, '--json'] },
        { argv: ['run', c.driver, '--client', file, '--json', ...budgetArgs(rng, ctx, false)] },
      ],
    };
  }
  const t = pickDriver(rng, ctx);
  const { bytes, steps } = mutatePe(t.bytes, rng, { exportNames: ctx.exportNames });
  const file = `${TMP}/mutant.sys`;
  const ops = randomOps(rng, t, rng.int(4), 4096);
  return {
    kind: 'pe',
    index,
    desc: `${t.id}: ${steps.join('; ')}`,
    files: [{ name: 'mutant.sys', bytes }],
    invocations: [
      { argv: ['info', file, '--json'] },
      { argv: [...runHead(t, file), '--json', ...budgetArgs(rng, ctx, t.heavy === true), ...(rng.chance(0.2) ? ['--overlapped'] : []), ...opArgs(ops)] },
    ],
    ops: countOps(ops),
  };
}

function ioctlCase(rng: Rng, ctx: GenContext, index: number): Case {
  const t = pickDriver(rng, ctx);
  const maxLarge = rng.chance(0.5) ? 0x40000 : 4 * 1024 * 1024;
  const ops = randomOps(rng, t, rng.range(1, 10), maxLarge);
  const argv = [...runHead(t), '--json', ...budgetArgs(rng, ctx, t.heavy === true)];
  if (rng.chance(0.25)) argv.push('--overlapped');
  if (rng.chance(0.08)) argv.push('--no-unload');
  if (rng.chance(0.08)) argv.push('--max-virtual-time', String(rng.pick([1, 10, 100, 1000, 60000])));
  if (rng.chance(0.05)) argv.push('--memory', String(rng.pick([16, 20, 32, 64, 4032])));
  const files: CaseFile[] = [];
  let how = 'argv';
  if (rng.chance(0.1)) {
    files.push({ name: 'ops.json', bytes: scriptJson(ops, rng) });
    argv.push('--script', `${TMP}/ops.json`);
    how = 'script';
  } else argv.push(...opArgs(ops));
  const summary = ops
    .map((o) => (o.op === 'ioctl' ? `ioctl ${code(o.code)} in ${o.input.length} out ${o.outputLength}` : o.op === 'read' ? `read ${o.length}` : o.op === 'write' ? `write ${o.data.length}` : o.op === 'wait' ? `wait ${o.ms}` : o.op === 'open' ? `open ${o.name.slice(0, 40)}` : o.op))
    .join(', ');
  return { kind: 'ioctl', index, desc: `${t.id} (${how}): ${summary}`, files, invocations: [{ argv }], ops: countOps(ops) };
}

// ---- args -------------------------------------------------------------------------------------------------------

const BAD_NUMBERS = ['', '-1', 'abc', '1.5', '0x', '0xg', '1e9', '99999999999999999999', 'NaN', 'Infinity', '٣', '0x1ffffffffffffff', ' ', '+5', '1_000'];
const NUMERIC = ['--read', '--wait', '--max-instructions', '--max-virtual-time', '--memory', '--timeout'] as const;

/** Which values of a numeric option kdemu must refuse (beyond the BAD_NUMBERS every one refuses). */
function numericValue(rng: Rng, opt: (typeof NUMERIC)[number]): { value: string; bad: boolean } {
  if (rng.chance(0.45)) return { value: rng.pick(BAD_NUMBERS), bad: true };
  switch (opt) {
    case '--memory':
      return rng.pick([
        { value: '0', bad: true },
        { value: '15', bad: true },
        { value: '16', bad: false },
        { value: '4032', bad: false },
        { value: '4033', bad: true },
        { value: '1000000000000', bad: true },
        { value: '0x100', bad: false },
        { value: '17', bad: false },
      ]);
    case '--max-instructions':
    case '--max-virtual-time':
      return rng.pick([
        { value: '0', bad: true },
        { value: '1', bad: false },
        { value: 'unlimited', bad: false },
        { value: 'UNLIMITED', bad: false },
        { value: '100', bad: false },
        { value: '9007199254740991', bad: false },
        { value: '9007199254740992', bad: true },
      ]);
    case '--timeout':
      return rng.pick([
        { value: '0', bad: true },
        { value: '1', bad: false },
        { value: '50', bad: false },
        { value: '9007199254740991', bad: false },
        { value: 'unlimited', bad: true },
      ]);
    case '--wait':
      return rng.pick([
        { value: '0', bad: false },
        { value: '86400000', bad: false },
        { value: '86400001', bad: true },
        { value: '1000', bad: false },
      ]);
    case '--read':
      // 64 MiB, not the largest read allowed (256 MiB): that one is valid but takes ~1.2 GB of RSS in kdemu, and two
      // at once would trip the process-wide RSS bound (test/fuzz/regressions.test.ts runs it with --memory 64).
      return rng.pick([
        { value: '0', bad: false },
        { value: '67108864', bad: false },
        { value: '268435457', bad: true },
        { value: '4096', bad: false },
        { value: '0x10', bad: false },
      ]);
  }
}

interface ArgsState {
  head: string[];
  opts: string[];
  /** After "--": a client's arguments. */
  tail: string[];
  /** Why the command line is certainly wrong (empty: it may be valid). */
  bad: string[];
  /** Options given once (the last occurrence wins): why the last value is wrong, or null when it is fine. */
  single: Map<string, string | null>;
  /** A string option left without its value, at the very end. */
  dangling?: string;
  files: CaseFile[];
}

function argsCase(rng: Rng, ctx: GenContext, index: number): Case {
  const t = pickDriver(rng, ctx);
  const client = ctx.corpus.clients.length ? rng.pick(ctx.corpus.clients) : undefined;
  const template = rng.weighted([[5, 'run'], [client ? 1 : 0, 'client'], [3, 'info'], [1, 'exports'], [1, 'help']] as const);
  // A driver of the other architecture than the run's first driver (--load of it is refused).
  const baseArch = template === 'client' ? client!.arch : t.arch;
  const others = ctx.corpus.drivers.filter((d) => d.arch !== baseArch);
  const other = others.length ? rng.pick(others) : t;
  const cmd = template === 'client' ? 'run' : template;
  const s: ArgsState = { head: [], opts: [], tail: [], bad: [], single: new Map(), files: [] };
  const budgets = ['--max-instructions', '1000000', '--timeout', String(ctx.runTimeoutMs), ...(ctx.engine !== 'wasm' ? ['--engine', ctx.engine] : [])];
  if (template === 'run') {
    s.head = ['run', t.loadAfter ?? t.path];
    if (t.loadAfter) s.opts.push('--load', t.path);
    s.opts.push(...budgets, ...opArgs(randomOps(rng, t, rng.int(3), 256)));
  } else if (template === 'client') {
    s.head = ['run', client!.driver];
    s.opts.push(...budgets, '--client', client!.path);
    if (rng.chance(0.4)) s.opts.push('--stdin', rng.pick(['', '1 2\n', 'x'.repeat(10000), '\u00e9\u4e2d\n', '\0\x1a\n']));
    if (rng.chance(0.4)) s.tail.push('--', ...Array.from({ length: rng.range(0, 3) }, () => rng.pick(['a', '', 'two words', '\u4e2d', '-x', '--json'])));
  } else if (template === 'info') s.head = ['info', rng.chance(0.8) || !client ? t.path : client.path];
  else if (template === 'exports') s.head = ['exports'];
  else s.head = [rng.pick(['help', '--help', '-h', 'version', '--version'])];
  if (template !== 'help' && rng.chance(0.7)) s.opts.push('--json');

  const help = template === 'help';
  const notRun = cmd === 'info' || cmd === 'exports';
  const bad = (why: string, certain = true): void => {
    if (certain && !help) s.bad.push(why);
  };
  /** A value of an option given once: a later occurrence replaces it, so only the last one's verdict counts. */
  const SINGLE = new Set(['--max-instructions', '--max-virtual-time', '--memory', '--timeout', '--trace', '--engine', '--client']);
  const valueOf = (opt: string, why: string, wrong: boolean): void => {
    if (help) return;
    if (notRun) s.bad.push(why); // info and exports refuse the option whatever its value
    else if (SINGLE.has(opt)) s.single.set(opt, wrong ? why : null);
    else if (wrong) s.bad.push(why);
  };
  const mutations = rng.weighted([[5, 1], [3, 2], [2, 3]] as const);
  let unknown = false;
  for (let m = 0; m < mutations; m++) {
    switch (rng.int(24)) {
      case 0: {
        const o = rng.pick(['--frobnicate', '-x', '--JSON', '---json', '--no-such-option', '-', '--ioctl-code', '--max_instructions']);
        s.opts.push(o);
        bad(o === '-' ? 'a second positional -' : `unknown option ${o}`);
        break;
      }
      case 1:
      case 2: {
        const opt = rng.pick(NUMERIC);
        const { value, bad: wrong } = numericValue(rng, opt);
        if (rng.chance(0.15)) s.opts.push(`${opt}=${value}`);
        else s.opts.push(opt, value);
        // A separate value starting with "-" reads as another option: refused whatever follows.
        if (value.startsWith('-') && !s.opts[s.opts.length - 1]!.includes('=')) bad(`${opt} ${value}: an option-like value`);
        valueOf(opt, `${opt} ${JSON.stringify(value)}`, wrong || (template === 'client' && (opt === '--read' || opt === '--wait')));
        break;
      }
      case 3: {
        // The file itself: missing, a directory, empty, not a PE, a device, a path with NUL, a client program.
        const f = rng.pick(['missing', 'dir', 'empty', 'text', 'devnull', 'devzero', 'nul', 'client', 'long', 'mz'] as const);
        let p: string;
        if (f === 'missing') p = '/nonexistent/kdemu-fuzz/x.sys';
        else if (f === 'dir') p = TMP;
        else if (f === 'empty') {
          s.files.push({ name: 'empty.sys', bytes: new Uint8Array(0) });
          p = `${TMP}/empty.sys`;
        } else if (f === 'text') {
          s.files.push({ name: 'text.sys', bytes: 'this is not a driver\n' });
          p = `${TMP}/text.sys`;
        } else if (f === 'mz') {
          s.files.push({ name: 'mz.sys', bytes: Uint8Array.from([0x4d, 0x5a, ...rng.bytes(rng.int(300))]) });
          p = `${TMP}/mz.sys`;
        } else if (f === 'devnull') p = '/dev/null';
        else if (f === 'devzero') p = '/dev/zero';
        else if (f === 'nul') p = `${TMP}/a\0b.sys`;
        else if (f === 'long') p = `${TMP}/${'x'.repeat(rng.pick([255, 256, 5000]))}.sys`;
        else p = client?.path ?? '/nonexistent/c.exe';
        if (s.head.length >= 2) {
          s.head[1] = p;
          // info describes a client program too.
          bad(`DRIVER ${f}`, !(f === 'client' && cmd === 'info' && client !== undefined));
        } else if (cmd === 'exports') {
          s.opts.push(p);
          bad('exports with a file');
        }
        break;
      }
      case 4: {
        // --trace somewhere unwritable, to stdout, or to a file.
        const v = rng.pick(['/nonexistent/dir/t.ndjson', TMP, '-', `${TMP}/trace.ndjson`, '']);
        s.opts.push('--trace', v);
        valueOf('--trace', `--trace ${v}`, v === TMP || v.startsWith('/nonexistent'));
        break;
      }
      case 5: {
        // --script files: missing, not JSON, not an array, bad operations, good operations.
        const variants: [string, string | null, boolean][] = [
          ['missing', null, true],
          ['notjson', '{"op":', true],
          ['object', '{"op":"read","length":4}', true],
          ['unknownop', '[{"op":"frob"}]', true],
          ['extrakey', '[{"op":"read","length":4,"x":1}]', true],
          ['negative', '[{"op":"read","length":-1}]', true],
          ['float', '[{"op":"wait","ms":1.5}]', true],
          ['hugecode', '[{"op":"ioctl","code":4294967296}]', true],
          ['badhex', '[{"op":"write","data":"abc"}]', true],
          ['nullentry', '[null]', true],
          ['emptyname', '[{"op":"open","name":""}]', true],
          ['nested', '[[{"op":"read","length":4}]]', true],
          ['deep', '['.repeat(5000) + ']'.repeat(5000), true],
          ['good', JSON.stringify([{ op: 'read', length: 4 }, { op: 'ioctl', code: '0x222000', input: '01000000', outputLength: 4 }, { op: 'wait', ms: 10 }, { op: 'cancel' }, { op: 'close' }]), false],
          ['empty', '[]', false],
          ['big', JSON.stringify(Array.from({ length: 2000 }, () => ({ op: 'wait', ms: 0 }))), false],
        ];
        const [name, text, wrong] = rng.pick(variants);
        if (text !== null) s.files.push({ name: `script-${name}.json`, bytes: text });
        s.opts.push('--script', text === null ? `${TMP}/missing.json` : `${TMP}/script-${name}.json`);
        // A script's operations with --client are refused too.
        bad(`--script ${name}`, wrong || notRun || (template === 'client' && name !== 'empty'));
        break;
      }
      case 6: {
        // --load: the other architecture, missing, a client program, the driver itself again.
        const v = rng.pick(['arch', 'missing', 'client', 'self'] as const);
        const p = v === 'arch' ? other.path : v === 'missing' ? '/nonexistent/l.sys' : v === 'client' ? (client?.path ?? '/nonexistent/c.exe') : t.path;
        s.opts.push('--load', p);
        bad(`--load ${v}`, notRun || v === 'missing' || v === 'client' || (v === 'arch' && other.arch !== baseArch));
        break;
      }
      case 7: {
        // --client: a driver as a client, missing, empty; --stdin or -- without one; operations with one.
        const v = rng.pick(['driver', 'missing', 'empty', 'stdin-alone', 'dashdash-alone'] as const);
        if (v === 'stdin-alone') {
          s.opts.push('--stdin', 'hello');
          bad('--stdin without --client', template !== 'client');
        } else if (v === 'dashdash-alone') {
          if (!s.tail.length) s.tail.push('--', 'arg1');
          bad('-- without --client', template !== 'client');
        } else {
          s.opts.push('--client', v === 'driver' ? t.path : v === 'missing' ? '/nonexistent/c.exe' : '');
          valueOf('--client', `--client ${v}`, true);
        }
        break;
      }
      case 8: {
        // Processes, pipes and the file system: good and bad values; --spawn and --kill are operations (refused with a
        // client); --registry is not supported yet.
        const [o, v, wrong] = rng.pick([
          ['--spawn', 'notepad.exe', false],
          ['--spawn', 'C:\\Tools\\x.exe', false],
          ['--spawn', 'a|b', true],
          ['--spawn', '', true],
          ['--kill', '428', false],
          ['--kill', 'abc', true],
          ['--pipe', 'KdPipe', false],
          ['--pipe', '\\\\.\\pipe\\KdPipe', false],
          ['--pipe', 'a\\b', true],
          ['--pipe', '', true],
          ['--fs', TMP, false],
          ['--fs', '/nonexistent/dir', true],
          ['--registry', 'x', true],
        ] as const);
        s.opts.push(o, v);
        const operation = o === '--spawn' || o === '--kill';
        bad(`${o} ${v}`, wrong || notRun || (operation && template === 'client'));
        break;
      }
      case 9:
        s.opts.push('--engine', rng.pick(['bogus', 'WASM', 'qemu', 'x']));
        valueOf('--engine', '--engine bogus', true);
        break;
      case 10: {
        const v = rng.pick(['', ':', '::', '0x222000:zz', '0x222000:abc', '0x222000:00:-1', '0x1ffffffff', '1:2:3:4', '0x222000::268435457', 'abc', '0x222000:00:1.5', ':00:4']);
        s.opts.push('--ioctl', v);
        bad(`--ioctl ${v}`);
        break;
      }
      case 11: {
        const v = rng.pick(['abc', '0', 'zz', 'x']);
        s.opts.push('--write', v);
        bad(`--write ${v}`);
        break;
      }
      case 12:
        s.opts.push('--open', '');
        bad('--open empty');
        break;
      case 13:
        // A boolean option given a value.
        s.opts.push(rng.pick(['--json=1', '--overlapped=yes', '--close=1', '--no-unload=0']));
        bad('a boolean with a value');
        break;
      case 14:
        // A string option without its value, at the very end.
        s.dangling = rng.pick(['--read', '--ioctl', '--open', '--memory', '--trace', '--script', '--load', '--client', '--wait']);
        s.tail = [];
        bad(`${s.dangling} without a value`);
        break;
      case 15:
        // An extra positional (a second DRIVER).
        s.opts.push(rng.pick([t.path, 'extra', 'run']));
        bad('an extra positional');
        break;
      case 16: {
        const o = rng.pick(['--overlapped', '--no-unload', '--close', '--cancel']);
        s.opts.push(o);
        // Options of run are refused by info and exports; with --client an operation is refused too.
        bad(`${o} outside run`, notRun || (template === 'client' && (o === '--close' || o === '--cancel')));
        break;
      }
      case 17:
        // Long or odd device names (valid syntax).
        if (template === 'run') s.opts.push('--open', rng.pick(['\u4e2d\u6587', 'a'.repeat(100000), '\\', '\\\\', '\\Device\\', 'CON', 'x\0y', '\\??\\', '\\GLOBAL??\\KdIoctl']));
        break;
      case 18: {
        // A duplicated token: validity unknown afterwards.
        if (s.opts.length) s.opts.splice(rng.int(s.opts.length + 1), 0, rng.pick(s.opts));
        unknown = true;
        break;
      }
      case 19:
        // A deleted token: validity unknown afterwards.
        if (s.opts.length) s.opts.splice(rng.int(s.opts.length), 1);
        unknown = true;
        break;
      case 20:
        // Shuffled options: validity unknown afterwards.
        for (let i = s.opts.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [s.opts[i], s.opts[j]] = [s.opts[j]!, s.opts[i]!];
        }
        unknown = true;
        break;
      case 21:
        // The command word mangled.
        s.head[0] = rng.pick(['RUN', 'infos', '', 'exports2', 'run ', '-run', 'Info']);
        s.bad.push(`command ${JSON.stringify(s.head[0])}`);
        break;
      case 22:
        // Valid extremes of the budgets and memory: the run must still end in a report.
        if (cmd === 'run') {
          const extreme = rng.pick([['--memory', '16'], ['--memory', '4032'], ['--max-instructions', '1'], ['--max-virtual-time', '1'], ['--timeout', '1'], ['--max-instructions', 'unlimited', '--timeout', String(ctx.runTimeoutMs)]]);
          s.opts.push(...extreme);
          for (let i = 0; i < extreme.length; i += 2) valueOf(extreme[i]!, `${extreme[i]} ${extreme[i + 1]}`, false);
        }
        break;
      case 23: {
        // A random printable token: validity unknown afterwards.
        let tok = String.fromCharCode(...Array.from({ length: rng.range(1, 12) }, () => rng.range(0x20, 0x7e)));
        if (tok === '--') tok = '-x-';
        s.opts.push(tok);
        unknown = true;
        break;
      }
    }
  }
  for (const why of s.single.values()) if (why) s.bad.push(why);
  // A mangled command word is certain whatever else happened; the rest only while nothing made validity unknown.
  const certain = s.bad.filter((b) => b.startsWith('command ')).length > 0 || (!unknown && s.bad.length > 0);
  const argv = [...keepBounded([...s.head, ...s.opts, ...s.tail], ctx), ...(s.dangling ? [s.dangling] : [])];
  return {
    kind: 'args',
    index,
    desc: `${template}: ${s.bad.length ? (certain ? 'invalid: ' : 'perhaps invalid: ') + s.bad.join(', ') : 'perhaps valid'}`,
    files: s.files,
    invocations: [{ argv, expectUsageError: certain }],
  };
}

/** A run with neither a small timeout nor a small instruction budget in effect gets kdemu's timeout back at the end. */
function keepBounded(argv: string[], ctx: GenContext): string[] {
  if (argv[0] !== 'run') return argv;
  const end = argv.indexOf('--');
  const opts = end < 0 ? argv : argv.slice(0, end);
  const last = (name: string): string | undefined => {
    let v: string | undefined;
    for (let i = 0; i < opts.length; i++) {
      if (opts[i] === name && i + 1 < opts.length) v = opts[i + 1];
      else if (opts[i]!.startsWith(name + '=')) v = opts[i]!.slice(name.length + 1);
    }
    return v;
  };
  const num = (v: string | undefined): number | undefined => (v !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(v.trim()) ? Number(v.trim()) : undefined);
  const tv = last('--timeout');
  const mv = last('--max-instructions');
  // A value kdemu refuses ends the run before it starts.
  if (tv !== undefined && num(tv) === undefined) return argv;
  if (mv !== undefined && num(mv) === undefined && mv.trim().toLowerCase() !== 'unlimited') return argv;
  const timeout = num(tv);
  const maxI = num(mv);
  if ((timeout !== undefined && timeout <= ctx.runTimeoutMs) || (maxI !== undefined && maxI <= 20_000_000)) return argv;
  return [...opts, '--timeout', String(ctx.runTimeoutMs), ...(end < 0 ? [] : argv.slice(end))];
}

/** Fake cases that exercise the checks themselves (the campaign test runs them; never part of a real campaign). */
export const SELFTESTS = ['ok', 'exit3', 'exit4', 'stack-stderr', 'stack-stdout', 'bad-json', 'two-lines', 'internal-outcome', 'outcome-mismatch', 'throw', 'hang', 'process-exit', 'stray-output', 'usage-expected'] as const;

function selftestCase(index: number): Case {
  const what = SELFTESTS[index % SELFTESTS.length]!;
  return {
    kind: 'selftest',
    index,
    desc: `selftest ${what}`,
    files: [],
    invocations: [{ argv: ['run', 'x.sys', '--json'], fake: what, expectUsageError: what === 'usage-expected' }],
  };
}

export function generateCase(kind: Kind, seed: number, index: number, ctx: GenContext): Case {
  if (kind === 'selftest') return selftestCase(index);
  const rng = Rng.forCase(seed, kind, index);
  if (kind === 'pe') return peCase(rng, ctx, index);
  if (kind === 'ioctl') return ioctlCase(rng, ctx, index);
  return argsCase(rng, ctx, index);
}
