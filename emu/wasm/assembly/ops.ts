// Handler ids of decoded instructions: the decoder (decode.ts) emits them, the run loop (exec.ts) dispatches on them.
// Forms: _RR both operands registers, _RM register ← memory, _MR memory ← register, _RI/_MI with an immediate.

export const OP_UNSUPPORTED: u16 = 0;
export const OP_UD: u16 = 1;
export const OP_NOP: u16 = 2;
export const OP_MOV_RR: u16 = 3;
export const OP_MOV_RM: u16 = 4;
export const OP_MOV_MR: u16 = 5;
export const OP_MOV_RI: u16 = 6;
export const OP_MOV_MI: u16 = 7;
export const OP_MOVZX_RR: u16 = 8;
export const OP_MOVZX_RM: u16 = 9;
export const OP_MOVSX_RR: u16 = 10;
export const OP_MOVSX_RM: u16 = 11;
export const OP_LEA: u16 = 12;
export const OP_ALU_RR: u16 = 13;
export const OP_ALU_RM: u16 = 14;
export const OP_ALU_MR: u16 = 15;
export const OP_ALU_RI: u16 = 16;
export const OP_ALU_MI: u16 = 17;
export const OP_UN_R: u16 = 18;
export const OP_UN_M: u16 = 19;
export const OP_PUSH_R: u16 = 20;
export const OP_PUSH_I: u16 = 21;
export const OP_PUSH_M: u16 = 22;
export const OP_POP_R: u16 = 23;
export const OP_POP_M: u16 = 24;
export const OP_CALL: u16 = 25;
export const OP_CALL_R: u16 = 26;
export const OP_CALL_M: u16 = 27;
export const OP_RET: u16 = 28;
export const OP_JMP: u16 = 29;
export const OP_JMP_R: u16 = 30;
export const OP_JMP_M: u16 = 31;
export const OP_JCC: u16 = 32;
export const OP_LOOP: u16 = 33;
export const OP_SETCC_R: u16 = 34;
export const OP_SETCC_M: u16 = 35;
export const OP_CMOV_RR: u16 = 36;
export const OP_CMOV_RM: u16 = 37;
export const OP_SHIFT_R: u16 = 38;
export const OP_SHIFT_M: u16 = 39;
export const OP_MULDIV_R: u16 = 40;
export const OP_MULDIV_M: u16 = 41;
export const OP_IMUL_RR: u16 = 42;
export const OP_IMUL_RM: u16 = 43;
export const OP_CBW: u16 = 44;
export const OP_CWD: u16 = 45;
export const OP_XCHG_RR: u16 = 46;
export const OP_XCHG_RM: u16 = 47;
export const OP_LEAVE: u16 = 48;
export const OP_STR: u16 = 49;
export const OP_REPSTR: u16 = 50;
export const OP_INT3: u16 = 51;
export const OP_INT: u16 = 52;
export const OP_CPUID: u16 = 53;
/** A privileged or I/O instruction: the run exits so the kernel layer decides its effect (EXIT_PRIVILEGED). */
export const OP_PRIVILEGED: u16 = 74;
export const OP_RDTSC: u16 = 54;
export const OP_RDTSCP: u16 = 55;
export const OP_FLAGOP: u16 = 56;
export const OP_PUSHF: u16 = 57;
export const OP_POPF: u16 = 58;
export const OP_BT_R: u16 = 59;
export const OP_BT_M: u16 = 60;
export const OP_BITSCAN_R: u16 = 61;
export const OP_BITSCAN_M: u16 = 62;
export const OP_XADD_R: u16 = 63;
export const OP_XADD_M: u16 = 64;
export const OP_CMPXCHG_R: u16 = 65;
export const OP_CMPXCHG_M: u16 = 66;
export const OP_BSWAP: u16 = 67;
export const OP_SHD_R: u16 = 68;
export const OP_SHD_M: u16 = 69;
export const OP_CMPXCHG8B: u16 = 70;
/** SSE data movement, R_X: an SSE_* kind below. R_REG and (register form) R_RM are xmm numbers. */
export const OP_SSE_MOV: u16 = 71;
/** SSE integer/logic operation xmm(R_REG) op= xmm/m128, R_X: an SX_* kind. */
export const OP_SSE_ALU: u16 = 72;
/** pmovmskb r32, xmm. */
export const OP_PMOVMSKB: u16 = 73;
/** enter imm16 (R_IMM), imm8 (R_IMM2): push rbp, copy the nesting level's frame pointers, allocate the frame. */
export const OP_ENTER: u16 = 75;
/** x87 control: R_X is one of X87_* (the FPU's arithmetic is not implemented; start-up code resets and reads it). */
export const OP_X87CTL: u16 = 76;
export const X87_FNINIT: u8 = 0;
export const X87_FNCLEX: u8 = 1;
export const X87_FLDCW: u8 = 2; // m16
export const X87_FNSTCW: u8 = 3; // m16
export const X87_FNSTSW_M: u8 = 4; // m16
export const X87_FNSTSW_AX: u8 = 5;

