// Code coverage of the driver images: the engine marks executed instruction addresses in a bitmap (one bit per
// byte of a covered range); here they become basic blocks, a drcov file (DynamoRIO's format, which Lighthouse,
// Cartographer and bncov read) and the report's per-module summary.

import { writeFileSync } from 'node:fs';
import { Decoder, DecoderOptions, FlowControl, Instruction } from 'iced-x86';
import type { Arch, Engine } from '../emu/engine.js';
import { mapImage, parsePe, type PeImage } from '../emu/pe/index.js';
import { InputError } from './errors.js';

/** A driver image whose coverage is reported: path as given on the command line. */
export interface CoverageImage {
  path: string;
  name: string;
  base: bigint;
  size: number;
  img: PeImage;
  bytes: Uint8Array;
}

/** One executed basic block: offset from its module's base and length in bytes. */
export interface CoveredBlock {
  start: number;
  size: number;
}

export interface ModuleCoverage {
  image: CoverageImage;
  /** Executed blocks, in address order. */
  hit: CoveredBlock[];
  /** Static counts: basic blocks and functions found in the image, and how many of them ran. */
  blocks: number;
  blocksHit: number;
  functions: number;
  functionsHit: number;
}

export interface CoverageSummary {
  modules: { name: string; blocks: number; blocksHit: number; functions: number; functionsHit: number }[];
}

/** Spacing between loaded driver images (hal/io/driver.ts places the n-th driver at layout.drivers + n strides). */
const IMAGE_STRIDE = 0x1000000n;

/**
 * The range to cover before the first driver runs: its own image, and the slots the --load drivers will be mapped
 * at (they are mapped only after the first DriverEntry, so their bases are not known yet). An image mapped outside
 * it (one that must sit at its preferred base) gets no coverage.
 */
export function coverageRange(first: { base: bigint; size: number }, driversBase: bigint, firstIndex: number, more: number): { begin: bigint; end: bigint } {
  let begin = first.base;
  let end = first.base + BigInt(first.size);
  if (more > 0) {
    const slotsBegin = driversBase + IMAGE_STRIDE * BigInt(firstIndex + 1);
    const slotsEnd = driversBase + IMAGE_STRIDE * BigInt(firstIndex + 1 + more);
    if (slotsBegin < begin) begin = slotsBegin;
    if (slotsEnd > end) end = slotsEnd;
  }
  return { begin, end };
}

/** Whether the engine can record coverage (--coverage is refused otherwise). */
export function engineHasCoverage(engine: Engine): boolean {
  return typeof engine.setCoverage === 'function' && typeof engine.coverage === 'function';
}

/** A decoded instruction's length, whether it ends a block, and its direct branch target (0n: none). */
interface Insn {
  length: number;
  ends: boolean;
  target: bigint;
  call: boolean;
}

class ImageDecoder {
  private readonly decoder: Decoder;
  private readonly insn = new Instruction();
  constructor(
    private readonly memory: Uint8Array,
    private readonly base: bigint,
    arch: Arch,
  ) {
    this.decoder = new Decoder(arch === 'x64' ? 64 : 32, memory, DecoderOptions.None);
  }
  /** The instruction at rva, or undefined when it does not decode. */
  at(rva: number): Insn | undefined {
    if (rva < 0 || rva >= this.memory.length) return undefined;
    this.decoder.position = rva;
    this.decoder.ip = this.base + BigInt(rva);
    this.decoder.decodeOut(this.insn);
    if (this.insn.isInvalid) return undefined;
    const fc = this.insn.flowControl;
    const direct = fc === FlowControl.UnconditionalBranch || fc === FlowControl.ConditionalBranch || fc === FlowControl.Call;
    return { length: this.insn.length, ends: fc !== FlowControl.Next, target: direct ? this.insn.nearBranchTarget : 0n, call: fc === FlowControl.Call };
  }
  free(): void {
    this.insn.free();
    this.decoder.free();
  }
}

/**
 * The image's code regions for the static counts: x64, the .pdata functions; x86, the executable sections (a
 * linear sweep: compilers put no data there for drivers, and padding decodes as int3/nop).
 */
