// Rtl compression: RtlGetCompressionWorkSpaceSize, RtlCompressBuffer, RtlDecompressBuffer, RtlDecompressFragment.
//
// Formats as [MS-XCA] describes them. LZNT1: 4 KiB chunks, each behind a 2-byte header (bits 0-11 the chunk's
// stored size minus 3, bits 12-14 the signature 3, bit 15 "compressed"), flag bytes announcing 8 literals or copy
// tokens each, and tokens whose offset/length split depends on how far into the chunk they sit. XPRESS (plain
// LZ77): 32-bit flag words, 16-bit tokens of a 13-bit offset and a 3-bit length, with nibble/byte/word extensions.
// XPRESS_HUFF is not implemented: a call with it stops the run as unsupported rather than answering wrongly.
// COMPRESSION_ENGINE_MAXIMUM compresses as STANDARD (the output is valid, possibly larger than Windows' own).

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop } from '../machine.js';
import { STATUS } from './ntstatus.js';

const nt = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

const FORMAT_NONE = 0;
const FORMAT_DEFAULT = 1;
const FORMAT_LZNT1 = 2;
const FORMAT_XPRESS = 3;
const FORMAT_XPRESS_HUFF = 4;
const ENGINE_STANDARD = 0x0000;
const ENGINE_MAXIMUM = 0x0100;

const CHUNK = 0x1000;

/** The dispatcher's check on the format (low byte): NONE and DEFAULT are invalid, unknown ones unsupported. */
function checkFormat(k: Kernel, routine: string, formatAndEngine: number): number {
  const format = formatAndEngine & 0xff;
  if (format === FORMAT_NONE || format === FORMAT_DEFAULT) return STATUS.INVALID_PARAMETER;
  if (format === FORMAT_XPRESS_HUFF) {
    throw new GuestStop('unsupported-call', `${routine} from ${k.symbolize(k.callerAddress())} with COMPRESSION_FORMAT_XPRESS_HUFF: kdemu implements LZNT1 and plain XPRESS only`, {
      export: `ntoskrnl.exe!${routine}`,
    });
  }
  if (format !== FORMAT_LZNT1 && format !== FORMAT_XPRESS) return STATUS.UNSUPPORTED_COMPRESSION;
  return STATUS.SUCCESS;
}

/** The engines RtlCompressBuffer and RtlGetCompressionWorkSpaceSize accept (HIBER and others: STATUS_NOT_SUPPORTED). */
function engineOk(formatAndEngine: number): boolean {
  const engine = formatAndEngine & 0xff00;
  return engine === ENGINE_STANDARD || engine === ENGINE_MAXIMUM;
}

// ---- LZNT1 ----

/** Bits of a copy token that hold the length at uncompressed position `pos` of a chunk (12 down to 4). */
function lengthBits(pos: number): number {
  let bits = 12;
  for (let i = pos - 1; i >= 0x10; i >>= 1) bits--;
  return bits;
}

/** One chunk's body (flag bytes, literals, tokens), greedy longest match within the token's reach. */
function lznt1CompressChunk(src: Uint8Array): Uint8Array {
  const out: number[] = [];
  const heads = new Map<number, number[]>(); // 3-byte prefix -> earlier positions
  let pos = 0;
  while (pos < src.length) {
    const flagAt = out.length;
    out.push(0);
    let flags = 0;
    for (let bit = 0; bit < 8 && pos < src.length; bit++) {
      const lb = lengthBits(pos);
      const maxLen = Math.min((1 << lb) - 1 + 3, src.length - pos);
      const maxDisp = 1 << (16 - lb);
      let bestLen = 0;
      let bestDisp = 0;
      if (maxLen >= 3) {
        const cands = heads.get(src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16)) ?? [];
        for (let c = cands.length - 1; c >= 0; c--) {
          const disp = pos - cands[c];
          if (disp > maxDisp) break;
          let n = 0;
          while (n < maxLen && src[cands[c] + n] === src[pos + n]) n++;
          if (n > bestLen) {
            bestLen = n;
            bestDisp = disp;
            if (n === maxLen) break;
          }
        }
      }
      const step = bestLen >= 3 ? bestLen : 1;
      if (bestLen >= 3) {
        const token = ((bestDisp - 1) << lb) | (bestLen - 3);
        out.push(token & 0xff, token >> 8);
        flags |= 1 << bit;
      } else {
        out.push(src[pos]);
      }
      for (let i = pos; i < pos + step; i++) {
        if (i + 2 >= src.length) continue;
        const key = src[i] | (src[i + 1] << 8) | (src[i + 2] << 16);
        let list = heads.get(key);
        if (!list) heads.set(key, (list = []));
        list.push(i);
      }
      pos += step;
    }
    out[flagAt] = flags;
  }
  return Uint8Array.from(out);
}

