// The emulated machine's C: drive: an in-memory file system with NT (NTFS-like) semantics.
//
// Pure host-side data: the kernel's Zw*File services translate guest buffers and call in here; nothing here knows
// about guest memory. Nothing reads the wall clock or random numbers: times come from the caller's clock, file ids
// count up, listings follow NTFS's name order, so a run is reproducible. With hostDir (the CLI's --fs DIR) the
// host folder shows through as C:\: entries are read with node:fs when first needed, writes land in memory only
// (the host disk is never modified), and a symlink leading out of the folder does not exist for the guest.

import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { STATUS } from '../rtl/ntstatus.js';
import { FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_READ_DATA, FILE_WRITE_DATA, GENERIC_READ, GENERIC_WRITE } from './constants.js';

// NtCreateFile CreateDisposition
export const FILE_SUPERSEDE = 0;
export const FILE_OPEN = 1;
export const FILE_CREATE = 2;
export const FILE_OPEN_IF = 3;
export const FILE_OVERWRITE = 4;
export const FILE_OVERWRITE_IF = 5;

// NtCreateFile CreateOptions this file system acts on
export const FILE_DIRECTORY_FILE = 0x1;
export const FILE_NON_DIRECTORY_FILE = 0x40;
export const FILE_DELETE_ON_CLOSE = 0x1000;

// IO_STATUS_BLOCK.Information of NtCreateFile
export const FILE_SUPERSEDED = 0;
export const FILE_OPENED = 1;
export const FILE_CREATED = 2;
export const FILE_OVERWRITTEN = 3;
export const FILE_EXISTS = 4;
export const FILE_DOES_NOT_EXIST = 5;

// ShareAccess
export const FILE_SHARE_READ = 1;
export const FILE_SHARE_WRITE = 2;
export const FILE_SHARE_DELETE = 4;

// Access rights for files beyond those in constants.ts
export const FILE_LIST_DIRECTORY = FILE_READ_DATA;
export const FILE_APPEND_DATA = 0x4;
export const FILE_EXECUTE = 0x20;
export const FILE_READ_ATTRIBUTES = 0x80;
export const FILE_WRITE_ATTRIBUTES = 0x100;
export const DELETE = 0x10000;
export const FILE_ALL_ACCESS = 0x1f01ff;
export const FILE_GENERIC_EXECUTE = 0x1200a0;
export const GENERIC_EXECUTE = 0x20000000;
export const GENERIC_ALL = 0x10000000;
export const MAXIMUM_ALLOWED = 0x02000000;

// FileAttributes
export const FILE_ATTRIBUTE_READONLY = 0x1;
export const FILE_ATTRIBUTE_HIDDEN = 0x2;
export const FILE_ATTRIBUTE_SYSTEM = 0x4;
export const FILE_ATTRIBUTE_DIRECTORY = 0x10;
export const FILE_ATTRIBUTE_ARCHIVE = 0x20;
export const FILE_ATTRIBUTE_NORMAL = 0x80;
/** The attributes a caller may set (FILE_ATTRIBUTE_VALID_SET_FLAGS); the others are the file system's. */
const SETTABLE_ATTRIBUTES = 0x31a7;

// Special ByteOffset values of NtReadFile / NtWriteFile (LARGE_INTEGER, read as signed)
export const FILE_WRITE_TO_END_OF_FILE = -1n;
export const FILE_USE_FILE_POINTER_POSITION = -2n;

const MiB = 1024 * 1024;
/** 2024-01-01 00:00 UTC as a FILETIME: the clock when the caller gives none. */
const DEFAULT_TIME = 133485408000000000n;
const CLUSTER = 4096n;
/** A growing file's buffer at most doubles, and over-allocates at most this much beyond what it holds. */
const GROWTH_SLACK = 64 * MiB;
const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------------------------------------------------------
// Names and paths

/**
 * The file system part of an NT path, once the object manager has resolved the drive: `\??\C:\a\b`,
 * `\DosDevices\C:\a`, `\GLOBAL??\C:\a`, `\SystemRoot\a` (C:\Windows\a), `\Device\HarddiskVolume1\a` (C:\a).
 * drive is the upper-case letter and colon ("C:"); parts are the components as given (not validated; a single
 * trailing backslash is dropped). undefined: not a path on a disk volume (`\Device\NamedPipe\x`, `\??\C:x`).
 */
export function fsPath(ntPath: string): { drive: string; parts: string[] } | undefined {
  const v = splitVolume(ntPath);
  if (!v) return undefined;
  let rest = v.rest;
  if (rest.endsWith('\\')) rest = rest.slice(0, -1);
  return { drive: v.drive, parts: rest === '' ? [] : rest.slice(1).split('\\') };
}

const DRIVE_PREFIXES = ['\\??\\', '\\DOSDEVICES\\', '\\GLOBAL??\\'];

/** The drive and the rest of the path after it ("" or starting with a backslash). */
function splitVolume(ntPath: string): { drive: string; rest: string } | undefined {
  const head = (p: string) => ntPath.slice(0, p.length).toUpperCase() === p;
  const atBoundary = (n: number) => ntPath.length === n || ntPath[n] === '\\';
  for (const p of DRIVE_PREFIXES) {
    if (!head(p)) continue;
    const letter = ntPath[p.length] ?? '';
    if (!/^[A-Za-z]$/.test(letter) || ntPath[p.length + 1] !== ':' || !atBoundary(p.length + 2)) return undefined;
    return { drive: letter.toUpperCase() + ':', rest: ntPath.slice(p.length + 2) };
  }
  if (head('\\SYSTEMROOT') && atBoundary(11)) return { drive: 'C:', rest: '\\Windows' + ntPath.slice(11) };
  if (head('\\DEVICE\\HARDDISKVOLUME1') && atBoundary(23)) return { drive: 'C:', rest: ntPath.slice(23) };
  return undefined;
}

