// Section objects: ZwCreateSection, ZwOpenSection, ZwMapViewOfSection, ZwUnmapViewOfSection, and views in system
// space (MmMapViewInSystemSpace, MmUnmapViewInSystemSpace) and session space (MmMapViewInSessionSpace, MmUnmapViewInSessionSpace).
//
// A section's memory is a run of pages of its own in system PTE space (its "store"); every view maps those same
// pages again (the engines' mapAlias, as MDL mappings do), so a write through one view is seen through every other.
// A pagefile-backed section's pages start zeroed. A file-backed section's pages are loaded with the file's bytes
// when it is created, and written back to the file (the bytes within the file's size) when a writable view of it is
// unmapped. \Device\PhysicalMemory is a section over physical memory: its views show the pages physical.ts gives
// each frame (RAM's kernel mapping, a device's registers, all ones where nothing decodes).
//
// User-space views go where ZwAllocateVirtualMemory would put an allocation (kdemu's one user address space: the
// client's, or System's while DriverEntry runs in it), and count as taken for it because their pages are mapped.
// Each view holds its section: a section goes when its last handle, reference and view are gone.

import { PAGE_SIZE, Prot } from '../../emu/engine.js';
import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { GuestStop, hex } from '../machine.js';
import type { LeakReport } from '../report.js';
import { STATUS } from '../rtl/ntstatus.js';
import { attributesName } from '../ex/event.js';
import { mapGeneric, resolveHandle, type KObject } from '../ob/handle.js';
import { diskFileOf } from '../io/file.js';
import type { OpenFile } from '../io/memfs.js';
import { mm } from './mdl.js';
import { sessionOf } from '../ps/info.js';
import { homeOf } from './physical.js';
import { basicInformation, highestUserAddress, MEM_FREE, MEM_LARGE_PAGES, MEM_RESERVE, MEM_TOP_DOWN, protOf } from './virtual.js';

const SEC_BASED = 0x200000;
const SEC_NO_CHANGE = 0x400000;
const SEC_FILE = 0x800000;
const SEC_IMAGE = 0x1000000;
const SEC_RESERVE = 0x4000000;
const SEC_COMMIT = 0x8000000;
const SEC_NOCACHE = 0x10000000;
const SEC_LARGE_PAGES = 0x80000000;

const PAGE_NOACCESS = 0x01;
const PAGE_READONLY = 0x02;
const PAGE_READWRITE = 0x04;
const PAGE_WRITECOPY = 0x08;
const PAGE_EXECUTE = 0x10;
const PAGE_EXECUTE_READ = 0x20;
const PAGE_EXECUTE_READWRITE = 0x40;
const PAGE_EXECUTE_WRITECOPY = 0x80;
const PAGE_GUARD = 0x100;
const PAGE_NOCACHE = 0x200;
const PAGE_WRITECOMBINE = 0x400;

const OBJ_OPENIF = 0x80;
const OBJ_KERNEL_HANDLE = 0x200;
const KernelMode = 0;
/** SECTION_INHERIT. */
const ViewShare = 1;
const ViewUnmap = 2;
const GRANULARITY = 0x10000n;
const PAGE = BigInt(PAGE_SIZE);
const SEARCH_FROM = 0x1000000n;
const PHYSICAL_MEMORY = '\\Device\\PhysicalMemory';

interface Section {
  obj: KObject;
  /** Bytes (the section's MaximumSize). */
  size: bigint;
  protect: number;
  kind: 'pagefile' | 'file' | 'physical';
  /** The store: the section's pages in system space (not for \Device\PhysicalMemory, whose pages are the frames'). */
  store: bigint;
  pages: number;
  /** File-backed: the open file and its object (held while the section lives). */
  file?: { open: OpenFile; obj: KObject };
}

interface View {
  section: Section;
  base: bigint;
  pages: number;
  /** The section's first page the view shows. */
  firstPage: bigint;
  writable: boolean;
  space: 'user' | 'system' | 'session';
  caller: string;
}

class SectionState {
  readonly sections = new Map<bigint, Section>();
  readonly views: View[] = [];
  physical?: Section;
}

const states = new WeakMap<Kernel, SectionState>();
function state(k: Kernel): SectionState {
  let s = states.get(k);
  if (!s) states.set(k, (s = new SectionState()));
  return s;
}

function caller(k: Kernel): string {
  return k.symbolize(k.callerAddress());
}

