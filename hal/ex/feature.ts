// The processor features Windows publishes: KUSER_SHARED_DATA.ProcessorFeatures and ExIsProcessorFeaturePresent.
//
// Each PF_* entry is derived from the machine's fixed CPUID (emu/cpuid.ts), the way the kernel fills the table at
// boot, so a driver that checks the table and one that runs CPUID itself see the same processor.

import { cpuidLeaf } from '../../emu/cpuid.js';
import { defineExport } from '../export.js';
import type { Arch } from '../../emu/engine.js';

/** PROCESSOR_FEATURE_MAX: the size of KUSER_SHARED_DATA.ProcessorFeatures. */
export const PROCESSOR_FEATURE_MAX = 64;

/** The ProcessorFeatures table for this machine's CPUID. */
export function processorFeatures(arch: Arch): Uint8Array {
  const [, , ecx1, edx1] = cpuidLeaf(1);
  const [, ebx7] = cpuidLeaf(7);
  const [, , , edx81] = cpuidLeaf(0x80000001);
  const bit = (v: number, n: number) => ((v >>> n) & 1) as 0 | 1;
  const f = new Uint8Array(PROCESSOR_FEATURE_MAX);
  // Without an x87 unit, Windows' x86 kernel emulates floating point (the x64 kernel has no emulator: the bit stays
  // clear there and x87 instructions are simply absent).
  f[1] = arch === 'x86' ? 1 - bit(edx1, 0) : 0; // PF_FLOATING_POINT_EMULATED
  f[2] = bit(edx1, 8); // PF_COMPARE_EXCHANGE_DOUBLE: CX8
  f[3] = bit(edx1, 23); // PF_MMX_INSTRUCTIONS_AVAILABLE
  f[6] = bit(edx1, 25); // PF_XMMI_INSTRUCTIONS_AVAILABLE: SSE
  f[8] = bit(edx1, 4); // PF_RDTSC_INSTRUCTION_AVAILABLE
  f[9] = bit(edx1, 6); // PF_PAE_ENABLED (CR4.PAE is set on both architectures)
  f[10] = bit(edx1, 26); // PF_XMMI64_INSTRUCTIONS_AVAILABLE: SSE2
  f[12] = bit(edx81, 20); // PF_NX_ENABLED
  f[13] = bit(ecx1, 0); // PF_SSE3_INSTRUCTIONS_AVAILABLE
  f[14] = arch === 'x64' ? bit(ecx1, 13) : 0; // PF_COMPARE_EXCHANGE128: CX16 (64-bit Windows only)
  f[17] = bit(ecx1, 26) & bit(ecx1, 27); // PF_XSAVE_ENABLED: XSAVE with OSXSAVE
  f[22] = arch === 'x64' ? bit(ebx7, 0) : 0; // PF_RDWRFSGSBASE_AVAILABLE
  f[23] = 1; // PF_FASTFAIL_AVAILABLE: int 29h is handled (KERNEL_SECURITY_CHECK_FAILURE)
  f[28] = bit(ecx1, 30); // PF_RDRAND_INSTRUCTION_AVAILABLE
  f[32] = bit(edx81, 27); // PF_RDTSCP_INSTRUCTION_AVAILABLE
  f[36] = bit(ecx1, 9); // PF_SSSE3_INSTRUCTIONS_AVAILABLE
  f[37] = bit(ecx1, 19); // PF_SSE4_1_INSTRUCTIONS_AVAILABLE
  f[38] = bit(ecx1, 20); // PF_SSE4_2_INSTRUCTIONS_AVAILABLE
  f[39] = bit(ecx1, 28); // PF_AVX_INSTRUCTIONS_AVAILABLE
  f[40] = bit(ebx7, 5); // PF_AVX2_INSTRUCTIONS_AVAILABLE
  f[41] = bit(ebx7, 16); // PF_AVX512F_INSTRUCTIONS_AVAILABLE
  return f;
}

export const exports = [
  defineExport({
    module: 'ntoskrnl.exe', name: 'ExIsProcessorFeaturePresent', cc: 'stdcall',
    proto: 'BOOLEAN ExIsProcessorFeaturePresent(ULONG ProcessorFeature)',
    params: { ProcessorFeature: 'u32' }, ret: 'bool',
    impl: (k, a) => (a.ProcessorFeature < PROCESSOR_FEATURE_MAX ? processorFeatures(k.arch)[a.ProcessorFeature] : 0),
  }),
];