const INVALID_NAME_CHARS = /[\x00-\x1f<>:"|?*/\\]/;

/** A name NTFS accepts as one path component: 1..255 UTF-16 units, none of < > : " | ? * / \ or controls, not . or .. */
export function validName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && name !== '.' && name !== '..' && !INVALID_NAME_CHARS.test(name);
}

/**
 * The key names compare by: NTFS upcases each UTF-16 unit through its upcase table, so a character whose
 * upper case is longer (ß -> SS) stays as it is rather than colliding with another name.
 */
export function foldName(name: string): string {
  if (/^[\x20-\x7e]*$/.test(name)) return name.toUpperCase();
  let out = '';
  for (const unit of name.split('')) {
    const up = unit.toUpperCase();
    out += up.length === 1 ? up : unit;
  }
  return out;
}

const DOS_STAR = '<';
const DOS_QM = '>';
const DOS_DOT = '"';

/**
 * FsRtlIsNameInExpression, case-insensitive: `*` any run, `?` one character, and the DOS wildcards kernel32
 * produces: `<` any run that does not pass the name's last dot, `>` one character or nothing at a dot or the end,
 * `"` a dot or nothing at the end. An expression without wildcards is a plain name comparison.
 */
export function nameMatches(expression: string, name: string): boolean {
  const e = foldName(expression);
  const n = foldName(name);
  const lastDot = n.lastIndexOf('.');
  // memo[i * (e.length + 1) + j]: 0 unknown, 1 no match, 2 match of n[i..] against e[j..]
  const memo = new Uint8Array((n.length + 1) * (e.length + 1));
  const match = (i: number, j: number): boolean => {
    const slot = i * (e.length + 1) + j;
    if (memo[slot]) return memo[slot] === 2;
    const r = step(i, j);
    memo[slot] = r ? 2 : 1;
    return r;
  };
  const step = (i: number, j: number): boolean => {
    if (j === e.length) return i === n.length;
    const c = e[j];
    const more = i < n.length;
    switch (c) {
      case '*':
        return match(i, j + 1) || (more && match(i + 1, j));
      case '?':
        return more && match(i + 1, j + 1);
      case DOS_STAR:
        return match(i, j + 1) || (more && i !== lastDot && match(i + 1, j));
      case DOS_QM: {
        if (more && n[i] !== '.') return match(i + 1, j + 1);
        let k = j;
        while (e[k] === DOS_QM) k++;
        return match(i, k);
      }
      case DOS_DOT:
        return more ? n[i] === '.' && match(i + 1, j + 1) : match(i, j + 1);
      default:
        return more && n[i] === c && match(i + 1, j + 1);
    }
  };
  return match(0, 0);
}

/** Generic rights as IoCreateFile maps them for files (the file object type's GENERIC_MAPPING). */
export function mapFileAccess(access: number): number {
  let a = access & 0x00ffffff;
  if (access & GENERIC_READ) a |= FILE_GENERIC_READ;
  if (access & GENERIC_WRITE) a |= FILE_GENERIC_WRITE;
  if (access & GENERIC_EXECUTE) a |= FILE_GENERIC_EXECUTE;
  if (access & (GENERIC_ALL | MAXIMUM_ALLOWED)) a |= FILE_ALL_ACCESS; // no security descriptors: everything is allowed
  return a >>> 0;
}

// ---------------------------------------------------------------------------------------------------------------
// The tree

/** IoCheckShareAccess's SHARE_ACCESS: counts over the opens that asked for read, write or delete access. */
interface ShareAccess {
  openCount: number;
  readers: number;
  writers: number;
  deleters: number;
  sharedRead: number;
  sharedWrite: number;
  sharedDelete: number;
}

interface HostRef {
  /** The host path, with every symlink on the way resolved (and checked to stay in the folder). */
  abs: string;
  /** The path relative to the folder, '/'-separated, as the guest sees it: what readHost gets. */
  rel: string;
}

interface NodeBase {
  name: string;
  parent: DirNode | undefined;
  id: bigint;
  /** Without FILE_ATTRIBUTE_NORMAL, which is only how "no attributes" is reported. */
  attributes: number;
  creationTime: bigint;
  lastAccessTime: bigint;
  lastWriteTime: bigint;
  changeTime: bigint;
  share: ShareAccess;
  /** Open handles (OpenFile objects not closed), whatever their access. */
  opens: number;
  deletePending: boolean;
  host?: HostRef;
  /** Created or changed during the run (for the report). */
  modified: boolean;
}

interface FileNode extends NodeBase {
  kind: 'file';
  /** The content buffer; only the first `size` bytes are the file. */
  data: Uint8Array;
  size: number;
  /** The content is in memory: always, except a host file not opened yet. */
  loaded: boolean;
  /** The host file's size when it was listed (what listings report until it is loaded). */
  hostSize: number;
}

interface DirNode extends NodeBase {
  kind: 'dir';
  children: Map<string, Node>;
  /** Children in name order (keys folded), rebuilt after a change. */
  order?: { keys: string[]; nodes: Node[] };
  /** The host folder behind it has been read (or there is none). */
  listed: boolean;
}

type Node = FileNode | DirNode;

/** Where host entries come from: the folder (real path) and the reader of a file's content. */
interface HostSource {
  root: string;
  read: (ref: HostRef, limit: number) => Uint8Array | number;
}

/** Everything the open files share: the tree, the clock, the memory account, the host. */
class Volume {
  readonly root: DirNode;
  /** Bytes of file content held in memory. */
  used = 0;
  private nextId = 1n;
  private readonly bootTime: bigint;

  constructor(
    readonly now: () => bigint,
    readonly memoryLimit: number,
    readonly hostFileLimit: number,
    readonly host: HostSource | undefined,
  ) {
    this.bootTime = now();
    this.root = this.newDir('', undefined, this.bootTime);
  }