function unsupported(k: Kernel, routine: string, what: string): never {
  throw new GuestStop('unsupported-call', `${routine} from ${caller(k)} ${what}`, { export: `ntoskrnl.exe!${routine}` });
}

/** MiMakeProtectionMask's check on a section or view protection: one base protection, no modifier that makes no sense. */
function validProtect(protect: number): boolean {
  const base = protect & 0xff;
  if (![1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80].includes(base)) return false;
  if (protect & ~0x7ff) return false;
  const mods = protect & 0x700;
  if (mods && base === PAGE_NOACCESS) return false;
  if ((mods & PAGE_NOCACHE && mods & (PAGE_GUARD | PAGE_WRITECOMBINE)) || (mods & PAGE_GUARD && mods & PAGE_WRITECOMBINE)) return false;
  return true;
}

const writes = (p: number) => [PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY].includes(p & 0xff);
const executes = (p: number) => (p & 0xff) >= PAGE_EXECUTE;

/** MiIsProtectionCompatible: a view may not write or execute where its section does not allow it. */
function compatible(section: number, view: number): boolean {
  if (writes(view) && !writes(section)) return false;
  if (executes(view) && !executes(section)) return false;
  return true;
}

/** The section behind an object body, if it is one. */
function sectionAt(k: Kernel, body: bigint): Section | undefined {
  return state(k).sections.get(body);
}

/** A new section object with its store; undefined when memory runs out. */
function newSection(k: Kernel, kind: Section['kind'], size: bigint, protect: number, name: string | undefined, file?: Section['file']): Section | undefined {
  const st = state(k);
  const pages = kind === 'physical' ? 0 : Number((size + PAGE - 1n) / PAGE);
  let store = 0n;
  if (pages > 0) {
    const va = mm(k).systemPtes.allocate(pages);
    if (va === null) return undefined;
    k.m.mapPages(va, pages * PAGE_SIZE, Prot.RW);
    store = va;
  }
  const body = k.m.actingAs(0, () => k.pool.allocate(0x30, 0x74636553 /* 'Sect' */, 0, 'system', 'section object'));
  if (body === null) {
    if (pages > 0) freeStore(k, store, pages);
    return undefined;
  }
  k.m.actingAs(0, () => k.m.fill(body, 0x30));
  const section = {} as Section;
  const obj = k.ob.create('Section', body, {
    ...(name ? { name } : {}),
    onDelete: () => {
      st.sections.delete(body);
      if (section.pages > 0) freeStore(k, section.store, section.pages);
      if (section.file) {
        section.file.obj.systemRefs--;
        k.ob.release(section.file.obj);
      }
      k.m.actingAs(0, () => k.pool.free_(body, 0));
    },
  });
  Object.assign(section, { obj, size, protect, kind, store, pages, ...(file ? { file } : {}) });
  if (file) file.obj.systemRefs++;
  st.sections.set(body, section);
  return section;
}

function freeStore(k: Kernel, store: bigint, pages: number): void {
  const db = mm(k);
  for (let i = 0; i < pages; i++) {
    const at = store + BigInt(i) * PAGE;
    const pfn = db.pfnOf.get(at);
    if (pfn !== undefined) {
      db.pfnOf.delete(at);
      db.pageOf.delete(pfn);
    }
  }
  k.m.unmap(store, pages * PAGE_SIZE);
  db.systemPtes.release(store, pages);
}

/** The page (its memory) a section's page shows. */
function pageOf(k: Kernel, s: Section, index: bigint): bigint | null {
  if (s.kind === 'physical') return homeOf(k, index);
  return s.store + index * PAGE;
}

/** Writes a file-backed section's bytes (those within the file's size) back to the file. */
function writeBack(k: Kernel, s: Section): void {
  const f = s.file!;
  const size = f.open.queryStandard().endOfFile;
  const n = size < s.size ? size : s.size;
  if (n === 0n) return;
  const data = k.m.actingAs(-1, () => k.m.read(s.store, Number(n)));
  const position = f.open.position;
  f.open.write(data, 0n);
  f.open.position = position;
}

