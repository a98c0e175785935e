// Fixed addresses of the core's state in WebAssembly linear memory, and the decoded-instruction record format.
//
// Everything the hot loop touches sits at a constant address below the static data (asconfig sets memoryBase
// above these regions), so every access compiles to a load with a constant offset and no pointer chasing.

/** General registers: 16 × u64 in x86 encoding order (rax rcx rdx rbx rsp rbp rsi rdi r8..r15). */
export const REGS: u32 = 0x1000;
/** A register slot that is always zero: "no base" / "no index" in decoded memory operands point here. */
export const REG_ZERO: u32 = 16 * 8;
/** Segment bases by decoded segment slot: 0 = flat (always 0), 1 = fs, 2 = gs. */
export const SEGBASE: u32 = 0x1100;
/** Operand masks by size code (0 = 8 bits, 1 = 16, 2 = 32, 3 = 64). */
export const MASKS: u32 = 0x1200;
/** Register write masks by size code: 8/16-bit writes merge, 32-bit writes zero-extend, 64-bit writes replace. */
export const WMASKS: u32 = 0x1220;
/** SSE registers: 16 × 128 bits (xmm0..xmm15). */
export const XMM: u32 = 0x1400;
/**
 * x87 data registers by physical number (8 × 16 bytes: an 80-bit value and padding). The core has no x87
 * arithmetic; fxrstor loads them and fxsave stores them back, so a save area round-trips exactly.
 */
export const X87: u32 = 0x1600;
/** CPUID answers: up to 64 entries of (leaf u32, eax, ebx, ecx, edx), filled by the host from emu/cpuid.ts. */
export const CPUID_TABLE: u32 = 0x2000;
export const CPUID_MAX: u32 = 64;
/** Trap ranges: up to 256 × (begin u64, end u64). */
export const TRAPS: u32 = 0x3000;
export const TRAPS_MAX: u32 = 256;
/** Scratch for the host: instruction bytes of an unsupported-instruction exit (16 bytes). */
export const SCRATCH: u32 = 0x4000;

/**
 * Software TLBs, direct mapped by virtual page number: entries of (vpn + 1 u64, host page address u32, pad).
 * Tags are vpn + 1 so that zeroed memory is an empty TLB: a fresh instance needs no initialisation pass.
 */
export const TLB_BITS: u32 = 12;
export const TLB_SIZE: u32 = 1 << TLB_BITS;
export const TLB_READ: u32 = 0x10000;
export const TLB_WRITE: u32 = 0x20000;
/** The tag of an empty entry. */
export const TLB_EMPTY: u64 = 0;
/** A page number no address has (they have at most 52 bits). */
export const NO_VPN: u64 = 0xffffffffffffffff;

// The regions below are sized for the largest guest wasm32 linear memory can hold (MAX_FRAMES) and none of them is
// cleared at start-up: a fresh instance's memory is zero, which is an empty block index and frame state, and the
// host only faults in the pages of them that get used. All of them sit in the initial memory, which V8 counts as
// external memory (every engine's share brings garbage collections nearer), so together they take no more than
// when the core held 512 MiB (24 MiB): the page table, which grows with the guest, lives in frames the host hands
// out instead (mem.ts).

/** Decoded-block index: direct mapped by block start address, entries of (address u64, block pointer u32, pad). */
export const BIDX: u32 = 0x100000;
export const BIDX_BITS: u32 = 16;
export const BIDX_SIZE: u32 = 1 << BIDX_BITS;

/** Per frame: a holds-code flag (u8) and a generation counter (u32, bumped when the frame's code may have changed). */
export const FRAME_CODE: u32 = 0x200000; // 1 MiB: 2^20 frames
export const FRAME_GEN: u32 = 0x300000; // 4 MiB

/** Arena of decoded blocks; flushed whole when full. */
export const ARENA: u32 = 0x700000;
export const ARENA_END: u32 = 0x1700000;

// Static data (asconfig.json memoryBase = 0x1700000) sits in the 1 MiB below FRAMES.

