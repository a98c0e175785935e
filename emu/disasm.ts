// Disassembly of one instruction for crash reports (iced-x86), in Intel syntax like WinDbg's.

import { Decoder, DecoderOptions, Formatter, FormatterSyntax } from 'iced-x86';
import type { Arch } from './engine.js';

let formatter: Formatter | undefined;

/** The instruction at ip decoded from bytes (up to 15), or undefined when they do not decode. */
export function disassemble(bytes: Uint8Array, arch: Arch, ip: bigint): { text: string; length: number } | undefined {
  if (bytes.length === 0) return undefined;
  formatter ??= new Formatter(FormatterSyntax.Intel);
  const decoder = new Decoder(arch === 'x64' ? 64 : 32, bytes, DecoderOptions.None);
  decoder.ip = ip;
  const insn = decoder.decode();
  try {
    if (insn.isInvalid) return undefined;
    return { text: formatter.format(insn), length: insn.length };
  } finally {
    insn.free();
    decoder.free();
  }
}