function create(k: Kernel, a: { SectionHandle: bigint; DesiredAccess: number; ObjectAttributes: bigint; MaximumSize: bigint; SectionPageProtection: number; AllocationAttributes: number; FileHandle: bigint }): number {
  const routine = 'ZwCreateSection';
  const attrs = a.AllocationAttributes >>> 0;
  const protect = a.SectionPageProtection;
  // NtCreateSection's checks, in its order.
  if (attrs & ~(SEC_COMMIT | SEC_RESERVE | SEC_BASED | SEC_LARGE_PAGES | SEC_IMAGE | SEC_NOCACHE | SEC_NO_CHANGE | SEC_FILE)) return STATUS.INVALID_PARAMETER_6;
  if (!(attrs & (SEC_COMMIT | SEC_RESERVE | SEC_IMAGE))) return STATUS.INVALID_PARAMETER_6;
  if (attrs & SEC_IMAGE && attrs & (SEC_COMMIT | SEC_RESERVE | SEC_LARGE_PAGES | SEC_NOCACHE | SEC_NO_CHANGE)) return STATUS.INVALID_PARAMETER_6;
  if (attrs & SEC_COMMIT && attrs & SEC_RESERVE) return STATUS.INVALID_PARAMETER_6;
  if (protect & (PAGE_NOCACHE | PAGE_WRITECOMBINE | PAGE_GUARD | PAGE_NOACCESS)) return STATUS.INVALID_PAGE_PROTECTION;
  if (!validProtect(protect)) return STATUS.INVALID_PAGE_PROTECTION;
  const maximum = a.MaximumSize === 0n ? 0n : k.m.u64(a.MaximumSize);
  if (a.FileHandle === 0n && maximum === 0n) return STATUS.INVALID_PARAMETER_4;
  if (attrs & SEC_IMAGE) unsupported(k, routine, 'with SEC_IMAGE: kdemu does not map executable images as sections');
  if (attrs & (SEC_BASED | SEC_LARGE_PAGES)) unsupported(k, routine, `with allocation attributes ${hex(attrs)}: kdemu has no based or large-page sections`);
  if (a.FileHandle === 0n && attrs & SEC_RESERVE) unsupported(k, routine, 'with SEC_RESERVE: kdemu commits a pagefile-backed section\'s pages when it is created');

  const oa = a.ObjectAttributes;
  const attributes = oa === 0n ? 0 : k.m.u32At(oa, k.L.OBJECT_ATTRIBUTES.off.Attributes);
  // An empty name makes an unnamed section, as no name does.
  const name = attributesName(k, oa, routine) || undefined;
  if (name !== undefined) {
    if (!name.startsWith('\\')) return STATUS.OBJECT_PATH_SYNTAX_BAD;
    if (name.endsWith('\\')) return STATUS.OBJECT_NAME_INVALID;
    if (k.ns.isDirectory(name)) return attributes & OBJ_OPENIF ? STATUS.OBJECT_TYPE_MISMATCH : STATUS.OBJECT_NAME_COLLISION;
    const found = k.ns.lookup(name);
    if ('object' in found) {
      if (!(attributes & OBJ_OPENIF)) return STATUS.OBJECT_NAME_COLLISION;
      const o = k.ob.named(found.path);
      if (!o || o.type !== 'Section') return STATUS.OBJECT_TYPE_MISMATCH;
      k.m.setPtr(a.SectionHandle, k.ob.insert(o, mapGeneric('Section', a.DesiredAccess), (attributes & OBJ_KERNEL_HANDLE) !== 0));
      return STATUS.OBJECT_NAME_EXISTS;
    }
    if (found.status !== STATUS.OBJECT_NAME_NOT_FOUND) return found.status;
  }

  let section: Section | undefined;
  if (a.FileHandle === 0n) {
    section = newSection(k, 'pagefile', maximum, protect, name);
  } else {
    const e = k.ob.lookup(a.FileHandle, KernelMode);
    if (!e) {
      if (resolveHandle(k, a.FileHandle, KernelMode)) unsupported(k, routine, `on file handle ${hex(a.FileHandle)}, a device's: kdemu makes sections over files of its file system`);
      return STATUS.INVALID_HANDLE;
    }
    if (e.object.type !== 'File') return STATUS.OBJECT_TYPE_MISMATCH;
    const disk = diskFileOf(e.object);
    if (!disk) unsupported(k, routine, `on file handle ${hex(a.FileHandle)}, a pipe: kdemu makes sections over files of its file system`);
    if (disk.open.directory) return STATUS.INVALID_FILE_FOR_SECTION;
    // The file must be readable, and writable for a section that writes (not copy-on-write).
    const FILE_READ_DATA = 1, FILE_WRITE_DATA = 2;
    if (!(e.access & FILE_READ_DATA)) return STATUS.ACCESS_DENIED;
    const rw = (protect & 0xff) === PAGE_READWRITE || (protect & 0xff) === PAGE_EXECUTE_READWRITE;
    if (rw && !(e.access & FILE_WRITE_DATA)) return STATUS.ACCESS_DENIED;
    const fileSize = disk.open.queryStandard().endOfFile;
    let size = maximum === 0n ? fileSize : maximum;
    if (size === 0n) return STATUS.MAPPED_FILE_SIZE_ZERO;
    if (size > fileSize) {
      // A larger section extends a file it may write; a read-only one cannot.
      if (!rw) return STATUS.SECTION_TOO_BIG;
      const position = disk.open.position;
      const s = disk.open.setEndOfFile(size);
      disk.open.position = position;
      if (s !== STATUS.SUCCESS) return s;
    }
    section = newSection(k, 'file', size, protect, name, { open: disk.open, obj: e.object });
    if (section) {
      const position = disk.open.position;
      const r = disk.open.read(Number(size), 0n);
      disk.open.position = position;
      const data = r.data;
      const store = section.store;
      k.m.actingAs(-1, () => k.m.write(store, data));
    }
  }
  if (!section) return STATUS.INSUFFICIENT_RESOURCES;
  k.m.setPtr(a.SectionHandle, k.ob.insert(section.obj, mapGeneric('Section', a.DesiredAccess), (attributes & OBJ_KERNEL_HANDLE) !== 0));
  return STATUS.SUCCESS;
}

