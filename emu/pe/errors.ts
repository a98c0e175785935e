// PeFormatError (the only error thrown for malformed PE input) and the number formatting its messages use.

/** Thrown for every malformation of a PE file; `message` is one human-readable line. */
export class PeFormatError extends Error {
  override readonly name = 'PeFormatError';
  constructor(message: string) {
    // Names inside messages come from the file and may hold control bytes; keep the message on one line.
    super(message.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  }
}

/** A name read from the file, shortened for messages (garbage names can be kilobytes long). */
export function shortName(s: string, max = 64): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

/** `0x1A2B`: upper-case digits so addresses read the same everywhere in kdemu's output. */
export function hex(n: number | bigint): string {
  return '0x' + n.toString(16).toUpperCase();
}

/** A size as people read it: `3 GiB`, `512 MiB`, `1.5 KiB`, `300 bytes`. */
export function humanSize(n: number): string {
  const units: [number, string][] = [
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ];
  for (const [scale, unit] of units) {
    if (n >= scale) {
      const v = n / scale;
      return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
    }
  }
  return `${n} bytes`;
}

/** "past the end of the file (0x2000 bytes)" — shared wording for truncation errors. */
export function pastEof(end: number, fileLength: number): string {
  return `ends at ${hex(end)}, past the end of the file (${hex(fileLength)} bytes)`;
}

/**
 * A file the Windows loader itself refuses (MiCreateImageFileMap / MiVerifyImageHeader fail the section with
 * STATUS_INVALID_IMAGE_FORMAT): the message says so, then why.
 */
export function invalidImage(why: string): PeFormatError {
  return new PeFormatError(`STATUS_INVALID_IMAGE_FORMAT: ${why}`);
}