function codeRegions(img: PeImage): { begin: number; end: number }[] {
  if (img.arch === 'x64' && img.exceptions.length > 0) return img.exceptions.map((f) => ({ begin: f.begin, end: f.end }));
  return img.sections.filter((s) => s.executable).map((s) => ({ begin: s.rva, end: s.rva + s.virtualSize }));
}

/** Per-module coverage from the engine's bitmap over [begin, end). */
export function collectCoverage(bitmap: Uint8Array, range: { begin: bigint; end: bigint }, images: CoverageImage[]): ModuleCoverage[] {
  return images.map((image) => moduleCoverage(bitmap, range, image));
}

function moduleCoverage(bitmap: Uint8Array, range: { begin: bigint; end: bigint }, image: CoverageImage): ModuleCoverage {
  const { img, base, size } = image;
  // Offsets into the bitmap as numbers (the hot part scans every byte of the image).
  const off0 = Number(base - range.begin);
  const bits = Number(range.end - range.begin);
  const executed = (rva: number): boolean => {
    const off = off0 + rva;
    return off >= 0 && off < bits && (bitmap[Math.floor(off / 8)] & (1 << (off % 8))) !== 0;
  };
  // The image as mapped (relocations applied) decodes as the guest ran it, even after it was unloaded.
  const memory = mapImage(img, image.bytes, base).memory.subarray(0, size);
  const dec = new ImageDecoder(memory, base, img.arch);
  try {
    // Static pass: block leaders (region starts, after control transfers, direct branch targets) and call targets.
    const leaders = new Set<number>();
    const callTargets = new Set<number>();
    const inImage = (t: bigint): number | undefined => (t >= base && t < base + BigInt(size) ? Number(t - base) : undefined);
    for (const r of codeRegions(img)) {
      leaders.add(r.begin);
      for (let rva = r.begin; rva < r.end; ) {
        const i = dec.at(rva);
        if (!i) { rva++; leaders.add(rva); continue; }
        rva += i.length;
        if (i.ends && rva < r.end) leaders.add(rva);
        const t = inImage(i.target);
        if (t !== undefined) {
          leaders.add(t);
          if (i.call) callTargets.add(t);
        }
      }
    }
    // Executed instructions, in address order, each decoded where it started.
    const hit: CoveredBlock[] = [];
    let cur: CoveredBlock | undefined;
    let prevEnds = true;
    const dynLeaders = new Set<number>();
    const ran: { rva: number; insn: Insn }[] = [];
    for (let rva = 0; rva < size; rva++) {
      if (!executed(rva)) continue;
      const insn = dec.at(rva);
      if (!insn) continue;
      ran.push({ rva, insn });
      const t = inImage(insn.target);
      if (t !== undefined) dynLeaders.add(t);
    }
    for (const { rva, insn } of ran) {
      if (!cur || prevEnds || rva !== cur.start + cur.size || leaders.has(rva) || dynLeaders.has(rva)) {
        cur = { start: rva, size: 0 };
        hit.push(cur);
      }
      cur.size += insn.length;
      prevEnds = insn.ends;
    }
    let blocksHit = 0;
    for (const l of leaders) if (executed(l)) blocksHit++;
    // Functions: x64, the .pdata entries; x86, the entry point, the exports and the direct call targets.
    const functions = new Set<number>();
    if (img.arch === 'x64' && img.exceptions.length > 0) for (const f of img.exceptions) functions.add(f.begin);
    else {
      functions.add(img.entryRva);
      for (const e of img.exports) if (!e.forwarder) functions.add(e.rva);
      for (const t of callTargets) functions.add(t);
      for (const { insn } of ran) {
        const t = insn.call ? inImage(insn.target) : undefined;
        if (t !== undefined) functions.add(t);
      }
    }
    let functionsHit = 0;
    for (const f of functions) if (executed(f)) functionsHit++;
    return { image, hit, blocks: leaders.size, blocksHit, functions: functions.size, functionsHit };
  } finally {
    dec.free();
  }
}

export function coverageSummary(modules: ModuleCoverage[]): CoverageSummary {
  return {
    modules: modules.map((m) => ({ name: m.image.name, blocks: m.blocks, blocksHit: m.blocksHit, functions: m.functions, functionsHit: m.functionsHit })),
  };
}