/** \Device\PhysicalMemory: one permanent section over the whole physical address space. */
function physicalSection(k: Kernel): Section | undefined {
  const st = state(k);
  if (!st.physical) {
    const top = k.arch === 'x64' ? 0x140000000n : 0x100000000n;
    st.physical = newSection(k, 'physical', top, PAGE_READWRITE, undefined);
    if (st.physical) st.physical.obj.systemRefs++;
  }
  return st.physical;
}

function open(k: Kernel, a: { SectionHandle: bigint; DesiredAccess: number; ObjectAttributes: bigint }): number {
  const routine = 'ZwOpenSection';
  const oa = a.ObjectAttributes;
  const attributes = k.m.u32At(oa, k.L.OBJECT_ATTRIBUTES.off.Attributes);
  const name = attributesName(k, oa, routine);
  if (!name) return STATUS.OBJECT_NAME_INVALID;
  if (!name.startsWith('\\')) return STATUS.OBJECT_PATH_SYNTAX_BAD;
  const kernel = (attributes & OBJ_KERNEL_HANDLE) !== 0;
  // ZwOpenSection runs with previous mode KernelMode, which Windows lets open \Device\PhysicalMemory.
  if (name.toLowerCase() === PHYSICAL_MEMORY.toLowerCase()) {
    const s = physicalSection(k);
    if (!s) return STATUS.INSUFFICIENT_RESOURCES;
    k.m.setPtr(a.SectionHandle, k.ob.insert(s.obj, mapGeneric('Section', a.DesiredAccess), kernel));
    return STATUS.SUCCESS;
  }
  const found = k.ns.lookup(name);
  if ('status' in found) return found.status;
  const o = k.ob.named(found.path);
  if (!o || o.type !== 'Section') return STATUS.OBJECT_TYPE_MISMATCH;
  k.m.setPtr(a.SectionHandle, k.ob.insert(o, mapGeneric('Section', a.DesiredAccess), kernel));
  return STATUS.SUCCESS;
}

/** The highest address a view may end at for ZeroBits (as ZwAllocateVirtualMemory counts them). */
function zeroBitsLimit(k: Kernel, zeroBits: bigint): bigint {
  const top = highestUserAddress(k);
  if (zeroBits === 0n) return top;
  let bits = Number(zeroBits);
  const width = k.arch === 'x64' ? 64 : 32;
  if (k.arch === 'x64') bits = zeroBits >= 32n ? 64 - zeroBits.toString(2).length : bits + 32;
  const limit = (1n << BigInt(width - bits)) - 1n;
  return limit < top ? limit : top;
}

function userRangeFree(k: Kernel, start: bigint, length: bigint): boolean {
  if (start < GRANULARITY || start + length - 1n > highestUserAddress(k)) return false;
  const i = basicInformation(k, start);
  return i.state === MEM_FREE && i.size >= length;
}

