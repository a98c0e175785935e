// Share access: IoCheckShareAccess, IoSetShareAccess, IoUpdateShareAccess, IoRemoveShareAccess.
//
// A driver that keeps its own files tracks who has one open for reading, writing or deleting and what they let
// others do in a SHARE_ACCESS; each FILE_OBJECT records the access and sharing it was opened with. Opens that only
// ask for other rights (attributes, synchronize) take no part.

import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';

const FILE_READ_DATA = 0x1;
const FILE_WRITE_DATA = 0x2;
const FILE_APPEND_DATA = 0x4;
const FILE_EXECUTE = 0x20;
const DELETE = 0x10000;
const FILE_SHARE_READ = 0x1;
const FILE_SHARE_WRITE = 0x2;
const FILE_SHARE_DELETE = 0x4;

type Counter = 'OpenCount' | 'Readers' | 'Writers' | 'Deleters' | 'SharedRead' | 'SharedWrite' | 'SharedDelete';

interface Access {
  read: boolean;
  write: boolean;
  del: boolean;
  sharedRead: boolean;
  sharedWrite: boolean;
  sharedDelete: boolean;
}

function counter(k: Kernel, sa: bigint, c: Counter): number {
  return k.m.u32(sa + BigInt(k.L.SHARE_ACCESS.off[c]));
}

function setCounter(k: Kernel, sa: bigint, c: Counter, v: number): void {
  k.m.setU32(sa + BigInt(k.L.SHARE_ACCESS.off[c]), v >>> 0);
}

function wanted(access: number, share: number): Access {
  return {
    read: (access & (FILE_READ_DATA | FILE_EXECUTE)) !== 0,
    write: (access & (FILE_WRITE_DATA | FILE_APPEND_DATA)) !== 0,
    del: (access & DELETE) !== 0,
    sharedRead: (share & FILE_SHARE_READ) !== 0,
    sharedWrite: (share & FILE_SHARE_WRITE) !== 0,
    sharedDelete: (share & FILE_SHARE_DELETE) !== 0,
  };
}

/** Records the open's access (and, when it takes part, its sharing) in the file object. */
function recordInFile(k: Kernel, file: bigint, a: Access): void {
  const o = k.L.FILE_OBJECT.off;
  k.m.setU8At(file, o.ReadAccess, a.read ? 1 : 0);
  k.m.setU8At(file, o.WriteAccess, a.write ? 1 : 0);
  k.m.setU8At(file, o.DeleteAccess, a.del ? 1 : 0);
  if (a.read || a.write || a.del) {
    k.m.setU8At(file, o.SharedRead, a.sharedRead ? 1 : 0);
    k.m.setU8At(file, o.SharedWrite, a.sharedWrite ? 1 : 0);
    k.m.setU8At(file, o.SharedDelete, a.sharedDelete ? 1 : 0);
  }
}

/** What a file object says it was opened with. */
function fromFile(k: Kernel, file: bigint): Access {
  const o = k.L.FILE_OBJECT.off;
  const b = (f: number) => k.m.u8At(file, f) !== 0;
  return { read: b(o.ReadAccess), write: b(o.WriteAccess), del: b(o.DeleteAccess), sharedRead: b(o.SharedRead), sharedWrite: b(o.SharedWrite), sharedDelete: b(o.SharedDelete) };
}

/** Adds (+1) or removes (-1) one open's share in the counts. */
function count(k: Kernel, sa: bigint, a: Access, d: 1 | -1): void {
  const bump = (c: Counter, on: boolean) => on && setCounter(k, sa, c, counter(k, sa, c) + d);
  bump('OpenCount', true);
  bump('Readers', a.read);
  bump('Writers', a.write);
  bump('Deleters', a.del);
  bump('SharedRead', a.sharedRead);
  bump('SharedWrite', a.sharedWrite);
  bump('SharedDelete', a.sharedDelete);
}

const takesPart = (a: Access) => a.read || a.write || a.del;

const io = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...io, name: 'IoCheckShareAccess',
    proto: 'NTSTATUS IoCheckShareAccess(ACCESS_MASK DesiredAccess, ULONG DesiredShareAccess, PFILE_OBJECT FileObject, PSHARE_ACCESS ShareAccess, BOOLEAN Update)',
    params: { DesiredAccess: 'access', DesiredShareAccess: 'u32', FileObject: 'ptr', ShareAccess: 'ptr', Update: 'bool' }, ret: 'status',
    impl: (k, a) => {
      const w = wanted(a.DesiredAccess, a.DesiredShareAccess);
      recordInFile(k, a.FileObject, w);
      if (!takesPart(w)) return STATUS.SUCCESS;
      const sa = a.ShareAccess;
      const open = counter(k, sa, 'OpenCount');
      // Every open so far must share what this one wants, and this one must share what they have.
      const conflict =
        (w.read && counter(k, sa, 'SharedRead') < open) ||
        (w.write && counter(k, sa, 'SharedWrite') < open) ||
        (w.del && counter(k, sa, 'SharedDelete') < open) ||
        (counter(k, sa, 'Readers') !== 0 && !w.sharedRead) ||
        (counter(k, sa, 'Writers') !== 0 && !w.sharedWrite) ||
        (counter(k, sa, 'Deleters') !== 0 && !w.sharedDelete);
      if (conflict) return STATUS.SHARING_VIOLATION;
      if (a.Update) count(k, sa, w, 1);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...io, name: 'IoSetShareAccess',
    proto: 'VOID IoSetShareAccess(ACCESS_MASK DesiredAccess, ULONG DesiredShareAccess, PFILE_OBJECT FileObject, PSHARE_ACCESS ShareAccess)',
    params: { DesiredAccess: 'access', DesiredShareAccess: 'u32', FileObject: 'ptr', ShareAccess: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      // The first open of a file: the counts start from it alone.
      const w = wanted(a.DesiredAccess, a.DesiredShareAccess);
      recordInFile(k, a.FileObject, w);
      k.m.fill(a.ShareAccess, k.L.SHARE_ACCESS.size);
      if (takesPart(w)) count(k, a.ShareAccess, w, 1);
    },
  }),
  defineExport({
    ...io, name: 'IoUpdateShareAccess', proto: 'VOID IoUpdateShareAccess(PFILE_OBJECT FileObject, PSHARE_ACCESS ShareAccess)',
    params: { FileObject: 'ptr', ShareAccess: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const f = fromFile(k, a.FileObject);
      if (takesPart(f)) count(k, a.ShareAccess, f, 1);
    },
  }),
  defineExport({
    ...io, name: 'IoRemoveShareAccess', proto: 'VOID IoRemoveShareAccess(PFILE_OBJECT FileObject, PSHARE_ACCESS ShareAccess)',
    params: { FileObject: 'ptr', ShareAccess: 'ptr' }, ret: 'void',
    impl: (k, a) => {
      const f = fromFile(k, a.FileObject);
      if (takesPart(f)) count(k, a.ShareAccess, f, -1);
    },
  }),
];
