// Code pages for the user-mode DLLs: ANSI 1252, OEM 437 (the console's), UTF-8 and US-ASCII, converted as
// MultiByteToWideChar / WideCharToMultiByte do on an English Windows.

import { ansiToUnicode, unicodeToAnsi } from '../../dbg/format.js';

const CP_ACP = 0;
const CP_OEMCP = 1;
const CP_THREAD_ACP = 3;

/** OEM code page 437, bytes 0x80-0xFF (generated from the Unicode mapping table). */
const CP437_HIGH = [
  0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7, 0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
  0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9, 0x00ff, 0x00d6, 0x00dc, 0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192,
  0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba, 0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
  0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556, 0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b, 0x2510,
  0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f, 0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x2567,
  0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b, 0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580,
  0x03b1, 0x00df, 0x0393, 0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4, 0x03a6, 0x0398, 0x03a9, 0x03b4, 0x221e, 0x03c6, 0x03b5, 0x2229,
  0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248, 0x00b0, 0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2, 0x25a0, 0x00a0,
];
const CP437_REVERSE = new Map<number, number>(CP437_HIGH.map((u, i) => [u, 0x80 + i]));

/** The code page a CP_ACP / CP_OEMCP / CP_THREAD_ACP argument stands for. */
function resolve(cp: number): number {
  if (cp === CP_ACP || cp === CP_THREAD_ACP) return 1252;
  if (cp === CP_OEMCP) return 437;
  return cp;
}

export function knownCodePage(cp: number): boolean {
  return [1252, 437, 65001, 20127].includes(resolve(cp));
}

export function decodeCodePage(bytes: Uint8Array, cp: number): string {
  const c = resolve(cp);
  if (c === 65001) return new TextDecoder('utf-8').decode(bytes); // invalid sequences become U+FFFD, as Windows does
  let s = '';
  for (const b of bytes) {
    if (c === 1252) s += String.fromCharCode(ansiToUnicode(b));
    else if (c === 437) s += String.fromCharCode(b < 0x80 ? b : CP437_HIGH[b - 0x80]);
    else s += String.fromCharCode(b < 0x80 ? b : 0xfffd);
  }
  return s;
}

export function encodeCodePage(text: string, cp: number): Uint8Array;
export function encodeCodePage(text: string, cp: number, defaultChar: number, info: true): { bytes: Uint8Array; usedDefault: boolean };
export function encodeCodePage(text: string, cp: number, defaultChar = 0x3f, info = false): Uint8Array | { bytes: Uint8Array; usedDefault: boolean } {
  const c = resolve(cp);
  let usedDefault = false;
  let bytes: Uint8Array;
  if (c === 65001) bytes = new TextEncoder().encode(text);
  else {
    bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const u = text.charCodeAt(i);
      let b: number | undefined;
      if (c === 1252) b = unicodeToAnsi(u) === 0x3f && u !== 0x3f ? undefined : unicodeToAnsi(u);
      else if (c === 437) b = u < 0x80 ? u : CP437_REVERSE.get(u);
      else b = u < 0x80 ? u : undefined;
      if (b === undefined) {
        usedDefault = true;
        b = defaultChar;
      }
      bytes[i] = b;
    }
  }
  return info ? { bytes, usedDefault } : bytes;
}

const utf16 = new TextDecoder('utf-16le');

/** UTF-16LE bytes as a string, however long (no argument spreading). */
export function utf16Text(bytes: Uint8Array): string {
  return utf16.decode(bytes);
}