/** The whole LZNT1 stream of `src`, or null when it does not fit `room` bytes; allZero as Windows reports it. */
function lznt1Compress(src: Uint8Array, room: number): { data: Uint8Array; size: number; allZero: boolean } | null {
  const parts: Uint8Array[] = [];
  let size = 0;
  let allZero = true;
  for (let at = 0; at < src.length; at += CHUNK) {
    const chunk = src.subarray(at, Math.min(at + CHUNK, src.length));
    if (chunk.some((b) => b !== 0)) allZero = false;
    let body = lznt1CompressChunk(chunk);
    let compressed = true;
    if (body.length + 2 > CHUNK - 1) {
      // A compressed chunk must stay under 4 KiB - 1 bytes; past that the chunk is stored as is, always a full 4 KiB
      // (the decompressor copies 4 KiB). Windows copies 4 KiB from the input even for a short last chunk; kdemu pads
      // with zeros instead of reading past the caller's buffer.
      body = new Uint8Array(CHUNK);
      body.set(chunk);
      compressed = false;
    }
    const header = (compressed ? 0x8000 : 0) | 0x3000 | (body.length + 2 - 3);
    const part = new Uint8Array(body.length + 2);
    part[0] = header & 0xff;
    part[1] = header >> 8;
    part.set(body, 2);
    size += part.length;
    if (size > room) return null;
    parts.push(part);
  }
  // Two zero bytes end the stream when they fit; they are not counted in the final size.
  const data = new Uint8Array(Math.min(size + 2, room));
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return { data, size, allZero };
}

class BadBuffer extends Error {}

/** Decompresses one compressed chunk body into out[start..end); returns the bytes produced. */
function lznt1DecompressChunk(body: Uint8Array, out: Uint8Array, start: number, end: number): number {
  let p = 0;
  let o = start;
  while (p < body.length) {
    const flags = body[p++];
    for (let bit = 0; bit < 8 && p < body.length; bit++) {
      if (o >= end) return o - start;
      if (!(flags & (1 << bit))) {
        out[o++] = body[p++];
        continue;
      }
      if (p + 1 >= body.length) throw new BadBuffer();
      const token = body[p] | (body[p + 1] << 8);
      p += 2;
      const pos = o - start;
      const lb = lengthBits(pos);
      const disp = (token >> lb) + 1;
      const len = (token & ((1 << lb) - 1)) + 3;
      if (pos === 0 || disp > pos) throw new BadBuffer();
      for (let i = 0; i < len && o < end; i++, o++) out[o] = out[o - disp];
    }
  }
  return o - start;
}