/** 0F AE with a memory operand: R_X is one of FX_* (the x87/SSE state instructions, and clflush). */
export const OP_FXSTATE: u16 = 77;
export const FX_FXSAVE: u8 = 0;
export const FX_FXRSTOR: u8 = 1;
export const FX_LDMXCSR: u8 = 2;
export const FX_STMXCSR: u8 = 3;
export const FX_CLFLUSH: u8 = 7;

/** The SSE operations of sse.ts (kind in R_IMM2): arithmetic, shuffles, conversions, SSSE3/SSE4, crc32, movbe. */
export const OP_SSEX: u16 = 78;
/** BMI1/BMI2 (VEX) and ADX: R_X a B_* kind of bmi.ts. */
export const OP_BMI: u16 = 79;

// Specialized forms of the hottest ALU instructions (decoded instead of OP_ALU_RR / OP_ALU_RI with that kind),
// so the operation is a constant inside the handler: kind k has ids OP_ALU_RR_K + k and OP_ALU_RI_K + k.
export const OP_ALU_RR_K: u16 = 80; // .. 88
export const OP_ALU_RI_K: u16 = 90; // .. 98
export const OP_INC_R: u16 = 100;
export const OP_DEC_R: u16 = 101;

export const SSE_LOAD: u8 = 0; // xmm ← xmm/m128 (R_SZ2 = 1: the memory operand must be 16-byte aligned)
export const SSE_STORE: u8 = 1; // xmm/m128 ← xmm
export const SSE_TO_XMM: u8 = 2; // movd/movq xmm ← r/m32/64, upper bits zeroed
export const SSE_FROM_XMM: u8 = 3; // movd/movq r/m32/64 ← xmm
export const SSE_MOVQ_LOAD: u8 = 4; // movq xmm ← xmm/m64, upper bits zeroed
export const SSE_MOVQ_STORE: u8 = 5; // movq xmm/m64 ← xmm (register form zeroes the upper bits); movlps/movlpd m64 ← xmm
/** movss/movsd xmm ← xmm/m32/m64 (R_SZ 2 or 3): from memory the rest is zeroed, from a register it is kept. */
export const SSE_SCALAR_LOAD: u8 = 6;
/** movss/movsd xmm/m32/m64 ← xmm: to a register only the low element changes. */
export const SSE_SCALAR_STORE: u8 = 7;
/** movlps/movlpd xmm ← m64 (the high qword kept); register form movhlps: the low qword ← the source's high. */
export const SSE_LOW_LOAD: u8 = 8;
/** movhps/movhpd xmm ← m64 into the high qword (the low kept); register form movlhps: the high ← the source's low. */
export const SSE_HIGH_LOAD: u8 = 9;
/** movhps/movhpd m64 ← the high qword of xmm (memory form only; movlps/movlpd m64, xmm are SSE_MOVQ_STORE). */
export const SSE_HIGH_STORE: u8 = 10;