/** Maps the view's pages at base and records it. */
function mapView(k: Kernel, s: Section, base: bigint, firstPage: bigint, pages: number, protect: number, space: View['space']): void {
  const db = mm(k);
  // A copy-on-write view needs private copies of the pages it writes, which kdemu's shared views do not make.
  if ((protect & 0xff) === PAGE_WRITECOPY || (protect & 0xff) === PAGE_EXECUTE_WRITECOPY) unsupported(k, space === 'user' ? 'ZwMapViewOfSection' : 'MmMapViewInSystemSpace', 'with a copy-on-write protection: kdemu\'s views share the section\'s pages');
  const prot = space === 'user' ? protOf(protect) : protOf(protect) & ~Prot.User;
  for (let i = 0; i < pages; i++) {
    const page = pageOf(k, s, firstPage + BigInt(i));
    if (page === null) throw new GuestStop('resource-limit', `a view of section ${hex(s.obj.body)} needs more memory than the run's budget`);
    const at = base + BigInt(i) * PAGE;
    k.m.mapAlias(at, page, prot);
    db.pfnOf.set(at, db.pfn(page));
  }
  s.obj.systemRefs++;
  state(k).views.push({ section: s, base, pages, firstPage, writable: writes(protect), space, caller: caller(k) });
}

function unmapView(k: Kernel, v: View): void {
  const st = state(k);
  st.views.splice(st.views.indexOf(v), 1);
  const db = mm(k);
  for (let i = 0; i < v.pages; i++) {
    const at = v.base + BigInt(i) * PAGE;
    k.m.unmap(at, PAGE_SIZE, true);
    db.pfnOf.delete(at);
  }
  if (v.space !== 'user') db.systemPtes.release(v.base, v.pages);
  if (v.writable && v.section.kind === 'file') writeBack(k, v.section);
  v.section.obj.systemRefs--;
  k.ob.release(v.section.obj);
}

function mapUser(k: Kernel, a: { SectionHandle: bigint; ProcessHandle: bigint; BaseAddress: bigint; ZeroBits: bigint; CommitSize: bigint; SectionOffset: bigint; ViewSize: bigint; InheritDisposition: number; AllocationType: number; Win32Protect: number }): number {
  const routine = 'ZwMapViewOfSection';
  if (a.InheritDisposition !== ViewShare && a.InheritDisposition !== ViewUnmap) return STATUS.INVALID_PARAMETER_8;
  if (a.AllocationType & ~(MEM_TOP_DOWN | MEM_LARGE_PAGES | MEM_RESERVE | SEC_NO_CHANGE)) return STATUS.INVALID_PARAMETER_9;
  if (!validProtect(a.Win32Protect)) return STATUS.INVALID_PAGE_PROTECTION;
  if (a.ZeroBits > 21n && (k.arch === 'x86' || a.ZeroBits < 32n)) return STATUS.INVALID_PARAMETER_4;
  const r = resolveHandle(k, a.SectionHandle, KernelMode);
  if (!r) return STATUS.INVALID_HANDLE;
  if (r.type !== 'Section') return STATUS.OBJECT_TYPE_MISMATCH;
  const s = sectionAt(k, r.body)!;
  const p = resolveHandle(k, a.ProcessHandle, KernelMode);
  if (!p) return STATUS.INVALID_HANDLE;
  if (p.type !== 'Process') return STATUS.OBJECT_TYPE_MISMATCH;
  if (p.body !== k.ps.currentProcess) unsupported(k, routine, `into process ${hex(p.body)}, which is not the current one: kdemu has one user address space (attach with KeStackAttachProcess)`);
  if (a.Win32Protect & PAGE_GUARD) unsupported(k, routine, 'with PAGE_GUARD: kdemu has no guard pages');
  if (a.AllocationType & (MEM_LARGE_PAGES | MEM_RESERVE)) unsupported(k, routine, `with allocation type ${hex(a.AllocationType)}: kdemu maps every page of a view`);
  if (!compatible(s.protect, a.Win32Protect)) return STATUS.SECTION_PROTECTION;

  let base = k.m.ptr(a.BaseAddress);
  let offset = a.SectionOffset === 0n ? 0n : k.m.u64(a.SectionOffset);
  let size = k.m.ptr(a.ViewSize);
  if (s.kind === 'physical') {
    // Physical memory maps at page granularity: the offset goes down to its page, the view grows by as much.
    const delta = offset & (PAGE - 1n);
    offset -= delta;
    if (size !== 0n) size += delta;
    if (base !== 0n) base -= delta;
  } else if (offset & (GRANULARITY - 1n)) return STATUS.MAPPED_ALIGNMENT;
  if (base & (GRANULARITY - 1n) && s.kind !== 'physical') return STATUS.MAPPED_ALIGNMENT;
  if (offset >= s.size) return STATUS.INVALID_VIEW_SIZE;
  if (size === 0n) size = s.size - offset;
  else if (size > s.size - offset) return STATUS.INVALID_VIEW_SIZE;
  const length = (size + PAGE - 1n) & ~(PAGE - 1n);
  if (base !== 0n) {
    base &= ~(PAGE - 1n);
    if (base + length - 1n > highestUserAddress(k)) return STATUS.INVALID_PARAMETER_3;
    if (!userRangeFree(k, base, length)) return STATUS.CONFLICTING_ADDRESSES;
  } else {
    const limit = zeroBitsLimit(k, a.ZeroBits);
    let found: bigint | undefined;
    if (a.AllocationType & MEM_TOP_DOWN) {
      for (let q = (limit + 1n - length) & ~(GRANULARITY - 1n); q >= SEARCH_FROM && found === undefined; q -= GRANULARITY) if (userRangeFree(k, q, length)) found = q;
    } else {
      for (let q = SEARCH_FROM; q + length - 1n <= limit && found === undefined; q += GRANULARITY) if (userRangeFree(k, q, length)) found = q;
    }
    if (found === undefined) return STATUS.NO_MEMORY;
    base = found;
  }
  mapView(k, s, base, offset / PAGE, Number(length / PAGE), a.Win32Protect, 'user');
  k.m.setPtr(a.BaseAddress, base);
  k.m.setPtr(a.ViewSize, length);
  if (a.SectionOffset !== 0n) k.m.setU64(a.SectionOffset, offset);
  return STATUS.SUCCESS;
}