/** RtlDecompressBuffer's LZNT1 walk over chunk headers; zero-fills a short chunk when another one follows. */
function lznt1Decompress(src: Uint8Array, outSize: number): { status: number; out: Uint8Array; size: number } {
  const out = new Uint8Array(outSize);
  if (src.length < 2) return { status: STATUS.BAD_COMPRESSION_BUFFER, out, size: 0 };
  let c = 0;
  let o = 0;
  let header = src[0] | (src[1] << 8);
  try {
    for (;;) {
      const stored = (header & 0xfff) + 3;
      if (c + stored > src.length) return { status: STATUS.BAD_COMPRESSION_BUFFER, out, size: 0 };
      let produced: number;
      if (header & 0x8000) {
        produced = lznt1DecompressChunk(src.subarray(c + 2, c + stored), out, o, outSize);
      } else {
        produced = Math.min(CHUNK, outSize - o);
        if (c + 2 + produced > src.length) return { status: STATUS.BAD_COMPRESSION_BUFFER, out, size: 0 };
        out.set(src.subarray(c + 2, c + 2 + produced), o);
      }
      c += stored;
      o += produced;
      if (o === outSize || c > src.length - 2) break;
      header = src[c] | (src[c + 1] << 8);
      if (header === 0) break;
      if (produced < CHUNK) {
        if (o + (CHUNK - produced) >= outSize) break;
        o += CHUNK - produced; // out is zero-initialised
      }
    }
  } catch (e) {
    if (e instanceof BadBuffer) return { status: STATUS.BAD_COMPRESSION_BUFFER, out, size: 0 };
    throw e;
  }
  return { status: STATUS.SUCCESS, out, size: o };
}

/** RtlDecompressFragment's LZNT1 walk: skips whole chunks before the offset, then copies up to `want` bytes. */
function lznt1Fragment(src: Uint8Array, want: number, offset: number): { status: number; out: Uint8Array; size: number } {
  const out = new Uint8Array(want);
  const bad = { status: STATUS.BAD_COMPRESSION_BUFFER, out, size: 0 };
  const none = { status: STATUS.SUCCESS, out, size: 0 };
  if (src.length < 2) return bad;
  let c = 0;
  let header = src[0] | (src[1] << 8);
  while (offset >= CHUNK) {
    if (c + (header & 0xfff) + 3 > src.length) return bad;
    offset -= CHUNK;
    c += (header & 0xfff) + 3;
    if (c > src.length - 2) return none;
    header = src[c] | (src[c + 1] << 8);
    if (header === 0) return none;
  }
  let o = 0;
  try {
    for (;;) {
      const stored = (header & 0xfff) + 3;
      if (c + stored > src.length) return bad;
      const copy = Math.min(CHUNK - offset, want - o);
      if (header & 0x8000) {
        const ws = new Uint8Array(CHUNK);
        const got = lznt1DecompressChunk(src.subarray(c + 2, c + stored), ws, 0, CHUNK);
        const avail = Math.max(0, got - offset);
        if (avail < copy) {
          out.set(ws.subarray(offset, offset + avail), o);
          o += avail;
          break;
        }
        out.set(ws.subarray(offset, offset + copy), o);
      } else {
        if (c + 2 + offset + copy > src.length) return bad;
        out.set(src.subarray(c + 2 + offset, c + 2 + offset + copy), o);
      }
      offset = 0;
      o += copy;
      if (o === want) break;
      c += stored;
      if (c > src.length - 2) break;
      header = src[c] | (src[c + 1] << 8);
      if (header === 0) break;
    }
  } catch (e) {
    if (e instanceof BadBuffer) return bad;
    throw e;
  }
  return { status: STATUS.SUCCESS, out, size: o };
}

// ---- XPRESS (plain LZ77) ----

const XPRESS_MAX_OFFSET = 8192;

