// Buffers in the report: lower-case hex, whole up to a size a report can hold. Beyond it the report says so
// (dataBytes, dataSha256) rather than dropping bytes silently or building a string larger than the host allows.

import { createHash } from 'node:crypto';

/** The most bytes of one buffer a report spells out in hex (16 MiB: a 32 Mi-character string). */
export const MAX_REPORT_DATA = 16 * 1024 * 1024;

export interface ReportData {
  data: string;
  /** Only when data is cut: the buffer's full length and the SHA-256 of all of it. */
  dataBytes?: number;
  dataSha256?: string;
}

export function reportData(b: Uint8Array): ReportData {
  if (b.length <= MAX_REPORT_DATA) return { data: Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex') };
  return {
    data: Buffer.from(b.buffer, b.byteOffset, MAX_REPORT_DATA).toString('hex'),
    dataBytes: b.length,
    dataSha256: createHash('sha256').update(b).digest('hex'),
  };
}
