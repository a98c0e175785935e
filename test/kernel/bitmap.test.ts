// Bitmaps (RtlInitializeBitMap ... RtlFindClearRuns) as a driver observes them: its buffer's ULONGs, counts, searches.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { events, run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  // One run per architecture: every test reads its output.
  let cached: ReturnType<typeof run> | undefined;
  const result = () => (cached ??= run(buildDriver('bitmap', arch)));
  const lines = () => {
    const { report } = result();
    expect(report.outcome).toBe('completed');
    return report.dbgPrint;
  };

  it('RtlInitializeBitMap fills the header; RtlSetAllBits and RtlClearAllBits write whole ULONGs, counts stop at the size', () => {
    expect(lines().slice(0, 5)).toEqual([
      'RtlInitializeBitMap: size 70 buffer 1\n',
      // The 26 bits past SizeOfBitMap in the last ULONG are set too, but not counted.
      'RtlSetAllBits: ffffffff ffffffff ffffffff\n',
      'all set: set 70 clear 0\n',
      'RtlClearAllBits: 00000000 00000000 00000000\n',
      'all clear: set 0 clear 70\n',
    ]);
  });

  it('RtlSetBits, RtlSetBit, RtlClearBit and RtlClearBits change exactly their bits, across ULONG boundaries; RtlTestBit and RtlAreBits* read them', () => {
    expect(lines().slice(5, 11)).toEqual([
      'set 3+5 30+4 40, clear 4: c00000e8 00000103 00000000\n',
      'counts: set 9 clear 61\n',
      'RtlTestBit 3 1 4 0 8 0 33 1 40 1\n',
      'RtlAreBitsSet 5+3 1 3+3 0 30+4 1 30+5 0\n',
      // A range past the end or of no bits is not "clear".
      'RtlAreBitsClear 8+22 1 8+23 0 41+29 1 41+30 0 0+0 0\n',
      'clear 30+2: 000000e8 00000103 00000000\n',
    ]);
  });

  it('RtlFindClearBits and RtlFindSetBits search from the hint, then wrap around to the start; the AndSet/AndClear forms flip what they found', () => {
    expect(lines().slice(11, 17)).toEqual([
      // 25@50: nothing from 50 on, so the search wraps and finds the run at 41 (it starts before the hint).
      // 2@69: one bit left after the hint, the wrap finds 0. A hint past the end starts at 0.
      'RtlFindClearBits 6@0 8 6@35 41 25@50 41 2@69 0 30@0 ffffffff 71@0 ffffffff 3@200 0\n',
      'RtlFindSetBits 2@0 5 4@10 30 3@35 5 5@0 ffffffff\n',
      'RtlFindClearBitsAndSet 4@34: 34 set 13\n',
      'RtlFindClearBitsAndSet 40@0: ffffffff set 13\n',
      'RtlFindSetBitsAndClear 8@0: 30 set 5\n',
      'after the finds: 000000e8 00000100 00000000\n',
    ]);
  });

  it('the run finders report clear runs forward, backward, first, longest, and as an array', () => {
    expect(lines().slice(17)).toEqual([
      'RtlFindFirstRunClear: 0+3\n',
      'RtlFindNextForwardRunClear 3: 4+1\n',
      'RtlFindNextForwardRunClear 9: 9+31\n',
      // From the end: no run, the index given back.
      'RtlFindNextForwardRunClear 70: 70+0\n',
      'RtlFindLongestRunClear: 8+32\n',
      'RtlFindLastBackwardRunClear 40: 8+32\n',
      'RtlFindLastBackwardRunClear 20: 8+13\n',
      'RtlFindLastBackwardRunClear 6: 4+1\n',
      'RtlFindLastBackwardRunClear 70: 70+0\n',
      // Runs in bitmap order, or the longest first. The entries given are the only ones written: past the 3 the
      // driver's 0xee filling stays; with 10, every NumberOfBits was zeroed first (the 5th entry shows it, its
      // StartingIndex untouched).
      'RtlFindClearRuns 3 first: 3 0+3 4+1 8+32; next entry eeeeeeee/eeeeeeee\n',
      'RtlFindClearRuns 3 longest: 3 8+32 41+29 0+3; next entry eeeeeeee/eeeeeeee\n',
      'RtlFindClearRuns 10 first: 4 0+3 4+1 8+32 41+29; next entry eeeeeeee/0\n',
      // No clear bit: the forward search ends at the size, the longest run is 0 bits at 0.
      'full: RtlFindFirstRunClear 70+0 RtlFindClearBits ffffffff',
      ' RtlFindLongestRunClear 0+0\n',
    ]);
  });

  it('every result comes from the kernel exports', () => {
    const called = new Set(events(result().trace, 'call').map((e) => e.export.replace(/^ntoskrnl\.exe!/, '')));
    for (const name of ['RtlInitializeBitMap', 'RtlClearAllBits', 'RtlSetAllBits', 'RtlClearBits', 'RtlSetBits', 'RtlClearBit', 'RtlSetBit', 'RtlTestBit',
      'RtlAreBitsClear', 'RtlAreBitsSet', 'RtlFindClearBits', 'RtlFindSetBits', 'RtlFindClearBitsAndSet', 'RtlFindSetBitsAndClear', 'RtlNumberOfClearBits',
      'RtlNumberOfSetBits', 'RtlFindFirstRunClear', 'RtlFindLongestRunClear', 'RtlFindNextForwardRunClear', 'RtlFindClearRuns', 'RtlFindLastBackwardRunClear']) {
      expect(called, name).toContain(name);
    }
  });
});