function xpressCompress(src: Uint8Array, room: number): Uint8Array | null {
  const out: number[] = [0, 0, 0, 0];
  let flags = 0;
  let flagCount = 0;
  let flagAt = 0;
  let halfByteAt = -1;
  const heads = new Map<number, number[]>();
  const putFlags = (v: number, at: number) => {
    out[at] = v & 0xff;
    out[at + 1] = (v >>> 8) & 0xff;
    out[at + 2] = (v >>> 16) & 0xff;
    out[at + 3] = (v >>> 24) & 0xff;
  };
  let pos = 0;
  while (pos < src.length) {
    let bestLen = 0;
    let bestOff = 0;
    if (pos + 3 <= src.length) {
      const cands = heads.get(src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16)) ?? [];
      for (let c = cands.length - 1; c >= 0; c--) {
        const off = pos - cands[c];
        if (off > XPRESS_MAX_OFFSET) break;
        let n = 0;
        while (pos + n < src.length && src[cands[c] + n] === src[pos + n]) n++;
        if (n > bestLen) {
          bestLen = n;
          bestOff = off;
        }
      }
    }
    const step = bestLen >= 3 ? bestLen : 1;
    if (bestLen >= 3) {
      let len = bestLen - 3;
      const off = bestOff - 1;
      out.push(((off << 3) | Math.min(len, 7)) & 0xff, ((off << 3) | Math.min(len, 7)) >> 8);
      if (len >= 7) {
        len -= 7;
        const nibble = Math.min(len, 15);
        if (halfByteAt < 0) {
          halfByteAt = out.length;
          out.push(nibble);
        } else {
          out[halfByteAt] |= nibble << 4;
          halfByteAt = -1;
        }
        if (len >= 15) {
          len -= 15;
          if (len < 255) out.push(len);
          else {
            out.push(255);
            len += 15 + 7;
            if (len < 0x10000) out.push(len & 0xff, len >> 8);
            else out.push(0, 0, len & 0xff, (len >>> 8) & 0xff, (len >>> 16) & 0xff, (len >>> 24) & 0xff);
          }
        }
      }
      flags = ((flags << 1) | 1) >>> 0;
    } else {
      out.push(src[pos]);
      flags = (flags << 1) >>> 0;
    }
    for (let i = pos; i < pos + step; i++) {
      if (i + 2 >= src.length) continue;
      const key = src[i] | (src[i + 1] << 8) | (src[i + 2] << 16);
      let list = heads.get(key);
      if (!list) heads.set(key, (list = []));
      list.push(i);
    }
    pos += step;
    if (++flagCount === 32) {
      putFlags(flags, flagAt);
      flags = 0;
      flagCount = 0;
      flagAt = out.length;
      out.push(0, 0, 0, 0);
    }
    if (out.length > room) return null;
  }
  // The unused flag bits are ones: the decoder meets a "match" with no input left and stops there.
  const pad = 32 - flagCount;
  flags = pad === 32 ? 0xffffffff : (((flags << pad) >>> 0) | ((1 << pad) - 1)) >>> 0;
  putFlags(flags, flagAt);
  return out.length > room ? null : Uint8Array.from(out);
}

function xpressDecompress(src: Uint8Array, outSize: number): { status: number; out: Uint8Array; size: number } {
  const out = new Uint8Array(outSize);
  const bad = { status: STATUS.BAD_COMPRESSION_BUFFER, out, size: 0 };
  let p = 0;
  let o = 0;
  let flags = 0;
  let flagCount = 0;
  let halfByteAt = -1;
  const u16 = (at: number) => src[at] | (src[at + 1] << 8);
  while (o < outSize) {
    if (flagCount === 0) {
      if (p + 4 > src.length) return bad;
      flags = (u16(p) | (u16(p + 2) << 16)) >>> 0;
      p += 4;
      flagCount = 32;
    }
    flagCount--;
    if (!((flags >>> flagCount) & 1)) {
      if (p >= src.length) return bad;
      out[o++] = src[p++];
      continue;
    }
    if (p === src.length) break; // the end of the stream
    if (p + 2 > src.length) return bad;
    const token = u16(p);
    p += 2;
    let len = token & 7;
    const off = (token >> 3) + 1;
    if (len === 7) {
      if (halfByteAt < 0) {
        if (p >= src.length) return bad;
        halfByteAt = p;
        len = src[p++] & 0xf;
      } else {
        len = src[halfByteAt] >> 4;
        halfByteAt = -1;
      }
      if (len === 15) {
        if (p >= src.length) return bad;
        len = src[p++];
        if (len === 255) {
          if (p + 2 > src.length) return bad;
          len = u16(p);
          p += 2;
          if (len === 0) {
            if (p + 4 > src.length) return bad;
            len = (u16(p) | (u16(p + 2) << 16)) >>> 0;
            p += 4;
          }
          if (len < 15 + 7) return bad;
          len -= 15 + 7;
        }
        len += 15;
      }
      len += 7;
    }
    len += 3;
    if (off > o) return bad;
    for (let i = 0; i < len && o < outSize; i++, o++) out[o] = out[o - off];
  }
  return { status: STATUS.SUCCESS, out, size: o };
}