function unmapUser(k: Kernel, a: { ProcessHandle: bigint; BaseAddress: bigint }): number {
  const p = resolveHandle(k, a.ProcessHandle, KernelMode);
  if (!p) return STATUS.INVALID_HANDLE;
  if (p.type !== 'Process') return STATUS.OBJECT_TYPE_MISMATCH;
  if (p.body !== k.ps.currentProcess) unsupported(k, 'ZwUnmapViewOfSection', `in process ${hex(p.body)}, which is not the current one: kdemu has one user address space`);
  // Any address inside the view names it.
  const v = state(k).views.find((x) => x.space === 'user' && a.BaseAddress >= x.base && a.BaseAddress < x.base + BigInt(x.pages) * PAGE);
  if (!v) return STATUS.NOT_MAPPED_VIEW;
  unmapView(k, v);
  return STATUS.SUCCESS;
}

function mapSystem(k: Kernel, routine: string, section: bigint, mappedBase: bigint, viewSize: bigint, space: 'system' | 'session'): number {
  const s = sectionAt(k, section);
  if (!s) unsupported(k, routine, `on ${hex(section)}, which is not a section object`);
  if (s.kind === 'physical') unsupported(k, routine, 'on \\Device\\PhysicalMemory: map physical memory into system space with MmMapIoSpace');
  // Session space belongs to the processes of a session; System is in none.
  if (space === 'session' && sessionOf(k.ps.currentKProcess) === 0) return STATUS.NOT_MAPPED_VIEW;
  let size = k.m.ptr(viewSize);
  if (size === 0n) size = s.size;
  else if (size > s.size) return STATUS.INVALID_VIEW_SIZE;
  const pages = Number((size + PAGE - 1n) / PAGE);
  const base = mm(k).systemPtes.allocate(pages);
  if (base === null) return STATUS.NO_MEMORY;
  // A system view has the section's own protection.
  mapView(k, s, base, 0n, pages, s.protect, space);
  k.m.setPtr(mappedBase, base);
  k.m.setPtr(viewSize, BigInt(pages) * PAGE);
  return STATUS.SUCCESS;
}

function unmapSystem(k: Kernel, address: bigint, space: 'system' | 'session'): number {
  const v = state(k).views.find((x) => x.space === space && x.base === address);
  if (!v) return STATUS.NOT_MAPPED_VIEW;
  unmapView(k, v);
  return STATUS.SUCCESS;
}

