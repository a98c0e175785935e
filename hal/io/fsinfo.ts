// Directory listings and volume information of the in-memory file system (io/memfs.ts): ZwQueryDirectoryFile and
// ZwQueryVolumeInformationFile, with the FILE_*_INFORMATION and FILE_FS_*_INFORMATION layouts Windows fills.
//
// The volume is NTFS-like, so listings come in NTFS's name order with "." and ".." first (not in the root), and
// names match patterns by FsRtlIsNameInExpression's rules. The volume keeps no 8.3 short names (as NTFS with 8.3
// name creation disabled), so FileBothDirectoryInformation's ShortName is empty.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { readUnicodeString } from '../rtl/unicode.js';
import { diskFileOf, fileSystem, ioStatus, unsupported } from './file.js';
import type { DirEntry } from './memfs.js';
import { hex } from '../machine.js';

const KernelMode = 0;

// FILE_INFORMATION_CLASS values of directory listings.
const FileDirectoryInformation = 1;
const FileFullDirectoryInformation = 2;
const FileBothDirectoryInformation = 3;
const FileNamesInformation = 12;

/**
 * Each class's fixed part (up to FileName), where FileNameLength is, and the structure's sizeof: the least Length
 * NtQueryDirectoryFile takes. EaSize and the short name stay zero (no EAs, no 8.3 names).
 */
const LAYOUTS: Record<number, { fixed: number; nameLength: number; name: number; times: boolean; min: number }> = {
  [FileDirectoryInformation]: { fixed: 64, nameLength: 60, name: 64, times: true, min: 72 },
  [FileFullDirectoryInformation]: { fixed: 68, nameLength: 60, name: 68, times: true, min: 72 },
  [FileBothDirectoryInformation]: { fixed: 94, nameLength: 60, name: 94, times: true, min: 96 },
  [FileNamesInformation]: { fixed: 12, nameLength: 8, name: 12, times: false, min: 16 },
};
/** The other directory classes (object ids, quotas, reparse points, the FileId* listings). */
const OTHER_DIRECTORY_CLASSES = new Set([29, 32, 33, 37, 38, 60, 63]);

/** Entries start 8-byte aligned (NextEntryOffset), as the file systems lay them out. */
function align8(n: number): number {
  return (n + 7) & ~7;
}

function writeEntry(k: Kernel, at: bigint, cls: number, e: DirEntry, room: number): { written: number; truncated: boolean } {
  const L = LAYOUTS[cls];
  const m = k.m;
  const nameBytes = e.name.length * 2;
  const fits = Math.min(nameBytes, room - L.fixed) & ~1;
  m.fill(at, L.fixed);
  if (L.times) {
    m.setU64(at + 8n, e.creationTime);
    m.setU64(at + 16n, e.lastAccessTime);
    m.setU64(at + 24n, e.lastWriteTime);
    m.setU64(at + 32n, e.changeTime);
    m.setU64(at + 40n, e.endOfFile);
    m.setU64(at + 48n, e.allocationSize);
    m.setU32(at + 56n, e.fileAttributes);
  }
  // FileNameLength is the whole name's, even when only part of it fit.
  m.setU32(at + BigInt(L.nameLength), nameBytes);
  if (fits > 0) {
    const b = new Uint8Array(fits);
    for (let i = 0; i < fits / 2; i++) {
      const c = e.name.charCodeAt(i);
      b[2 * i] = c & 0xff;
      b[2 * i + 1] = c >> 8;
    }
    m.write(at + BigInt(L.name), b);
  }
  return { written: L.fixed + fits, truncated: fits < nameBytes };
}