const hex = (v: bigint, digits: number): string => `0x${v.toString(16).padStart(digits, '0')}`;

/** The drcov (version 2, module table version 2) file of the executed blocks. */
export function drcov(modules: ModuleCoverage[]): Uint8Array {
  const lines = ['DRCOV VERSION: 2', 'DRCOV FLAVOR: drcov', `Module Table: version 2, count ${modules.length}`, 'Columns: id, base, end, entry, checksum, timestamp, path'];
  modules.forEach((m, id) => {
    const { base, size, img, path } = m.image;
    const cols = [String(id).padStart(2, ' '), hex(base, 16), hex(base + BigInt(size), 16), hex(base + BigInt(img.entryRva), 16), hex(BigInt(img.checksum >>> 0), 8), hex(BigInt(img.timestamp >>> 0), 8), path];
    lines.push(cols.join(', '));
  });
  // Blocks are at most 64 KiB in drcov: a longer straight run is written as several.
  let count = 0;
  for (const m of modules) for (const b of m.hit) count += Math.ceil(b.size / 0xffff);
  lines.push(`BB Table: ${count} bbs`);
  const head = new TextEncoder().encode(lines.join('\n') + '\n');
  const out = new Uint8Array(head.length + count * 8);
  out.set(head);
  const dv = new DataView(out.buffer);
  let at = head.length;
  modules.forEach((m, id) => {
    for (const b of m.hit) {
      for (let s = b.start, left = b.size; left > 0; ) {
        const n = Math.min(left, 0xffff);
        dv.setUint32(at, s, true);
        dv.setUint16(at + 4, n, true);
        dv.setUint16(at + 6, id, true);
        at += 8;
        s += n;
        left -= n;
      }
    }
  });
  return out;
}

export function writeDrcov(file: string, modules: ModuleCoverage[]): void {
  writeFileSync(file, drcov(modules));
}

/** What runDriver needs of the machine to start and finish coverage. */
interface CoverageMachine {
  engine: Engine;
  driversBase: bigint;
  modules: readonly { name: string; base: bigint; size: number }[];
}

export interface CoverageRun {
  /** Reads the engine's bitmap and writes the drcov file; the summary when --coverage-summary asked for it. */
  finish(images: { path: string; bytes: Uint8Array; base: bigint }[]): CoverageSummary | undefined;
}

/**
 * Turns coverage on before the first DriverEntry. Refused (InputError, exit 2) when the engine cannot record it or
 * the file cannot be written: both are known before the run.
 */
export function startCoverage(m: CoverageMachine, first: { base: bigint; size: number }, firstIndex: number, more: number, options: { file?: string; summary?: boolean }): CoverageRun {
  const { engine } = m;
  if (!engineHasCoverage(engine)) throw new InputError(`the ${engine.name} engine cannot record coverage`, '--coverage');
  if (options.file !== undefined) {
    try {
      writeFileSync(options.file, new Uint8Array(0));
    } catch (e) {
      throw new InputError(`cannot write the coverage file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, options.file);
    }
  }
  const range = coverageRange(first, m.driversBase, firstIndex, more);
  engine.setCoverage!(range.begin, range.end);
  return {
    finish(images) {
      const bitmap = engine.coverage!();
      const list: CoverageImage[] = [];
      for (const i of images) {
        const mod = m.modules.find((x) => x.base === i.base);
        if (!mod) continue;
        list.push({ path: i.path, name: mod.name, base: i.base, size: mod.size, img: parsePe(i.bytes), bytes: i.bytes });
      }
      const modules = collectCoverage(bitmap, range, list);
      if (options.file !== undefined) writeDrcov(options.file, modules);
      return options.summary ? coverageSummary(modules) : undefined;
    },
  };
}

/** The human summary's coverage lines (--coverage-summary without --json). */
export function coverageLines(summary: CoverageSummary): string {
  const pct = (n: number, of: number): string => (of === 0 ? '0' : ((100 * n) / of).toFixed(1));
  return summary.modules.map((m) => `Coverage ${m.name}: ${m.blocksHit}/${m.blocks} blocks (${pct(m.blocksHit, m.blocks)}%), ${m.functionsHit}/${m.functions} functions\n`).join('');
}
