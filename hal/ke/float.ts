// Floating-point state around kernel FP use: KeSaveFloatingPointState, KeRestoreFloatingPointState.
//
// x86: kernel code may not touch the x87/SSE unit without saving what the interrupted thread had in it. The save
// takes an fxsave area from non-paged pool, stores the state there, records the x87 environment (control, status,
// last instruction and operand pointers) in the KFLOATING_SAVE with the area's address in Spare1, and gives the
// caller a freshly initialised x87 unit (fninit: control word 0x37F, no pending exceptions, every register empty;
// MXCSR and the XMM registers stay). The restore puts the saved state back and frees the area: a save never
// restored is the caller's pool leak.
// x64: every thread's legacy FP state is switched with the thread, so kernel code may use the unit freely; what a
// caller can still disturb is the control state. The save keeps the x87 control word (high half of Dummy) and the
// MXCSR's defined low 16 bits (low half); the restore loads them back.
//
// The state moves through kdemu's guest fxsave/fxrstor helpers (the first and second routines of the kernel code
// page, as thread switches use them), so both engines see the same bytes.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { tagOf } from '../io/device.js';

/** Offsets of the fxsave and fxrstor helpers in the kernel code page (hal/machine.ts). */
const FX_SAVE = 0n;
const FX_RESTORE = 16n;
const FXSAVE_SIZE = 512;

/** fxsave area offsets. */
const FCW = 0;
const FSW = 2;
const FTW = 4;
const FOP = 6;
const FIP = 8;
const FCS = 12;
const FDP = 16;
const FDS = 20;
const MXCSR = 24;

function fx(k: Kernel, area: bigint, save: boolean): void {
  k.m.callGuest(k.m.layout.kernelCode + (save ? FX_SAVE : FX_RESTORE), [area]);
}

/** A 16-byte aligned scratch area in system data for the x64 control-state round trip. */
const scratch = new WeakMap<Kernel, bigint>();
function scratchArea(k: Kernel): bigint {
  let a = scratch.get(k);
  if (a === undefined) scratch.set(k, (a = k.systemAlloc(FXSAVE_SIZE, 16)));
  return a;
}

function alignedArea(block: bigint): bigint {
  return (block + 15n) & ~15n;
}

function save(k: Kernel, floatSave: bigint): number {
  const m = k.m;
  if (k.arch === 'x64') {
    const area = scratchArea(k);
    fx(k, area, true);
    m.setU32(floatSave, ((m.u16(area + BigInt(FCW)) << 16) | (m.u32(area + BigInt(MXCSR)) & 0xffff)) >>> 0);
    return STATUS.SUCCESS;
  }
  const block = k.pool.allocate(FXSAVE_SIZE + 15, tagOf('FPsa'), 0 /* NonPagedPool */, 'driver', k.symbolize(k.callerAddress()));
  if (block === null) return STATUS.INSUFFICIENT_RESOURCES;
  const area = alignedArea(block);
  fx(k, area, true);
  const o = k.L.KFLOATING_SAVE.off as Record<string, number>;
  m.setU32At(floatSave, o.ControlWord!, m.u16(area + BigInt(FCW)));
  m.setU32At(floatSave, o.StatusWord!, m.u16(area + BigInt(FSW)));
  m.setU32At(floatSave, o.ErrorOffset!, m.u32(area + BigInt(FIP)));
  m.setU32At(floatSave, o.ErrorSelector!, m.u16(area + BigInt(FCS)));
  m.setU32At(floatSave, o.DataOffset!, m.u32(area + BigInt(FDP)));
  m.setU32At(floatSave, o.DataSelector!, m.u16(area + BigInt(FDS)));
  m.setU32At(floatSave, o.Cr0NpxState!, 0);
  m.setU32At(floatSave, o.Spare1!, Number(block));
  // fninit: a clean x87 unit for the caller, MXCSR and XMM untouched.
  const fresh = m.read(area, FXSAVE_SIZE);
  const scratchFx = scratchArea(k);
  m.write(scratchFx, fresh);
  m.setU16(scratchFx + BigInt(FCW), 0x37f);
  m.setU16(scratchFx + BigInt(FSW), 0);
  m.setU16(scratchFx + BigInt(FTW), 0);
  m.setU16(scratchFx + BigInt(FOP), 0);
  for (const off of [FIP, FCS, FDP, FDS]) m.setU32(scratchFx + BigInt(off), 0);
  fx(k, scratchFx, false);
  return STATUS.SUCCESS;
}

function restore(k: Kernel, floatSave: bigint): number {
  const m = k.m;
  if (k.arch === 'x64') {
    const area = scratchArea(k);
    fx(k, area, true);
    const saved = m.u32(floatSave);
    m.setU16(area + BigInt(FCW), saved >>> 16);
    m.setU32(area + BigInt(MXCSR), (m.u32(area + BigInt(MXCSR)) & ~0xffff) | (saved & 0xffff));
    fx(k, area, false);
    return STATUS.SUCCESS;
  }
  const block = BigInt(m.u32At(floatSave, (k.L.KFLOATING_SAVE.off as Record<string, number>).Spare1!));
  fx(k, alignedArea(block), false);
  // The area goes back to the pool (a KFLOATING_SAVE never saved, or restored twice, frees what is no block).
  k.pool.free_(block, 0, k.callerAddress());
  return STATUS.SUCCESS;
}

const ke = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...ke, name: 'KeSaveFloatingPointState', proto: 'NTSTATUS KeSaveFloatingPointState(PKFLOATING_SAVE FloatSave)',
    params: { FloatSave: 'ptr' }, ret: 'status',
    impl: (k, a) => save(k, a.FloatSave),
  }),
  defineExport({
    ...ke, name: 'KeRestoreFloatingPointState', proto: 'NTSTATUS KeRestoreFloatingPointState(PKFLOATING_SAVE FloatSave)',
    params: { FloatSave: 'ptr' }, ret: 'status',
    impl: (k, a) => restore(k, a.FloatSave),
  }),
];
