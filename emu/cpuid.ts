// Fixed CPUID and time-stamp-counter values: every engine answers CPUID and RDTSC from here, so runs are deterministic.

/**
 * CPUID leaf → [eax, ebx, ecx, edx]. An x64-capable Intel-like CPU that announces only what both engines execute:
 * a feature bit is set when the wasm core runs its instructions the way Unicorn does (test/wasm/cpuid.test.ts runs a
 * representative of each on both and checks that a cleared bit's instruction is still missing), or when it
 * describes the machine the kernel layer presents (control registers and MSRs: hal/ke/cpu.ts).
 */
const LEAVES: ReadonlyMap<number, readonly [number, number, number, number]> = new Map([
  // Max basic leaf 0xD, "GenuineIntel".
  [0x0, [0x0000000d, 0x756e6547, 0x6c65746e, 0x49656e69]],
  // Family 6 model 0x9E stepping 0xA; clflush line 64 bytes.
  // ECX: SSE3, SSSE3, SSE4.1, SSE4.2 (every legacy-encoded xmm form: bench/difftest.ts --family sse compares them),
  // CX16 (cmpxchg16b). Cleared: POPCNT and MOVBE (the core runs them, but libunicorn2's fixed CPU model raises #UD),
  // XSAVE/OSXSAVE (neither engine has xsave: #UD on both), RDRAND (the core gives a fixed sequence, Unicorn #UD),
  // AVX and the rest.
  // EDX: VME DE PSE TSC MSR PAE MCE CX8 APIC PGE CMOV PAT PSE36 CLFSH FXSR SSE SSE2. TSC: rdtsc (virtual); MSR:
  // rdmsr/wrmsr exit to the kernel layer; FXSR: fxsave/fxrstor; SSE, SSE2: every xmm instruction, MXCSR
  // (ldmxcsr/stmxcsr) and fences (arithmetic under a rounding mode other than MXCSR's reset one stops with an
  // unsupported-instruction exit; MXCSR's exception flags are not raised, as on Unicorn); the paging and APIC bits
  // describe the machine's control registers and MSRs. Cleared: FPU (no x87 arithmetic: only fninit, fnclex, fldcw, fnstcw,
  // fnstsw), MMX (no MMX registers or instructions), SEP (sysenter/sysexit are not executed: kdemu runs no system
  // calls), MTRR and MCA (their MSRs, IA32_MTRRCAP and IA32_MCG_CAP, are not among the kernel layer's: #GP).
  [0x1, [0x000906ea, 0x00000800, 0x00182201, 0x070ba3fe]],
  // Structured extended features, EBX: BMI1 (andn, bextr, blsi, blsmsk, blsr, tzcnt), BMI2 (bzhi, mulx, pdep, pext,
  // rorx, sarx, shlx, shrx), ADX (adcx, adox). Cleared: AVX2, ERMS, SMEP, RDSEED (Unicorn lacks it) and the rest.
  [0x7, [0x00000000, 0x00080108, 0x00000000, 0x00000000]],
  [0x80000000, [0x80000008, 0, 0, 0]],
  // ECX: LAHF/SAHF in long mode, LZCNT (ABM), PREFETCHW (0F 0D: a hint both engines run as a no-op). EDX: NX (both
  // engines fault fetches from pages without execute permission), RDTSCP, long mode. Cleared: SYSCALL (syscall/sysret are not executed: kdemu runs no system
  // calls), 1 GiB pages (the engines have no paging to use them).
  [0x80000001, [0, 0, 0x00000121, 0x28100000]],
  [0x80000008, [0x00003027, 0, 0, 0]],
]);

export function cpuidLeaf(leaf: number): readonly [number, number, number, number] {
  return LEAVES.get(leaf >>> 0) ?? [0, 0, 0, 0];
}

/** The time-stamp counter is virtual: a fixed start plus a fixed number of ticks per executed instruction. */
export const TSC_BASE = 0x0000_0100_0000_0000n;
export const TSC_TICKS_PER_INSTRUCTION = 3n;

export function tscAt(instructions: number): bigint {
  return TSC_BASE + BigInt(instructions) * TSC_TICKS_PER_INSTRUCTION;
}