function queryDirectory(k: Kernel, a: { FileHandle: bigint; Event: bigint; ApcRoutine: bigint; IoStatusBlock: bigint; FileInformation: bigint; Length: number; FileInformationClass: number; ReturnSingleEntry: number; FileName: bigint; RestartScan: number }): number {
  const routine = 'ZwQueryDirectoryFile';
  const L = LAYOUTS[a.FileInformationClass];
  if (!L) {
    if (OTHER_DIRECTORY_CLASSES.has(a.FileInformationClass)) unsupported(k, routine, `with FILE_INFORMATION_CLASS ${a.FileInformationClass}: kdemu lists FileDirectoryInformation, FileFullDirectoryInformation, FileBothDirectoryInformation and FileNamesInformation`);
    return STATUS.INVALID_INFO_CLASS;
  }
  if (a.Length < L.min) return STATUS.INFO_LENGTH_MISMATCH;
  const f = diskFileOf(k.ob.lookup(a.FileHandle, KernelMode)?.object);
  if (!f) {
    if (k.ob.lookup(a.FileHandle, KernelMode) || k.io.files.has(Number(a.FileHandle & 0xffffffffn))) unsupported(k, routine, `on handle ${hex(a.FileHandle)}, a pipe or device file: kdemu lists directories of its file system`);
    return STATUS.INVALID_HANDLE;
  }
  if (a.Event !== 0n || a.ApcRoutine !== 0n) unsupported(k, routine, 'passes an event or APC routine: kdemu lists directories synchronously');
  const pattern = a.FileName !== 0n ? readUnicodeString(k, a.FileName) : undefined;
  let used = 0;
  let last = -1;
  let truncated = false;
  const r = f.open.listDirectory(a.RestartScan !== 0, pattern || undefined, (e, taken) => {
    if (a.ReturnSingleEntry && taken >= 1) return false;
    const start = taken === 0 ? 0 : align8(used);
    // The first entry always goes in (its name cut short if need be); a later one only whole.
    if (taken > 0 && start + L.fixed + e.name.length * 2 > a.Length) return false;
    return true;
  });
  if (r.status !== STATUS.SUCCESS || r.entries.length === 0) {
    ioStatus(k, a.IoStatusBlock, r.status, 0);
    return r.status;
  }
  for (const e of r.entries) {
    const start = last < 0 ? 0 : align8(used);
    if (last >= 0) k.m.setU32(a.FileInformation + BigInt(last), start - last);
    const w = writeEntry(k, a.FileInformation + BigInt(start), a.FileInformationClass, e, a.Length - start);
    k.m.setU32(a.FileInformation + BigInt(start), 0);
    truncated = w.truncated;
    used = start + w.written;
    last = start;
  }
  const status = truncated ? STATUS.BUFFER_OVERFLOW : STATUS.SUCCESS;
  ioStatus(k, a.IoStatusBlock, status, used);
  return status;
}

// FS_INFORMATION_CLASS
const FileFsVolumeInformation = 1;
const FileFsSizeInformation = 3;
const FileFsDeviceInformation = 4;
const FileFsAttributeInformation = 5;

const FILE_DEVICE_DISK = 7;
const FILE_DEVICE_IS_MOUNTED = 0x20;
const FILE_CASE_PRESERVED_NAMES = 0x2;
const FILE_UNICODE_ON_DISK = 0x4;
/** The volume's serial number: fixed, so every run reports the same. */
const VOLUME_SERIAL = 0x4b44454d;
const BYTES_PER_SECTOR = 512;
const SECTORS_PER_CLUSTER = 8;

function writeName(k: Kernel, at: bigint, name: string, room: number): boolean {
  const n = Math.min(name.length, Math.max(0, room) >> 1);
  for (let i = 0; i < n; i++) k.m.setU16(at + BigInt(2 * i), name.charCodeAt(i));
  return n < name.length;
}

