// Rtl compression as a driver observes it: workspace sizes, LZNT1 and XPRESS streams (bytes derived from [MS-XCA]
// for hand-made and compressed buffers), round trips, fragments, and the statuses for bad formats, small and
// corrupt buffers.
import { describe, expect, it } from 'vitest';
import { ARCHES, buildDriver } from '../fixtures/build.js';
import { run } from './harness.js';

describe.each(ARCHES)('%s', (arch) => {
  let cached: ReturnType<typeof run> | undefined;
  const result = () => (cached ??= run(buildDriver('compress', arch)));
  const lines = () => {
    const { report } = result();
    expect(report.outcome).toBe('completed');
    return report.dbgPrint;
  };

  it('RtlGetCompressionWorkSpaceSize gives the LZNT1 workspace sizes; NONE and DEFAULT are invalid, unknown formats unsupported, HIBER not supported', () => {
    expect(lines().slice(0, 3)).toEqual(
      arch === 'x86'
        ? ['workspace LZNT1 standard: 00000000 8010 1000\n', 'workspace LZNT1 maximum: 00000000 10 1000\n', 'workspace NONE c000000d DEFAULT c000000d ff c000025f HIBER c00000bb\n']
        : ['workspace LZNT1 standard: 00000000 10020 1000\n', 'workspace LZNT1 maximum: 00000000 20 1000\n', 'workspace NONE c000000d DEFAULT c000000d ff c000025f HIBER c00000bb\n'],
    );
  });

  it('RtlCompressBuffer writes an LZNT1 chunk (header b006, flag 10, four literals, token 3005) and two uncounted zero bytes; RtlDecompressBuffer reverses it', () => {
    expect(lines().slice(3, 6)).toEqual([
      'compress WineWineWine: 00000000 size 9\n',
      'bytes: 06b01057696e6505300000cc\n',
      "decompress: 00000000 size 12 'WineWineWine'\n",
    ]);
  });

  it('RtlDecompressBuffer splits a token by its position in the chunk, stops at a full output buffer and zero-fills a short chunk followed by another', () => {
    expect(lines().slice(6, 9)).toEqual([
      // At position 17 a token has 5 distance bits: 0x8002 is distance 17, length 5.
      "decompress split: 00000000 size 22 'abcdefghijklmnopqabcde'\n",
      "decompress into 10: 00000000 size 10 'abcdefghij'\n",
      'decompress two chunks: 00000000 size 4099 abc 00 00 xyz cc\n',
    ]);
  });

  it('RtlDecompressBuffer rejects a token before any data, a distance past the chunk start and a chunk longer than the buffer with STATUS_BAD_COMPRESSION_BUFFER', () => {
    expect(lines()[9]).toBe('corrupt: token first c0000242, too far c0000242, truncated c0000242, size eeeeeeee\n');
  });

  it('LZNT1 round trips over several chunks; RtlDecompressFragment extracts ranges inside, across and past the chunks', () => {
    expect(lines().slice(10, 16)).toEqual([
      'compress 10000: 00000000 smaller 1 header b212\n',
      'round trip: 00000000 size 10000 equal 1\n',
      'fragment 5000+100: 00000000 size 100 equal 1\n',
      'fragment 4000+200: 00000000 size 200 equal 1\n',
      'fragment 9950+100: 00000000 size 50 equal 1\n',
      'fragment 20000+100: 00000000 size 0\n',
    ]);
  });

  it('RtlCompressBuffer fails a small output with STATUS_BUFFER_TOO_SMALL, bad formats and engines as RtlGetCompressionWorkSpaceSize does, and reports all zeros with STATUS_BUFFER_ALL_ZEROS', () => {
    expect(lines().slice(16, 20)).toEqual([
      'compress into 100: c0000023\n',
      'compress NONE c000000d ff c000025f HIBER c00000bb\n',
      // Two chunks of a literal 0 and one 4095-byte copy: 6 bytes each.
      'compress 8192 zeros: 00000117 size 12\n',
      'decompress zeros: 00000000 size 8192 all zero 1 next cc\n',
    ]);
  });

  it('XPRESS writes 32-bit flag words padded with ones and 13/3-bit tokens with nibble and byte length extensions, and decodes them', () => {
    expect(lines().slice(20, 26)).toEqual([
      'xpress compress abcabcabc: 00000000 size 9\n',
      'bytes: ffffff1f6162631300\n',
      "xpress decompress: 00000000 size 9 'abcabcabc'\n",
      'xpress compress 100 a: 00000000 size 9\n',
      'bytes: ffffff7f6107000f4a\n',
      'xpress decompress long: 00000000 size 100 same 1 next 00\n',
    ]);
  });

  it('XPRESS round trips and extracts a fragment; a distance before the start or a missing flag word is STATUS_BAD_COMPRESSION_BUFFER', () => {
    expect(lines().slice(26, 30)).toEqual([
      'xpress compress 10000: 00000000 smaller 1\n',
      'xpress round trip: 00000000 size 10000 equal 1\n',
      'xpress fragment 7000+100: 00000000 size 100 equal 1\n',
      'xpress corrupt: distance c0000242, short flags c0000242\n',
    ]);
  });

  it('an incompressible 4 KiB chunk is stored as is behind header 3fff, needing 4098 bytes of output', () => {
    expect(lines().slice(30)).toEqual([
      'compress random 4096: 00000000 size 4098 header 3fff raw 1\n',
      'decompress random: 00000000 size 4096 equal 1\n',
      'compress random into 4097: c0000023\n',
    ]);
  });

  it('the compression fixture prints the same on the wasm and unicorn engines', () => {
    const wasm = run(buildDriver('compress', arch), [], { engine: 'wasm' }).report;
    const unicorn = run(buildDriver('compress', arch), [], { engine: 'unicorn' }).report;
    expect(unicorn.outcome).toBe('completed');
    expect(unicorn.dbgPrint).toEqual(wasm.dbgPrint);
  });

  it('COMPRESSION_FORMAT_XPRESS_HUFF stops the run as unsupported-call rather than answering wrongly', () => {
    const { report } = run(buildDriver('compress', arch, { defines: { KD_XPRESS_HUFF: true } }));
    expect(report.outcome).toBe('unsupported-call');
    expect(report.stop?.export).toBe('ntoskrnl.exe!RtlCompressBuffer');
    expect(report.stop?.reason).toContain('XPRESS_HUFF');
    expect(report.dbgPrint).toEqual(['compressing with XPRESS_HUFF\n']);
  });
});