export const SX_PXOR: u8 = 0;
export const SX_POR: u8 = 1;
export const SX_PAND: u8 = 2;
export const SX_PANDN: u8 = 3;
export const SX_PUNPCKLQDQ: u8 = 4;
export const SX_PUNPCKHQDQ: u8 = 5;
export const SX_PCMPEQB: u8 = 6;
export const SX_PADDQ: u8 = 7;
export const SX_PUNPCKLBW: u8 = 8;
export const SX_PUNPCKLWD: u8 = 9;
export const SX_PUNPCKLDQ: u8 = 10;
export const SX_PSUBB: u8 = 11;
export const SX_PADDB: u8 = 12;
export const SX_PMINUB: u8 = 13;
export const SX_PCMPEQW: u8 = 14;
export const SX_PCMPEQD: u8 = 15;
/** pshufd xmm, xmm/m128, imm8 (R_IMM). */
export const SX_PSHUFD: u8 = 16;
/** psrldq / pslldq xmm, imm8 (register only, R_IMM bytes). */
export const SX_PSRLDQ: u8 = 17;
export const SX_PSLLDQ: u8 = 18;
export const SX_PUNPCKHBW: u8 = 19;
export const SX_PUNPCKHWD: u8 = 20;
export const SX_PUNPCKHDQ: u8 = 21;
/** packuswb: signed words to unsigned bytes with saturation (dest's words low, source's high). */
export const SX_PACKUSWB: u8 = 22;
export const SX_PADDW: u8 = 23;
export const SX_PADDD: u8 = 24;
export const SX_PSUBW: u8 = 25;
export const SX_PSUBD: u8 = 26;
export const SX_PSUBQ: u8 = 27;
/** Per-element shifts by imm8 (66 0F 71/72/73 /2 /4 /6, register only; R_IMM is the count). */
export const SX_PSRLW: u8 = 28;
export const SX_PSRAW: u8 = 29;
export const SX_PSLLW: u8 = 30;
export const SX_PSRLD: u8 = 31;
export const SX_PSRAD: u8 = 32;
export const SX_PSLLD: u8 = 33;
export const SX_PSRLQ: u8 = 34;
export const SX_PSLLQ: u8 = 35;

// ALU kinds (R_X of OP_ALU_*), in opcode order; TEST is AND without the write-back.
export const ALU_ADD: u8 = 0;
export const ALU_OR: u8 = 1;
export const ALU_ADC: u8 = 2;
export const ALU_SBB: u8 = 3;
export const ALU_AND: u8 = 4;
export const ALU_SUB: u8 = 5;
export const ALU_XOR: u8 = 6;
export const ALU_CMP: u8 = 7;
export const ALU_TEST: u8 = 8;

// Unary kinds (R_X of OP_UN_*).
export const UN_INC: u8 = 0;
export const UN_DEC: u8 = 1;
export const UN_NOT: u8 = 2;
export const UN_NEG: u8 = 3;

// String kinds (R_X of OP_STR / OP_REPSTR).
export const STR_MOVS: u8 = 0;
export const STR_CMPS: u8 = 1;
export const STR_STOS: u8 = 2;
export const STR_LODS: u8 = 3;
export const STR_SCAS: u8 = 4;

// Flag operations (R_X of OP_FLAGOP).
export const FO_CLC: u8 = 0;
export const FO_STC: u8 = 1;
export const FO_CMC: u8 = 2;
export const FO_CLD: u8 = 3;
export const FO_STD: u8 = 4;
export const FO_LAHF: u8 = 5;
export const FO_SAHF: u8 = 6;
/** cli/sti: the core runs at CPL0, where they just change IF. */
export const FO_CLI: u8 = 7;
export const FO_STI: u8 = 8;
