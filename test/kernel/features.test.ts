// The processor features Windows publishes agree with each other and with CPUID.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  it('ExIsProcessorFeaturePresent, KUSER_SHARED_DATA.ProcessorFeatures and CPUID describe the same processor', () => {
    const { report } = run(buildDriver('features', arch));
    expect(report.outcome).toBe('completed');
    const x64 = arch === 'x64' ? 1 : 0;
    expect(report.dbgPrint.map((l) => l.replace(/\n$/, ''))).toEqual([
      'PF 2: 1 shared 1', // CX8
      'PF 3: 0 shared 0', // no MMX
      'PF 6: 1 shared 1', // SSE
      'PF 10: 1 shared 1', // SSE2
      'PF 13: 1 shared 1', // SSE3
      'PF 12: 1 shared 1', // NX
      `PF 14: ${x64} shared ${x64}`, // cmpxchg16b: 64-bit Windows only
      'PF 17: 0 shared 0', // no XSAVE
      'PF 23: 1 shared 1', // __fastfail
      'PF 28: 0 shared 0', // RDRAND not announced
      'PF 36: 1 shared 1', // SSSE3
      'PF 37: 1 shared 1', // SSE4.1
      'PF 38: 1 shared 1', // SSE4.2
      'PF 39: 0 shared 0', // no AVX
      'PF 64: 0 shared -1', // past PROCESSOR_FEATURE_MAX
      'PF 1000: 0 shared -1',
      'cpuid sse4.2 1 sse3 1',
    ]);
  });
});
