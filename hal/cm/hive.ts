// The configuration manager's registry: an in-memory tree of keys and values under \REGISTRY.
//
// It starts as the keys a fresh Windows 10 installation has that drivers read (cm/defaults.ts), plus a service key
// for every loaded driver, then takes the --registry files' edits. Nothing reaches the host: the tree lives and dies
// with the run. Names compare case-insensitively and keep the case they were created with; subkeys enumerate in
// the hive's order (sorted by upcased name), values in the order they were set. A symbolic-link key (REG_LINK value
// SymbolicLinkValue, e.g. CurrentControlSet) is followed by every open unless OBJ_OPENLINK asks for the link itself.

import { upcase } from '../rtl/unicode.js';

export const REG_NONE = 0;
export const REG_SZ = 1;
export const REG_EXPAND_SZ = 2;
export const REG_BINARY = 3;
export const REG_DWORD = 4;
export const REG_DWORD_BIG_ENDIAN = 5;
export const REG_LINK = 6;
export const REG_MULTI_SZ = 7;
export const REG_QWORD = 11;

/** Longest key name component and value name, in characters (Windows' limits). */
export const MAX_KEY_NAME = 255;
export const MAX_VALUE_NAME = 16383;
/** How many symbolic links one open may follow before STATUS_NAME_TOO_LONG-style failure (Windows: 16 reparses). */
const MAX_LINKS = 16;

export interface RegValue {
  name: string;
  type: number;
  data: Uint8Array;
}

export class RegKey {
  readonly subkeys = new Map<string, RegKey>();
  readonly values = new Map<string, RegValue>();
  deleted = false;
  /** REG_OPTION_VOLATILE: lives only until the next boot (every key of this registry does, but the flag is kept). */
  volatile = false;
  /** Created with REG_OPTION_CREATE_LINK. */
  link = false;
  className = '';

  constructor(
    public name: string,
    public parent: RegKey | null,
    public lastWrite: bigint,
  ) {}

  /** The full name: \REGISTRY\MACHINE\SYSTEM\ControlSet001\Services\x. */
  get path(): string {
    return this.parent ? `${this.parent.path}\\${this.name}` : `\\${this.name}`;
  }

  /** Subkeys in the hive's order: by upcased name. */
  sortedSubkeys(): RegKey[] {
    return [...this.subkeys.values()].sort((a, b) => compareNames(a.name, b.name));
  }

  value(name: string): RegValue | undefined {
    return this.values.get(fold(name));
  }
}

/** The case-insensitive form of a registry name (Windows' upcase table). */
export function fold(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) out += String.fromCharCode(upcase(name.charCodeAt(i)));
  return out;
}