// ---- exports ----

function readIn(k: Kernel, p: bigint, n: number): Uint8Array {
  return n === 0 ? new Uint8Array(0) : k.m.read(p, n);
}

export const exports = [
  defineExport({
    ...nt,
    name: 'RtlGetCompressionWorkSpaceSize',
    proto: 'NTSTATUS RtlGetCompressionWorkSpaceSize(USHORT CompressionFormatAndEngine, PULONG CompressBufferWorkSpaceSize, PULONG CompressFragmentWorkSpaceSize)',
    params: { CompressionFormatAndEngine: 'u16', CompressBufferWorkSpaceSize: 'ptr', CompressFragmentWorkSpaceSize: 'ptr' },
    ret: 'status',
    impl: (k, a) => {
      const s = checkFormat(k, 'RtlGetCompressionWorkSpaceSize', a.CompressionFormatAndEngine);
      if (s !== STATUS.SUCCESS) return s;
      if (!engineOk(a.CompressionFormatAndEngine)) return STATUS.NOT_SUPPORTED;
      const ptr = k.ptrSize;
      // sizeof Windows' LZNT1 workspaces: four pointers, plus the standard engine's 4096x2 pointer match table; the
      // fragment workspace is one 4 KiB chunk. Windows' XPRESS figures are not documented; kdemu's XPRESS uses no
      // workspace and reports the LZNT1 standard sizes, enough for any caller that sizes its buffer from them.
      const maximum = (a.CompressionFormatAndEngine & 0xff) === FORMAT_LZNT1 && (a.CompressionFormatAndEngine & 0xff00) === ENGINE_MAXIMUM;
      const buffer = maximum ? 4 * ptr : 4 * ptr + 4096 * 2 * ptr;
      const fragment = CHUNK;
      k.m.setU32(a.CompressBufferWorkSpaceSize, buffer);
      k.m.setU32(a.CompressFragmentWorkSpaceSize, fragment);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlCompressBuffer',
    proto: 'NTSTATUS RtlCompressBuffer(USHORT CompressionFormatAndEngine, PUCHAR UncompressedBuffer, ULONG UncompressedBufferSize, PUCHAR CompressedBuffer, ULONG CompressedBufferSize, ULONG UncompressedChunkSize, PULONG FinalCompressedSize, PVOID WorkSpace)',
    params: {
      CompressionFormatAndEngine: 'u16', UncompressedBuffer: 'ptr', UncompressedBufferSize: 'u32', CompressedBuffer: 'ptr',
      CompressedBufferSize: 'u32', UncompressedChunkSize: 'u32', FinalCompressedSize: 'ptr', WorkSpace: 'ptr',
    },
    ret: 'status',
    impl: (k, a) => {
      const s = checkFormat(k, 'RtlCompressBuffer', a.CompressionFormatAndEngine);
      if (s !== STATUS.SUCCESS) return s;
      if (!engineOk(a.CompressionFormatAndEngine)) return STATUS.NOT_SUPPORTED;
      const src = readIn(k, a.UncompressedBuffer, a.UncompressedBufferSize);
      // UncompressedChunkSize is ignored: LZNT1 chunks are always 4 KiB, XPRESS has none.
      if ((a.CompressionFormatAndEngine & 0xff) === FORMAT_LZNT1) {
        const r = lznt1Compress(src, a.CompressedBufferSize);
        if (!r) return STATUS.BUFFER_TOO_SMALL;
        if (r.data.length > 0) k.m.write(a.CompressedBuffer, r.data);
        k.m.setU32(a.FinalCompressedSize, r.size);
        // Success either way; the informational status tells a file system the data can become sparse.
        return r.allZero ? STATUS.BUFFER_ALL_ZEROS : STATUS.SUCCESS;
      }
      const r = xpressCompress(src, a.CompressedBufferSize);
      if (!r) return STATUS.BUFFER_TOO_SMALL;
      k.m.write(a.CompressedBuffer, r);
      k.m.setU32(a.FinalCompressedSize, r.length);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlDecompressBuffer',
    proto: 'NTSTATUS RtlDecompressBuffer(USHORT CompressionFormat, PUCHAR UncompressedBuffer, ULONG UncompressedBufferSize, PUCHAR CompressedBuffer, ULONG CompressedBufferSize, PULONG FinalUncompressedSize)',
    params: {
      CompressionFormat: 'u16', UncompressedBuffer: 'ptr', UncompressedBufferSize: 'u32', CompressedBuffer: 'ptr',
      CompressedBufferSize: 'u32', FinalUncompressedSize: 'ptr',
    },
    ret: 'status',
    impl: (k, a) => {
      const s = checkFormat(k, 'RtlDecompressBuffer', a.CompressionFormat);
      if (s !== STATUS.SUCCESS) return s;
      const src = readIn(k, a.CompressedBuffer, a.CompressedBufferSize);
      const r = (a.CompressionFormat & 0xff) === FORMAT_LZNT1
        ? lznt1Decompress(src, a.UncompressedBufferSize)
        : xpressDecompress(src, a.UncompressedBufferSize);
      // On a corrupt buffer the output holds what was decoded before the error; FinalUncompressedSize is not
      // meaningful then and kdemu leaves it alone.
      if (r.size > 0) k.m.write(a.UncompressedBuffer, r.out.subarray(0, r.size));
      if (r.status === STATUS.SUCCESS) k.m.setU32(a.FinalUncompressedSize, r.size);
      return r.status;
    },
  }),
  defineExport({
    ...nt,
    name: 'RtlDecompressFragment',
    proto: 'NTSTATUS RtlDecompressFragment(USHORT CompressionFormat, PUCHAR UncompressedFragment, ULONG UncompressedFragmentSize, PUCHAR CompressedBuffer, ULONG CompressedBufferSize, ULONG FragmentOffset, PULONG FinalUncompressedSize, PVOID WorkSpace)',
    params: {
      CompressionFormat: 'u16', UncompressedFragment: 'ptr', UncompressedFragmentSize: 'u32', CompressedBuffer: 'ptr',
      CompressedBufferSize: 'u32', FragmentOffset: 'u32', FinalUncompressedSize: 'ptr', WorkSpace: 'ptr',
    },
    ret: 'status',
    impl: (k, a) => {
      const s = checkFormat(k, 'RtlDecompressFragment', a.CompressionFormat);
      if (s !== STATUS.SUCCESS) return s;
      const src = readIn(k, a.CompressedBuffer, a.CompressedBufferSize);
      let r: { status: number; out: Uint8Array; size: number };
      if ((a.CompressionFormat & 0xff) === FORMAT_LZNT1) {
        r = lznt1Fragment(src, a.UncompressedFragmentSize, a.FragmentOffset);
      } else {
        // XPRESS has no chunks to skip: the stream is decoded from the start up to the end of the fragment.
        const whole = xpressDecompress(src, a.FragmentOffset + a.UncompressedFragmentSize);
        const from = Math.min(a.FragmentOffset, whole.size);
        r = { status: whole.status, out: whole.out.subarray(from, whole.size), size: whole.size - from };
      }
      if (r.size > 0) k.m.write(a.UncompressedFragment, r.out.subarray(0, r.size));
      if (r.status === STATUS.SUCCESS) k.m.setU32(a.FinalUncompressedSize, r.size);
      return r.status;
    },
  }),
];