function queryVolume(k: Kernel, a: { FileHandle: bigint; IoStatusBlock: bigint; FsInformation: bigint; Length: number; FsInformationClass: number }): number {
  const routine = 'ZwQueryVolumeInformationFile';
  // The fixed part each class fills, and its sizeof: the least Length the service takes.
  const sizes = { [FileFsVolumeInformation]: [18, 24], [FileFsSizeInformation]: [24, 24], [FileFsDeviceInformation]: [8, 8], [FileFsAttributeInformation]: [12, 16] }[a.FsInformationClass];
  if (sizes === undefined) {
    // FileFsControlInformation .. FileFsFullSizeInformationEx; FileFsLabelInformation (2) can only be set.
    if (a.FsInformationClass >= 6 && a.FsInformationClass <= 14) unsupported(k, routine, `with FS_INFORMATION_CLASS ${a.FsInformationClass}: kdemu answers FileFsVolumeInformation, FileFsSizeInformation, FileFsDeviceInformation and FileFsAttributeInformation`);
    return STATUS.INVALID_INFO_CLASS;
  }
  const [fixed, min] = sizes;
  if (a.Length < min) return STATUS.INFO_LENGTH_MISMATCH;
  const f = diskFileOf(k.ob.lookup(a.FileHandle, KernelMode)?.object);
  if (!f) {
    if (k.ob.lookup(a.FileHandle, KernelMode) || k.io.files.has(Number(a.FileHandle & 0xffffffffn))) unsupported(k, routine, `on handle ${hex(a.FileHandle)}, a pipe or device file: kdemu answers it for files of its file system`);
    return STATUS.INVALID_HANDLE;
  }
  const fs = fileSystem(k);
  const m = k.m;
  const out = a.FsInformation;
  let used = fixed;
  let overflow = false;
  switch (a.FsInformationClass) {
    case FileFsVolumeInformation: {
      // No label.
      m.setU64(out, fs.created);
      m.setU32(out + 8n, VOLUME_SERIAL);
      m.setU32(out + 12n, 0);
      m.setU8(out + 16n, 1); // NTFS supports object ids
      m.setU8(out + 17n, 0);
      break;
    }
    case FileFsSizeInformation: {
      const cluster = BigInt(BYTES_PER_SECTOR * SECTORS_PER_CLUSTER);
      const total = BigInt(fs.capacity) / cluster;
      m.setU64(out, total);
      m.setU64(out + 8n, BigInt(fs.capacity - fs.memoryUsed) / cluster);
      m.setU32(out + 16n, SECTORS_PER_CLUSTER);
      m.setU32(out + 20n, BYTES_PER_SECTOR);
      break;
    }
    case FileFsDeviceInformation:
      m.setU32(out, FILE_DEVICE_DISK);
      m.setU32(out + 4n, FILE_DEVICE_IS_MOUNTED);
      break;
    case FileFsAttributeInformation: {
      const name = 'NTFS';
      m.setU32(out, FILE_CASE_PRESERVED_NAMES | FILE_UNICODE_ON_DISK);
      m.setU32(out + 4n, 255);
      m.setU32(out + 8n, name.length * 2);
      overflow = writeName(k, out + 12n, name, a.Length - 12);
      used = Math.min(a.Length, 12 + name.length * 2);
      break;
    }
  }
  const status = overflow ? STATUS.BUFFER_OVERFLOW : STATUS.SUCCESS;
  ioStatus(k, a.IoStatusBlock, status, used);
  return status;
}

const zw = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...zw, name: 'ZwQueryDirectoryFile',
    proto: 'NTSTATUS ZwQueryDirectoryFile(HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext, PIO_STATUS_BLOCK IoStatusBlock, PVOID FileInformation, ULONG Length, FILE_INFORMATION_CLASS FileInformationClass, BOOLEAN ReturnSingleEntry, PUNICODE_STRING FileName, BOOLEAN RestartScan)',
    params: { FileHandle: 'handle', Event: 'handle', ApcRoutine: 'ptr', ApcContext: 'ptr', IoStatusBlock: 'ptr', FileInformation: 'ptr', Length: 'u32', FileInformationClass: 'u32', ReturnSingleEntry: 'bool', FileName: 'ptr', RestartScan: 'bool' },
    ret: 'status',
    impl: (k, a) => queryDirectory(k, a),
  }),
  defineExport({
    ...zw, name: 'ZwQueryVolumeInformationFile',
    proto: 'NTSTATUS ZwQueryVolumeInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock, PVOID FsInformation, ULONG Length, FS_INFORMATION_CLASS FsInformationClass)',
    params: { FileHandle: 'handle', IoStatusBlock: 'ptr', FsInformation: 'ptr', Length: 'u32', FsInformationClass: 'u32' },
    ret: 'status',
    impl: (k, a) => queryVolume(k, a),
  }),
];