/** Views a driver left mapped. (Section handles it left open are in the handle report.) */
export function sectionLeaks(k: Kernel): LeakReport[] {
  const st = states.get(k);
  if (!st) return [];
  return st.views.map((v) => ({
    kind: 'mapping' as const,
    detail: `${v.pages} page${v.pages === 1 ? '' : 's'} of section ${hex(v.section.obj.body)}${v.section.obj.name ? ` (${v.section.obj.name})` : v.section.kind === 'physical' ? ` (${PHYSICAL_MEMORY})` : ''} mapped at ${hex(v.base)} in ${v.space === 'user' ? 'the user process' : `${v.space} space`}, never unmapped`,
    caller: v.caller,
  }));
}

const zw = { module: 'ntoskrnl.exe', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...zw, name: 'ZwCreateSection',
    proto: 'NTSTATUS ZwCreateSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes, PLARGE_INTEGER MaximumSize, ULONG SectionPageProtection, ULONG AllocationAttributes, HANDLE FileHandle)',
    params: { SectionHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr', MaximumSize: 'ptr', SectionPageProtection: 'u32', AllocationAttributes: 'u32', FileHandle: 'handle' }, ret: 'status',
    impl: (k, a) => create(k, a),
  }),
  defineExport({
    ...zw, name: 'ZwOpenSection',
    proto: 'NTSTATUS ZwOpenSection(PHANDLE SectionHandle, ACCESS_MASK DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes)',
    params: { SectionHandle: 'ptr', DesiredAccess: 'access', ObjectAttributes: 'ptr' }, ret: 'status',
    impl: (k, a) => open(k, a),
  }),
  defineExport({
    ...zw, name: 'ZwMapViewOfSection',
    proto: 'NTSTATUS ZwMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress, ULONG_PTR ZeroBits, SIZE_T CommitSize, PLARGE_INTEGER SectionOffset, PSIZE_T ViewSize, SECTION_INHERIT InheritDisposition, ULONG AllocationType, ULONG Win32Protect)',
    params: { SectionHandle: 'handle', ProcessHandle: 'handle', BaseAddress: 'ptr', ZeroBits: 'usize', CommitSize: 'usize', SectionOffset: 'ptr', ViewSize: 'ptr', InheritDisposition: 'u32', AllocationType: 'u32', Win32Protect: 'u32' }, ret: 'status',
    impl: (k, a) => mapUser(k, a),
  }),
  defineExport({
    ...zw, name: 'ZwUnmapViewOfSection',
    proto: 'NTSTATUS ZwUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress)',
    params: { ProcessHandle: 'handle', BaseAddress: 'ptr' }, ret: 'status',
    impl: (k, a) => unmapUser(k, a),
  }),
  defineExport({
    ...zw, name: 'MmMapViewInSystemSpace',
    proto: 'NTSTATUS MmMapViewInSystemSpace(PVOID Section, PVOID *MappedBase, PSIZE_T ViewSize)',
    params: { Section: 'ptr', MappedBase: 'ptr', ViewSize: 'ptr' }, ret: 'status',
    impl: (k, a) => mapSystem(k, 'MmMapViewInSystemSpace', a.Section, a.MappedBase, a.ViewSize, 'system'),
  }),
  defineExport({
    ...zw, name: 'MmUnmapViewInSystemSpace',
    proto: 'NTSTATUS MmUnmapViewInSystemSpace(PVOID MappedBase)',
    params: { MappedBase: 'ptr' }, ret: 'status',
    impl: (k, a) => unmapSystem(k, a.MappedBase, 'system'),
  }),
  defineExport({
    ...zw, name: 'MmMapViewInSessionSpace',
    proto: 'NTSTATUS MmMapViewInSessionSpace(PVOID Section, PVOID *MappedBase, PSIZE_T ViewSize)',
    params: { Section: 'ptr', MappedBase: 'ptr', ViewSize: 'ptr' }, ret: 'status',
    // kdemu's session space is part of its system PTE space: the view is a system-space mapping of the section.
    impl: (k, a) => mapSystem(k, 'MmMapViewInSessionSpace', a.Section, a.MappedBase, a.ViewSize, 'session'),
  }),
  defineExport({
    ...zw, name: 'MmUnmapViewInSessionSpace',
    proto: 'NTSTATUS MmUnmapViewInSessionSpace(PVOID MappedBase)',
    params: { MappedBase: 'ptr' }, ret: 'status',
    impl: (k, a) => unmapSystem(k, a.MappedBase, 'session'),
  }),
];