  private base(name: string, parent: DirNode | undefined, attributes: number, time: bigint): NodeBase {
    const share = { openCount: 0, readers: 0, writers: 0, deleters: 0, sharedRead: 0, sharedWrite: 0, sharedDelete: 0 };
    const id = this.nextId++;
    return { name, parent, id, attributes, creationTime: time, lastAccessTime: time, lastWriteTime: time, changeTime: time, share, opens: 0, deletePending: false, modified: false };
  }

  newDir(name: string, parent: DirNode | undefined, time: bigint, attributes = 0): DirNode {
    return { ...this.base(name, parent, attributes | FILE_ATTRIBUTE_DIRECTORY, time), kind: 'dir', children: new Map(), listed: true };
  }

  newFile(name: string, parent: DirNode, time: bigint, attributes: number): FileNode {
    return { ...this.base(name, parent, attributes | FILE_ATTRIBUTE_ARCHIVE, time), kind: 'file', data: EMPTY, size: 0, loaded: true, hostSize: 0 };
  }

  /** The child named `name` (any case), reading the host folder behind `dir` first if not done yet. */
  child(dir: DirNode, name: string): Node | undefined {
    this.listHost(dir);
    return dir.children.get(foldName(name));
  }

  /** Children in NTFS order: by upcased name, compared unit by unit. */
  ordered(dir: DirNode, list = true): { keys: string[]; nodes: Node[] } {
    if (list) this.listHost(dir);
    if (!dir.order) {
      const keys = [...dir.children.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      dir.order = { keys, nodes: keys.map((k) => dir.children.get(k) as Node) };
    }
    return dir.order;
  }

  hasChildren(dir: DirNode): boolean {
    this.listHost(dir);
    return dir.children.size > 0;
  }

  /** Links a new node into `parent`, which counts as a change of the directory. */
  attach(parent: DirNode, node: Node, modified: boolean): void {
    node.modified = modified;
    parent.children.set(foldName(node.name), node);
    parent.order = undefined;
    if (modified) this.touch(parent);
  }

  /** Unlinks a node for good, giving its content's memory back. */
  remove(node: Node): void {
    const parent = node.parent;
    if (!parent) return;
    parent.children.delete(foldName(node.name));
    parent.order = undefined;
    node.parent = undefined;
    this.touch(parent);
    if (node.kind === 'file' && node.loaded) this.used -= node.size;
  }

  /** A write to the node: new write and change times; files get the archive bit, as NTFS sets it. */
  touch(node: Node): void {
    const t = this.now();
    node.lastWriteTime = t;
    node.changeTime = t;
    node.modified = true;
    if (node.kind === 'file') node.attributes |= FILE_ATTRIBUTE_ARCHIVE;
  }

  /** Makes the file `size` bytes long, zero-filled past the old end; STATUS_DISK_FULL beyond the memory cap. */
  resize(file: FileNode, size: number): number {
    const delta = size - file.size;
    if (delta > this.memoryLimit - this.used) return STATUS.DISK_FULL;
    if (size > file.data.length) {
      const grown = new Uint8Array(Math.max(size, Math.min(file.data.length * 2, size + GROWTH_SLACK)));
      grown.set(file.data.subarray(0, file.size));
      file.data = grown;
    } else if (delta > 0) {
      file.data.fill(0, file.size, size); // bytes left from before a truncation
    } else if (size <= file.data.length / 4) {
      file.data = file.data.slice(0, size); // give most of a shrunken buffer back
    }
    this.used += delta;
    file.size = size;
    return STATUS.SUCCESS;
  }

  /** Empties the file (overwrite, supersede) without ever reading the host copy it replaces. */
  truncate(file: FileNode): void {
    if (file.loaded) this.used -= file.size;
    file.data = EMPTY;
    file.size = 0;
    file.loaded = true;
  }

  /** Brings a host file's content into memory, once, on its first open. */
  load(file: FileNode): number {
    if (file.loaded) return STATUS.SUCCESS;
    const limitStatus = this.fits(file.hostSize);
    if (limitStatus !== STATUS.SUCCESS) return limitStatus;
    const data = this.host && file.host ? this.host.read(file.host, this.hostFileLimit) : STATUS.OBJECT_NAME_NOT_FOUND;
    if (typeof data === 'number') return data;
    const status = this.fits(data.length); // the file may have grown since it was listed
    if (status !== STATUS.SUCCESS) return status;
    file.data = data;
    file.size = data.length;
    file.loaded = true;
    this.used += data.length;
    return STATUS.SUCCESS;
  }

  /** Whether a host file of `size` bytes may be loaded: the per-file cap, then room in memory. */
  private fits(size: number): number {
    if (size > this.hostFileLimit) return STATUS.FILE_TOO_LARGE;
    // Not DISK_FULL: the guest is reading, not writing; the emulator lacks the memory to hold the file.
    if (size > this.memoryLimit - this.used) return STATUS.INSUFFICIENT_RESOURCES;
    return STATUS.SUCCESS;
  }

  /**
   * Adds the host folder's entries behind `dir`, once. Names Windows cannot have are skipped, and so is the
   * second of two host names that differ only in case (in code-unit order, so the choice is stable). A host
   * folder whose name matches a built-in directory (Windows) merges into it.
   */
  private listHost(dir: DirNode): void {
    if (dir.listed || !dir.host || !this.host) return;
    dir.listed = true;
    let names: string[];
    try {
      names = fs.readdirSync(dir.host.abs).sort();
    } catch {
      return; // unreadable on the host: empty for the guest
    }
    for (const name of names) {
      if (!validName(name)) continue;
      const entry = hostEntry(this.host.root, nodePath.join(dir.host.abs, name));
      if (!entry) continue;
      const ref = { abs: entry.abs, rel: dir.host.rel === '' ? name : `${dir.host.rel}/${name}` };
      const existing = dir.children.get(foldName(name));
      if (existing) {
        if (existing.kind === 'dir' && entry.kind === 'dir' && !existing.host) {
          existing.host = ref;
          existing.listed = false;
        }
        continue;
      }
      const node = entry.kind === 'dir' ? this.newDir(name, dir, this.bootTime) : this.newFile(name, dir, this.bootTime, 0);
      node.host = ref;
      if (node.kind === 'dir') node.listed = false;
      else {
        node.loaded = false;
        node.hostSize = entry.size;
      }
      this.attach(dir, node, false);
    }
  }
}

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(nodePath.sep) ? root : root + nodePath.sep);
}

