// Fixed CPUID and time-stamp-counter values: every engine answers CPUID and RDTSC from here, so runs are deterministic.

/** CPUID leaf → [eax, ebx, ecx, edx]. An x64-capable Intel-like CPU without features drivers would probe for trouble. */
const LEAVES: ReadonlyMap<number, readonly [number, number, number, number]> = new Map([
  // Max basic leaf 0xD, "GenuineIntel".
  [0x0, [0x0000000d, 0x756e6547, 0x6c65746e, 0x49656e69]],
  // Family 6 model 0x9E stepping 0xA; SSE3, SSSE3, SSE4.1/4.2, POPCNT, CX16; FPU, TSC, MSR, CX8, CMOV, MMX, FXSR, SSE, SSE2.
  [0x1, [0x000906ea, 0x00000800, 0x00982201, 0x078bfbff]],
  [0x7, [0x00000000, 0x00000000, 0x00000000, 0x00000000]],
  [0x80000000, [0x80000008, 0, 0, 0]],
  // LAHF/SAHF in long mode, LZCNT; SYSCALL, NX, 1 GiB pages off, RDTSCP, long mode.
  [0x80000001, [0, 0, 0x00000021, 0x2c100800]],
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