function compareNames(a: string, b: string): number {
  const x = fold(a);
  const y = fold(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The time stamp a key gets when it changes: FILETIME from the run's virtual clock. */
export type Clock = () => bigint;

export class Registry {
  readonly root: RegKey;

  constructor(readonly now: Clock) {
    this.root = new RegKey('REGISTRY', null, now());
  }

  /** Splits an absolute name (\REGISTRY\MACHINE\X) or a relative one into components; empty components are bad syntax. */
  static components(path: string): string[] | null {
    if (path === '') return [];
    const parts = path.split('\\');
    // A trailing backslash is tolerated (\REGISTRY\MACHINE\), as the object manager does for keys.
    if (parts[parts.length - 1] === '') parts.pop();
    if (parts.some((p) => p === '')) return null;
    return parts;
  }

  /**
   * Follows `parts` from `from` (the root for absolute names), resolving link keys except, when `openLink`, the
   * last one. Returns the key, or how far it got: `missing` is the index of the first component not found.
   */
  walk(from: RegKey, parts: readonly string[], openLink = false): { key: RegKey } | { parent: RegKey; missing: number; rest: string[] } | { tooManyLinks: true } {
    let key = from;
    let links = 0;
    const queue = [...parts];
    let index = 0;
    while (queue.length > 0) {
      const name = queue.shift()!;
      const next = key.subkeys.get(fold(name));
      if (!next || next.deleted) return { parent: key, missing: index, rest: [name, ...queue] };
      index++;
      if (next.link && (queue.length > 0 || !openLink)) {
        const target = next.value('SymbolicLinkValue');
        if (target && target.type === REG_LINK) {
          if (++links > MAX_LINKS) return { tooManyLinks: true };
          const tparts = Registry.components(utf16(target.data).replace(/^\\/, ''));
          if (!tparts || tparts.length === 0 || fold(tparts[0]) !== 'REGISTRY') return { parent: key, missing: index - 1, rest: [name, ...queue] };
          queue.unshift(...tparts.slice(1));
          key = this.root;
          continue;
        }
      }
      key = next;
    }
    return { key };
  }

  /** The key at an absolute path (no leading \REGISTRY needed in `path` when it starts with it), if it exists. */
  find(path: string): RegKey | undefined {
    const parts = Registry.components(path.replace(/^\\/, ''));
    if (!parts || parts.length === 0 || fold(parts[0]) !== 'REGISTRY') return undefined;
    const r = this.walk(this.root, parts.slice(1));
    return 'key' in r ? r.key : undefined;
  }

  /** Creates every missing key along an absolute path (the installation's and --registry's keys). */
  ensure(path: string): RegKey {
    const parts = Registry.components(path.replace(/^\\/, ''));
    if (!parts || parts.length === 0 || fold(parts[0]) !== 'REGISTRY') throw new Error(`not a registry path: ${path}`);
    let key = this.root;
    for (const name of parts.slice(1)) {
      const r = this.walk(key, [name]);
      key = 'key' in r ? r.key : this.createSubkey(key, name);
    }
    return key;
  }

  createSubkey(parent: RegKey, name: string): RegKey {
    const key = new RegKey(name, parent, this.now());
    parent.subkeys.set(fold(name), key);
    parent.lastWrite = key.lastWrite;
    return key;
  }

  setValue(key: RegKey, name: string, type: number, data: Uint8Array): void {
    const existing = key.value(name);
    // A value set again keeps its place and the case of its first name.
    if (existing) {
      existing.type = type;
      existing.data = data;
    } else key.values.set(fold(name), { name, type, data: data.slice() });
    key.lastWrite = this.now();
  }

  deleteValue(key: RegKey, name: string): boolean {
    const had = key.values.delete(fold(name));
    if (had) key.lastWrite = this.now();
    return had;
  }

  /** Deletes a key without subkeys (the caller checked); its handles see STATUS_KEY_DELETED from then on. */
  deleteKey(key: RegKey): void {
    key.deleted = true;
    if (key.parent) {
      key.parent.subkeys.delete(fold(key.name));
      key.parent.lastWrite = this.now();
    }
  }

  /** A link key (CurrentControlSet → ControlSet001). */
  makeLink(path: string, target: string): void {
    const key = this.ensure(path);
    key.link = true;
    this.setValue(key, 'SymbolicLinkValue', REG_LINK, utf16Bytes(target, false));
  }
}

// ---- value data ------------------------------------------------------------------------------------------------

export function utf16(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < data.length; i += 2) s += String.fromCharCode(data[i] | (data[i + 1] << 8));
  return s;
}

/** UTF-16LE bytes of a string, with its terminator when `terminate` (REG_SZ data includes it). */
export function utf16Bytes(text: string, terminate = true): Uint8Array {
  const n = text.length + (terminate ? 1 : 0);
  const out = new Uint8Array(n * 2);
  for (let i = 0; i < text.length; i++) {
    out[2 * i] = text.charCodeAt(i) & 0xff;
    out[2 * i + 1] = text.charCodeAt(i) >> 8;
  }
  return out;
}

export function dword(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

export function qword(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}

/** REG_MULTI_SZ data: each string terminated, then an empty one. */
export function multiSz(items: readonly string[]): Uint8Array {
  return utf16Bytes(items.map((s) => s + '\0').join(''), true);
}

/** Readable form of a value's data, for the trace. */
export function describeData(type: number, data: Uint8Array): string {
  switch (type) {
    case REG_SZ:
    case REG_EXPAND_SZ:
    case REG_LINK:
      return JSON.stringify(utf16(data).replace(/\0+$/, ''));
    case REG_MULTI_SZ:
      return JSON.stringify(utf16(data).replace(/\0+$/, '').split('\0'));
    case REG_DWORD:
      return data.length === 4 ? `0x${new DataView(data.buffer, data.byteOffset).getUint32(0, true).toString(16)}` : hexBytes(data);
    case REG_QWORD:
      return data.length === 8 ? `0x${new DataView(data.buffer, data.byteOffset).getBigUint64(0, true).toString(16)}` : hexBytes(data);
    default:
      return hexBytes(data);
  }
}

function hexBytes(data: Uint8Array): string {
  const shown = data.subarray(0, 64);
  return Buffer.from(shown).toString('hex') + (data.length > shown.length ? `… (${data.length} bytes)` : '');
}

export const TYPE_NAMES: Record<number, string> = {
  0: 'REG_NONE', 1: 'REG_SZ', 2: 'REG_EXPAND_SZ', 3: 'REG_BINARY', 4: 'REG_DWORD', 5: 'REG_DWORD_BIG_ENDIAN', 6: 'REG_LINK',
  7: 'REG_MULTI_SZ', 8: 'REG_RESOURCE_LIST', 9: 'REG_FULL_RESOURCE_DESCRIPTOR', 10: 'REG_RESOURCE_REQUIREMENTS_LIST', 11: 'REG_QWORD',
};