/** What a host directory entry is: a regular file or a directory inside the folder; anything else is invisible. */
function hostEntry(root: string, abs: string): { kind: 'file' | 'dir'; abs: string; size: number } | undefined {
  try {
    let st = fs.lstatSync(abs);
    if (st.isSymbolicLink()) {
      const real = fs.realpathSync(abs);
      if (!within(root, real)) return undefined; // the sandbox: a link out of the folder does not exist
      abs = real;
      st = fs.statSync(real);
    }
    if (st.isFile()) return { kind: 'file', abs, size: st.size };
    if (st.isDirectory()) return { kind: 'dir', abs, size: 0 };
  } catch {
    // vanished, a dangling link, no permission: not there
  }
  return undefined; // FIFOs, sockets and devices could block or never end
}

const O_NOFOLLOW = (fs.constants as { O_NOFOLLOW?: number }).O_NOFOLLOW ?? 0;

/** A host file's bytes, or the status to fail the open with. O_NOFOLLOW: a file swapped for a link meanwhile is refused. */
function readHostFile(abs: string, limit: number): Uint8Array | number {
  let fd: number;
  try {
    fd = fs.openSync(abs, fs.constants.O_RDONLY | O_NOFOLLOW);
  } catch (e) {
    return hostErrorStatus(e);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return STATUS.OBJECT_NAME_NOT_FOUND;
    if (st.size > limit) return STATUS.FILE_TOO_LARGE;
    const data = new Uint8Array(st.size);
    let n = 0;
    while (n < data.length) {
      const got = fs.readSync(fd, data, n, data.length - n, n);
      if (got === 0) break;
      n += got;
    }
    return n === data.length ? data : data.slice(0, n);
  } catch (e) {
    return hostErrorStatus(e);
  } finally {
    fs.closeSync(fd);
  }
}