/** Guest frames (4 KiB each) start here; the host grows linear memory as it hands frames out. */
export const FRAMES: u32 = 0x1800000;
/**
 * As many frames as fit below 4 GiB (wasm32's limit, and Node 20's: memory64 needs a flag there), less one: a
 * spare frame past the last keeps the core's 8-byte accesses at a frame's end inside linear memory.
 */
export const MAX_FRAMES: u32 = <u32>(((<u64>1 << 32) - <u64>FRAMES) >> 12) - 1;

/**
 * Page table: open addressing with linear probing, entries of (vpn + 1 u64, frame index u32, prot u32); 0 is free.
 * It lives in frames the host allocates, 2^bits slots at most three quarters used, and is rehashed into a bigger
 * one when a map needs more room: from 2^12 slots (64 KiB, 3072 pages) up to 2^21 (32 MiB), which holds every frame
 * mapped once and half a million aliases.
 */
export const PT_MIN_BITS: u32 = 12;
export const PT_MAX_BITS: u32 = 21;
/** The key of an empty page table slot. */
export const PT_FREE: u64 = 0;

// ---- decoded blocks -----------------------------------------------------------------------------------------
// Block header: start address u64 @0, instruction count u32 @8, frame u32 @12, its generation u32 @16,
// second frame (for an instruction straddling a page end, else NO_FRAME) u32 @20, its generation u32 @24.
export const BH_ADDR: u32 = 0;
export const BH_COUNT: u32 = 8;
export const BH_FRAME1: u32 = 12;
export const BH_GEN1: u32 = 16;
export const BH_FRAME2: u32 = 20;
export const BH_GEN2: u32 = 24;
/**
 * The trap epoch the block was decoded in (bits 1..31: blocks from before a trap range was added are stale) and,
 * in bit 0, whether every page it came from is a user page (only such blocks run at CPL3).
 */
export const BH_USER: u32 = 28;
/**
 * Coverage: (coverage epoch << 7) | records already marked, so a block run again marks nothing (0: none yet; a new
 * coverage range starts a new epoch, which stales every count).
 */
export const BH_COV: u32 = 32;
export const BH_SIZE: u32 = 40;
export const NO_FRAME: u32 = 0xffffffff;
/** A block ends after this many instructions even without a branch, so budgets and decoding stay bounded. */
export const BLOCK_MAX: u32 = 64;

// Decoded instruction record (48 bytes). Register operands are byte offsets into REGS (8-bit high registers
// ah/ch/dh/bh are offset + 1), so a register read is one load with no size switch.
export const R_OP: u32 = 0; // u16 handler id
export const R_LEN: u32 = 2; // u8 instruction length
export const R_SZ: u32 = 3; // u8 operand size code
export const R_REG: u32 = 4; // u8 register operand (ModRM.reg, or the +r register)
export const R_RM: u32 = 5; // u8 ModRM.rm register, or the memory operand's base (REG_ZERO: none)
export const R_IDX: u32 = 6; // u8 memory operand index register (REG_ZERO: none)
export const R_SCALE: u32 = 7; // u8 index shift
export const R_SEG: u32 = 8; // u8 segment slot × 8
export const R_ASZ: u32 = 9; // u8 address size code (2: 32-bit, 3: 64-bit)
export const R_X: u32 = 10; // u8 sub-operation: ALU kind, condition code, shift kind ...
export const R_FL: u32 = 11; // u8 flags (RF_*)
export const R_SZ2: u32 = 12; // u8 second size code (movzx/movsx source)
export const R_DISP: u32 = 16; // u64 displacement (rip-relative operands: the absolute address)
export const R_IMM: u32 = 24; // u64 immediate (branches: the target)
export const R_ADDR: u32 = 32; // u64 the instruction's address
export const R_IMM2: u32 = 40; // u64 second immediate (ret imm16, enter)
export const RS: u32 = 48;

/** The instruction ends its block: it sets rip itself. */
export const RF_BRANCH: u8 = 1;
export const RF_REP: u8 = 2;
export const RF_REPNE: u8 = 4;
export const RF_MEM: u8 = 8;
/** Shift count comes from cl. */
export const RF_CL: u8 = 16;