function hostErrorStatus(e: unknown): number {
  const code = (e as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') return STATUS.ACCESS_DENIED;
  if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return STATUS.OBJECT_NAME_NOT_FOUND;
  return STATUS.UNEXPECTED_IO_ERROR;
}

function hostSource(hostDir: string, readHost: MemFsOptions['readHost']): HostSource {
  let root: string;
  try {
    root = fs.realpathSync(hostDir);
  } catch (e) {
    throw new Error(`host folder ${hostDir}: ${(e as Error).message}`);
  }
  if (!fs.statSync(root).isDirectory()) throw new Error(`host folder ${hostDir} is not a directory`);
  if (!readHost) return { root, read: (ref, limit) => readHostFile(ref.abs, limit) };
  return {
    root,
    read: (ref, limit) => {
      const data = readHost(ref.rel);
      if (data === undefined) return STATUS.OBJECT_NAME_NOT_FOUND;
      return data.length > limit ? STATUS.FILE_TOO_LARGE : data.slice(); // a copy: guest writes must not reach the caller's buffer
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Share access (IoCheckShareAccess, IoUpdateShareAccess, IoRemoveShareAccess)

function shareBits(access: number, share: number) {
  return {
    r: access & (FILE_READ_DATA | FILE_EXECUTE) ? 1 : 0,
    w: access & (FILE_WRITE_DATA | FILE_APPEND_DATA) ? 1 : 0,
    d: access & DELETE ? 1 : 0,
    sr: share & FILE_SHARE_READ ? 1 : 0,
    sw: share & FILE_SHARE_WRITE ? 1 : 0,
    sd: share & FILE_SHARE_DELETE ? 1 : 0,
  };
}

/** Opens asking for none of read, write or delete access (attributes only) neither check nor count. */
function shareAllows(s: ShareAccess, access: number, share: number): boolean {
  const b = shareBits(access, share);
  if (!b.r && !b.w && !b.d) return true;
  return !(
    (b.r && s.sharedRead < s.openCount) || (b.w && s.sharedWrite < s.openCount) || (b.d && s.sharedDelete < s.openCount)
    || (s.readers && !b.sr) || (s.writers && !b.sw) || (s.deleters && !b.sd)
  );
}

function updateShare(s: ShareAccess, access: number, share: number, sign: 1 | -1): void {
  const b = shareBits(access, share);
  if (!b.r && !b.w && !b.d) return;
  s.openCount += sign;
  s.readers += sign * b.r;
  s.writers += sign * b.w;
  s.deleters += sign * b.d;
  s.sharedRead += sign * b.sr;
  s.sharedWrite += sign * b.sw;
  s.sharedDelete += sign * b.sd;
}

// ---------------------------------------------------------------------------------------------------------------
// The public API

export interface MemFsOptions {
  /** A host folder shown read-only as C:\ (the CLI's --fs DIR). */
  hostDir?: string;
  /** Reads a host file's content instead of node:fs (relPath: '/'-separated from hostDir); undefined: it is gone. */
  readHost?: (relPath: string) => Uint8Array | undefined;
  /** The clock for file times, as a FILETIME (100 ns units since 1601); a fixed time by default. */
  now?: () => bigint;
  /** The most file content held in memory, host files read included (256 MiB by default). */
  memoryLimit?: number;
  /** The largest host file the guest may open (512 MiB by default); larger: STATUS_FILE_TOO_LARGE. */
  hostFileLimit?: number;
}

export interface OpenOptions {
  /** ACCESS_MASK; generic rights are mapped as for files. */
  desiredAccess: number;
  shareAccess: number;
  disposition: number;
  createOptions?: number;
  fileAttributes?: number;
}

export interface OpenResult {
  status: number;
  /** IO_STATUS_BLOCK.Information: FILE_OPENED, FILE_CREATED ...; FILE_EXISTS / FILE_DOES_NOT_EXIST on those failures. */
  information: number;
  file?: OpenFile;
}

export interface FileBasicInfo {
  creationTime: bigint;
  lastAccessTime: bigint;
  lastWriteTime: bigint;
  changeTime: bigint;
  fileAttributes: number;
}

export interface FileStandardInfo {
  allocationSize: bigint;
  endOfFile: bigint;
  numberOfLinks: number;
  deletePending: boolean;
  directory: boolean;
}

/** One directory entry as NtQueryDirectoryFile reports it (the caller lays out the FILE_*_INFORMATION it was asked for). */
export interface DirEntry extends FileBasicInfo {
  name: string;
  directory: boolean;
  endOfFile: bigint;
  allocationSize: bigint;
  fileId: bigint;
}

export interface ListResult {
  /** SUCCESS (entries may be empty only when `fits` refused the first one), NO_SUCH_FILE, NO_MORE_FILES or an error. */
  status: number;
  entries: DirEntry[];
}

export interface SnapshotEntry {
  /** "C:\dir\file.txt" */
  path: string;
  directory: boolean;
  size: number;
  /** It came from the host folder. */
  host: boolean;
  /** Created or changed during the run. */
  modified: boolean;
}

function sizeOf(node: Node): number {
  if (node.kind === 'dir') return 0;
  return node.loaded ? node.size : node.hostSize;
}

function allocationOf(size: number): bigint {
  return (BigInt(size) + CLUSTER - 1n) & ~(CLUSTER - 1n);
}

function basicOf(node: Node): FileBasicInfo {
  return {
    creationTime: node.creationTime,
    lastAccessTime: node.lastAccessTime,
    lastWriteTime: node.lastWriteTime,
    changeTime: node.changeTime,
    fileAttributes: node.attributes || FILE_ATTRIBUTE_NORMAL,
  };
}

function entryOf(node: Node, name: string): DirEntry {
  const size = sizeOf(node);
  return { name, ...basicOf(node), directory: node.kind === 'dir', endOfFile: BigInt(size), allocationSize: allocationOf(size), fileId: node.id };
}

function pathOf(node: Node): string {
  const names: string[] = [];
  for (let n: Node | undefined = node; n?.parent; n = n.parent) names.push(n.name);
  return '\\' + names.reverse().join('\\');
}

const fail = (status: number, information = 0): OpenResult => ({ status, information });

/** The NT file system of the emulated machine: C:\ with Windows\System32, plus the host folder when given. */
export class MemFs {
  readonly #vol: Volume;

  constructor(options: MemFsOptions = {}) {
    const host = options.hostDir === undefined ? undefined : hostSource(options.hostDir, options.readHost);
    const vol = new Volume(options.now ?? (() => DEFAULT_TIME), options.memoryLimit ?? 256 * MiB, options.hostFileLimit ?? 512 * MiB, host);
    this.#vol = vol;
    // The directories every Windows machine has, made before the host folder is read so that its Windows merges in.
    const t = vol.root.creationTime;
    const windows = vol.newDir('Windows', vol.root, t);
    vol.attach(vol.root, windows, false);
    vol.attach(windows, vol.newDir('System32', windows, t), false);
    if (host) {
      vol.root.host = { abs: host.root, rel: '' };
      vol.root.listed = false;
    }
  }

  /** Bytes of file content held in memory (what memoryLimit caps). */
  get memoryUsed(): number {
    return this.#vol.used;
  }

  /** The most file content the volume holds: its size, as FileFsSizeInformation reports it. */
  get capacity(): number {
    return this.#vol.memoryLimit;
  }

  /** When the volume was made (the root's creation time): FileFsVolumeInformation's VolumeCreationTime. */
  get created(): bigint {
    return this.#vol.root.creationTime;
  }

  /** NtCreateFile on a file system path (see fsPath). */
  open(ntPath: string, options: OpenOptions): OpenResult {
    const where = fsPath(ntPath);
    if (!where) return fail(STATUS.OBJECT_PATH_SYNTAX_BAD);
    if (where.drive !== 'C:') return fail(STATUS.OBJECT_PATH_NOT_FOUND); // no such volume: only C: exists
    const createOptions = options.createOptions ?? 0;
    const bad = checkParameters(options.disposition, createOptions, options.desiredAccess);
    if (bad !== STATUS.SUCCESS) return fail(bad);
    if (!where.parts.every(validName)) return fail(STATUS.OBJECT_NAME_INVALID);

    const vol = this.#vol;
    let dir = vol.root;
    for (const part of where.parts.slice(0, -1)) {
      const next = vol.child(dir, part);
      if (!next || next.kind !== 'dir') return fail(STATUS.OBJECT_PATH_NOT_FOUND);
      dir = next;
    }
    const last = where.parts.at(-1);
    const node = last === undefined ? vol.root : vol.child(dir, last);
    const request = { ...options, createOptions, access: mapFileAccess(options.desiredAccess), trailingSlash: last !== undefined && ntPath.endsWith('\\') };
    if (node) return this.#openExisting(node, request);
    return this.#create(dir, last as string, request);
  }

  #openExisting(node: Node, o: Request): OpenResult {
    const vol = this.#vol;
    const deleteOnClose = (o.createOptions & FILE_DELETE_ON_CLOSE) !== 0;
    const overwrite = o.disposition === FILE_SUPERSEDE || o.disposition === FILE_OVERWRITE || o.disposition === FILE_OVERWRITE_IF;
    if (node.deletePending) return fail(STATUS.DELETE_PENDING);
    if (o.disposition === FILE_CREATE) return fail(STATUS.OBJECT_NAME_COLLISION, FILE_EXISTS);
    if (node.kind === 'dir') {
      if (o.createOptions & FILE_NON_DIRECTORY_FILE) return fail(STATUS.FILE_IS_A_DIRECTORY);
      if (overwrite) return fail(STATUS.OBJECT_NAME_COLLISION, FILE_EXISTS); // a directory cannot be overwritten
      if (deleteOnClose && node === vol.root) return fail(STATUS.CANNOT_DELETE);
      if (deleteOnClose && vol.hasChildren(node)) return fail(STATUS.DIRECTORY_NOT_EMPTY);
    } else {
      if (o.createOptions & FILE_DIRECTORY_FILE) return fail(STATUS.NOT_A_DIRECTORY);
      if (o.trailingSlash) return fail(STATUS.OBJECT_NAME_INVALID); // "file.txt\" names a directory
      if (node.attributes & FILE_ATTRIBUTE_READONLY) {
        if (o.access & (FILE_WRITE_DATA | FILE_APPEND_DATA) || overwrite) return fail(STATUS.ACCESS_DENIED);
        if (deleteOnClose) return fail(STATUS.CANNOT_DELETE);
      }
    }
    if (!shareAllows(node.share, o.access, o.shareAccess)) return fail(STATUS.SHARING_VIOLATION);
    let information = FILE_OPENED;
    if (node.kind === 'file' && overwrite) {
      vol.truncate(node);
      // NtCreateFile's attributes replace the old ones (the archive bit comes with the write).
      node.attributes = (o.fileAttributes ?? 0) & SETTABLE_ATTRIBUTES & ~FILE_ATTRIBUTE_NORMAL;
      vol.touch(node);
      information = o.disposition === FILE_SUPERSEDE ? FILE_SUPERSEDED : FILE_OVERWRITTEN;
    } else if (node.kind === 'file') {
      const status = vol.load(node);
      if (status !== STATUS.SUCCESS) return fail(status);
    }
    return this.#grant(node, o, information);
  }

  #create(dir: DirNode, name: string, o: Request): OpenResult {
    const vol = this.#vol;
    if (o.disposition === FILE_OPEN || o.disposition === FILE_OVERWRITE) return fail(STATUS.OBJECT_NAME_NOT_FOUND, FILE_DOES_NOT_EXIST);
    const isDir = (o.createOptions & FILE_DIRECTORY_FILE) !== 0;
    if (o.trailingSlash && !isDir) return fail(STATUS.OBJECT_NAME_INVALID);
    if (dir.deletePending) return fail(STATUS.DELETE_PENDING);
    const attributes = (o.fileAttributes ?? 0) & SETTABLE_ATTRIBUTES & ~FILE_ATTRIBUTE_NORMAL;
    if (!isDir && attributes & FILE_ATTRIBUTE_READONLY && o.createOptions & FILE_DELETE_ON_CLOSE) return fail(STATUS.CANNOT_DELETE);
    const t = vol.now();
    const node = isDir ? vol.newDir(name, dir, t, attributes & ~FILE_ATTRIBUTE_ARCHIVE) : vol.newFile(name, dir, t, attributes);
    vol.attach(dir, node, true);
    return this.#grant(node, o, FILE_CREATED);
  }

  #grant(node: Node, o: Request, information: number): OpenResult {
    updateShare(node.share, o.access, o.shareAccess, 1);
    node.opens++;
    const file = new OpenFile(this.#vol, node, o.access, o.shareAccess, (o.createOptions & FILE_DELETE_ON_CLOSE) !== 0);
    return { status: STATUS.SUCCESS, information, file };
  }

  /** The tree as far as the run has seen it (host folders not listed yet are left out), depth first in name order. */
  snapshot(): SnapshotEntry[] {
    const out: SnapshotEntry[] = [];
    const walk = (dir: DirNode, prefix: string) => {
      for (const node of this.#vol.ordered(dir, false).nodes) {
        const path = `${prefix}\\${node.name}`;
        out.push({ path, directory: node.kind === 'dir', size: sizeOf(node), host: node.host !== undefined, modified: node.modified });
        if (node.kind === 'dir') walk(node, path);
      }
    };
    walk(this.#vol.root, 'C:');
    return out;
  }
}

interface Request extends OpenOptions {
  createOptions: number;
  /** desiredAccess with generic rights mapped: what the handle is granted. */
  access: number;
  trailingSlash: boolean;
}

/** The parameter checks IoCreateFile makes before the file system sees the request. */
function checkParameters(disposition: number, createOptions: number, desiredAccess: number): number {
  if (!Number.isInteger(disposition) || disposition < FILE_SUPERSEDE || disposition > FILE_OVERWRITE_IF) return STATUS.INVALID_PARAMETER;
  const isDir = (createOptions & FILE_DIRECTORY_FILE) !== 0;
  if (isDir && createOptions & FILE_NON_DIRECTORY_FILE) return STATUS.INVALID_PARAMETER;
  if (isDir && disposition !== FILE_CREATE && disposition !== FILE_OPEN && disposition !== FILE_OPEN_IF) return STATUS.INVALID_PARAMETER;
  // Checked on the access as requested: GENERIC_ALL does not count as DELETE here.
  if (createOptions & FILE_DELETE_ON_CLOSE && !(desiredAccess & DELETE)) return STATUS.INVALID_PARAMETER;
  return STATUS.SUCCESS;
}

/** A directory enumeration in progress on one handle: the pattern and the last entry returned. */
interface Listing {
  pattern: string;
  /** 0: "." next, 1: ".." next, 2: the children after `after`. */
  phase: number;
  after?: string;
  returned: boolean;
  ended: boolean;
}

/** One open handle's file object: its access, its current byte offset, its directory enumeration. */
export class OpenFile {
  readonly #vol: Volume;
  readonly #node: Node;
  readonly #deleteOnClose: boolean;
  #position = 0n;
  #closed = false;
  #listing?: Listing;

  /** Made by MemFs.open. */
  constructor(vol: Volume, node: Node, readonly grantedAccess: number, readonly shareAccess: number, deleteOnClose: boolean) {
    this.#vol = vol;
    this.#node = node;
    this.#deleteOnClose = deleteOnClose;
  }

  get directory(): boolean {
    return this.#node.kind === 'dir';
  }

  /** The name FileNameInformation reports: from the volume root ("\dir\file.txt", "\" for the root). */
  get path(): string {
    return pathOf(this.#node);
  }

  /** The file's id (FileInternalInformation.IndexNumber). */
  get fileId(): bigint {
    return this.#node.id;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** CurrentByteOffset: where reads and writes without a ByteOffset go (FilePositionInformation). */
  get position(): bigint {
    return this.#position;
  }

  set position(offset: bigint) {
    if (offset < 0n) throw new RangeError(`file position ${offset} is negative (FilePositionInformation: STATUS_INVALID_PARAMETER)`);
    this.#position = offset;
  }

  /** NtReadFile: up to `length` bytes at byteOffset (default: the current position), which then moves past them. */
  read(length: number, byteOffset?: bigint): { status: number; data: Uint8Array } {
    const file = this.#dataFile();
    if (typeof file === 'number') return { status: file, data: EMPTY };
    if (!(this.grantedAccess & FILE_READ_DATA)) return { status: STATUS.ACCESS_DENIED, data: EMPTY };
    const offset = this.#offset(byteOffset, false);
    if (offset === undefined || !Number.isInteger(length) || length < 0) return { status: STATUS.INVALID_PARAMETER, data: EMPTY };
    if (length === 0) return { status: STATUS.SUCCESS, data: EMPTY };
    if (offset >= BigInt(file.size)) return { status: STATUS.END_OF_FILE, data: EMPTY };
    const start = Number(offset);
    const end = Math.min(file.size, start + length);
    this.#position = BigInt(end);
    return { status: STATUS.SUCCESS, data: file.data.slice(start, end) };
  }

  /**
   * NtWriteFile at byteOffset (default: the current position; FILE_WRITE_TO_END_OF_FILE: the end), extending the
   * file. A handle with FILE_APPEND_DATA but not FILE_WRITE_DATA always writes at the end. information: bytes written.
   */
  write(data: Uint8Array, byteOffset?: bigint): { status: number; information: number } {
    const file = this.#dataFile();
    if (typeof file === 'number') return { status: file, information: 0 };
    const canWrite = (this.grantedAccess & FILE_WRITE_DATA) !== 0;
    if (!canWrite && !(this.grantedAccess & FILE_APPEND_DATA)) return { status: STATUS.ACCESS_DENIED, information: 0 };
    const offset = canWrite ? this.#offset(byteOffset, true) : BigInt(file.size);
    if (offset === undefined) return { status: STATUS.INVALID_PARAMETER, information: 0 };
    if (data.length === 0) return { status: STATUS.SUCCESS, information: 0 };
    const end = offset + BigInt(data.length);
    if (end > BigInt(file.size)) {
      if (end - BigInt(file.size) > BigInt(this.#vol.memoryLimit - this.#vol.used)) return { status: STATUS.DISK_FULL, information: 0 };
      const status = this.#vol.resize(file, Number(end));
      if (status !== STATUS.SUCCESS) return { status, information: 0 };
    }
    file.data.set(data, Number(offset));
    this.#vol.touch(file);
    this.#position = end;
    return { status: STATUS.SUCCESS, information: data.length };
  }

  /** FileStandardInformation. */
  queryStandard(): FileStandardInfo {
    const size = sizeOf(this.#node);
    return { allocationSize: allocationOf(size), endOfFile: BigInt(size), numberOfLinks: 1, deletePending: this.#node.deletePending, directory: this.directory };
  }

  /** FileBasicInformation (the I/O manager's FILE_READ_ATTRIBUTES check is the caller's). */
  queryBasic(): FileBasicInfo {
    return basicOf(this.#node);
  }

  /**
   * FileBasicInformation set: a time of 0 (or -1) leaves it as it is; attributes 0 leave them, FILE_ATTRIBUTE_NORMAL
   * clears them. Needs FILE_WRITE_ATTRIBUTES.
   */
  setBasic(info: Partial<FileBasicInfo>): number {
    if (this.#closed) return STATUS.FILE_CLOSED;
    if (!(this.grantedAccess & FILE_WRITE_ATTRIBUTES)) return STATUS.ACCESS_DENIED;
    const times = [info.creationTime, info.lastAccessTime, info.lastWriteTime, info.changeTime];
    if (times.some((t) => t !== undefined && t < -1n)) return STATUS.INVALID_PARAMETER;
    const node = this.#node;
    const given = (t: bigint | undefined): t is bigint => t !== undefined && t > 0n;
    if (info.fileAttributes) {
      const kept = node.attributes & ~SETTABLE_ATTRIBUTES;
      node.attributes = kept | (info.fileAttributes & SETTABLE_ATTRIBUTES & ~FILE_ATTRIBUTE_NORMAL);
    }
    node.changeTime = this.#vol.now();
    if (given(info.creationTime)) node.creationTime = info.creationTime;
    if (given(info.lastAccessTime)) node.lastAccessTime = info.lastAccessTime;
    if (given(info.lastWriteTime)) node.lastWriteTime = info.lastWriteTime;
    if (given(info.changeTime)) node.changeTime = info.changeTime;
    node.modified = true;
    return STATUS.SUCCESS;
  }

  /** FileEndOfFileInformation: truncates or zero-extends. Needs FILE_WRITE_DATA. */
  setEndOfFile(size: bigint): number {
    if (this.#closed) return STATUS.FILE_CLOSED;
    const file = this.#node;
    if (file.kind === 'dir' || size < 0n) return STATUS.INVALID_PARAMETER;
    if (!(this.grantedAccess & FILE_WRITE_DATA)) return STATUS.ACCESS_DENIED;
    if (size - BigInt(file.size) > BigInt(this.#vol.memoryLimit - this.#vol.used)) return STATUS.DISK_FULL;
    const status = this.#vol.resize(file, Number(size));
    if (status === STATUS.SUCCESS) this.#vol.touch(file);
    return status;
  }

  /**
   * FileDispositionInformation: marks the file or (empty) directory to be deleted when its last handle closes;
   * false takes that back (not this handle's FILE_DELETE_ON_CLOSE, as on Windows). Needs DELETE access.
   */
  setDisposition(deleteFile: boolean): number {
    if (this.#closed) return STATUS.FILE_CLOSED;
    if (!(this.grantedAccess & DELETE)) return STATUS.ACCESS_DENIED;
    const node = this.#node;
    if (!deleteFile) {
      node.deletePending = false;
      return STATUS.SUCCESS;
    }
    if (node === this.#vol.root) return STATUS.CANNOT_DELETE;
    if (node.kind === 'file' && node.attributes & FILE_ATTRIBUTE_READONLY) return STATUS.CANNOT_DELETE;
    if (node.kind === 'dir' && this.#vol.hasChildren(node)) return STATUS.DIRECTORY_NOT_EMPTY;
    node.deletePending = true;
    return STATUS.SUCCESS;
  }

  /**
   * NtQueryDirectoryFile: the next entries matching the pattern, in name order ("." and ".." first, except in
   * the root). The pattern of the first call sticks; restart goes back to the start (and takes a new pattern if
   * one is given). `fits(entry, taken)` says whether one more entry goes into this batch (the caller's buffer);
   * an entry refused is the first of the next call. Without it every remaining entry comes at once.
   * At the end: STATUS_NO_SUCH_FILE if nothing matched since the start, then STATUS_NO_MORE_FILES.
   */
  listDirectory(restart: boolean, pattern?: string, fits?: (entry: DirEntry, taken: number) => boolean): ListResult {
    if (this.#closed) return { status: STATUS.FILE_CLOSED, entries: [] };
    if (this.#node.kind !== 'dir') return { status: STATUS.INVALID_PARAMETER, entries: [] };
    if (!(this.grantedAccess & FILE_LIST_DIRECTORY)) return { status: STATUS.ACCESS_DENIED, entries: [] };
    if (pattern?.includes('\\')) return { status: STATUS.OBJECT_NAME_INVALID, entries: [] };
    if (!this.#listing || restart) {
      const kept = pattern || this.#listing?.pattern || '*';
      this.#listing = { pattern: kept, phase: this.#node === this.#vol.root ? 2 : 0, returned: false, ended: false };
    }
    const l = this.#listing;
    const entries: DirEntry[] = [];
    for (let next = this.#next(this.#node, l); next; next = this.#next(this.#node, l)) {
      if (nameMatches(l.pattern, next.entry.name)) {
        if (fits && !fits(next.entry, entries.length)) return { status: STATUS.SUCCESS, entries };
        entries.push(next.entry);
        l.returned = true;
      }
      next.advance();
    }
    if (entries.length > 0) return { status: STATUS.SUCCESS, entries };
    const status = l.returned || l.ended ? STATUS.NO_MORE_FILES : STATUS.NO_SUCH_FILE;
    l.ended = true;
    return { status, entries };
  }

  /** The entry after the cursor, found by name (so entries added or removed meanwhile are seen or skipped as NTFS would). */
  #next(dir: DirNode, l: Listing): { entry: DirEntry; advance: () => void } | undefined {
    if (l.phase === 0) return { entry: entryOf(dir, '.'), advance: () => (l.phase = 1) };
    if (l.phase === 1) return { entry: entryOf(dir.parent ?? dir, '..'), advance: () => (l.phase = 2) };
    const { keys, nodes } = this.#vol.ordered(dir);
    let i = 0;
    if (l.after !== undefined) {
      // First key greater than the last returned one (binary search).
      let hi = keys.length;
      while (i < hi) {
        const mid = (i + hi) >>> 1;
        if (keys[mid] <= l.after) i = mid + 1;
        else hi = mid;
      }
    }
    if (i >= nodes.length) return undefined;
    const key = keys[i];
    return { entry: entryOf(nodes[i], nodes[i].name), advance: () => (l.after = key) };
  }

  /**
   * The handle goes (IRP_MJ_CLEANUP and CLOSE at once): its share access is released; FILE_DELETE_ON_CLOSE marks
   * the file delete-pending, and a delete-pending file goes with its last handle (a directory only if still empty).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const node = this.#node;
    updateShare(node.share, this.grantedAccess, this.shareAccess, -1);
    node.opens--;
    if (this.#deleteOnClose) node.deletePending = true;
    if (node.opens > 0 || !node.deletePending) return;
    if (node.kind === 'dir' && this.#vol.hasChildren(node)) node.deletePending = false;
    else this.#vol.remove(node);
  }

  /** The file node for a data operation, or the status refusing it. */
  #dataFile(): FileNode | number {
    if (this.#closed) return STATUS.FILE_CLOSED;
    // Reading or writing a directory handle is ERROR_INVALID_FUNCTION on Windows.
    if (this.#node.kind === 'dir') return STATUS.INVALID_DEVICE_REQUEST;
    return this.#node;
  }

  /** The byte offset a request means: the current position when none (or FILE_USE_FILE_POINTER_POSITION) is given. */
  #offset(byteOffset: bigint | undefined, forWrite: boolean): bigint | undefined {
    if (byteOffset === undefined) return this.#position;
    const signed = BigInt.asIntN(64, byteOffset);
    if (signed === FILE_USE_FILE_POINTER_POSITION) return this.#position;
    if (forWrite && signed === FILE_WRITE_TO_END_OF_FILE) return BigInt((this.#node as FileNode).size);
    return signed < 0n ? undefined : signed;
  }
}
