// Regedit's export format (.reg), read into edits of the emulated registry (--registry FILE.reg).
//
// "Windows Registry Editor Version 5.00" (UTF-16LE with a BOM, or UTF-8) and "REGEDIT4" files: [KEY] creates a key,
// [-KEY] deletes it with its subkeys, "name"=... or @=... sets a value, "name"=- deletes one. Values: "string",
// dword:XXXXXXXX, hex:..., hex(N):... (N the type in hex: 2 REG_EXPAND_SZ, 7 REG_MULTI_SZ, b REG_QWORD ...), with
// lines continued by a trailing backslash. A malformed line is an error naming the file and line.

import { REG_BINARY, REG_DWORD, REG_SZ, dword, utf16Bytes } from './hive.js';

export type RegEdit =
  | { op: 'key'; path: string }
  | { op: 'delete-key'; path: string }
  | { op: 'value'; path: string; name: string; type: number; data: Uint8Array }
  | { op: 'delete-value'; path: string; name: string };

export class RegFileError extends Error {}

/** Root key names regedit writes, and where they are in the kernel's namespace. */
const ROOTS: Record<string, string> = {
  HKEY_LOCAL_MACHINE: '\\REGISTRY\\MACHINE',
  HKLM: '\\REGISTRY\\MACHINE',
  HKEY_USERS: '\\REGISTRY\\USER',
  HKU: '\\REGISTRY\\USER',
  // The interactive user of this machine is the one .DEFAULT stands for (there is no logged-on user's hive).
  HKEY_CURRENT_USER: '\\REGISTRY\\USER\\.DEFAULT',
  HKCU: '\\REGISTRY\\USER\\.DEFAULT',
  HKEY_CLASSES_ROOT: '\\REGISTRY\\MACHINE\\SOFTWARE\\Classes',
  HKCR: '\\REGISTRY\\MACHINE\\SOFTWARE\\Classes',
  HKEY_CURRENT_CONFIG: '\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Hardware Profiles\\Current',
  HKCC: '\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Hardware Profiles\\Current',
};

/** Decodes a .reg file's bytes: UTF-16LE with BOM (regedit 5.00's own), UTF-8 with or without BOM. */
export function decodeRegFile(bytes: Uint8Array): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) throw new RegFileError('UTF-16 big-endian .reg files are not what regedit writes');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A registry path of the kernel's namespace for a key line's name (HKEY_LOCAL_MACHINE\X or \REGISTRY\MACHINE\X). */
function keyPath(name: string, line: number): string {
  if (/^\\registry(\\|$)/i.test(name)) return name.replace(/\\+$/, '');
  const i = name.indexOf('\\');
  const root = (i < 0 ? name : name.slice(0, i)).toUpperCase();
  const base = ROOTS[root];
  if (!base) throw new RegFileError(`line ${line}: [${name}] does not start with a root key (HKEY_LOCAL_MACHINE, HKEY_USERS, HKEY_CURRENT_USER, HKEY_CLASSES_ROOT, HKEY_CURRENT_CONFIG)`);
  const rest = i < 0 ? '' : name.slice(i + 1).replace(/\\+$/, '');
  if (rest.split('\\').some((p) => p === '') && rest !== '') throw new RegFileError(`line ${line}: [${name}] has an empty key name`);
  if (rest.split('\\').some((p) => p.length > 255)) throw new RegFileError(`line ${line}: a key name in [${name}] is longer than 255 characters`);
  return rest ? `${base}\\${rest}` : base;
}

/** Reads a quoted string starting at s[i] === '"'; returns the text and the index after the closing quote. */
function quoted(s: string, i: number, line: number): { text: string; end: number } {
  let text = '';
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') {
      const n = s[j + 1];
      if (n === undefined) break;
      text += n === 'n' ? '\n' : n === 'r' ? '\r' : n === '0' ? '\0' : n; // regedit escapes only \\ and \"
      j++;
    } else if (c === '"') return { text, end: j + 1 };
    else text += c;
  }
  throw new RegFileError(`line ${line}: unterminated string`);
}

function hexList(text: string, line: number): Uint8Array {
  const t = text.replace(/\s+/g, '');
  if (t === '') return new Uint8Array(0);
  const parts = t.split(',');
  if (parts[parts.length - 1] === '') parts.pop();
  const out = new Uint8Array(parts.length);
  parts.forEach((p, i) => {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) throw new RegFileError(`line ${line}: '${p}' is not a hex byte`);
    out[i] = parseInt(p, 16);
  });
  return out;
}

function valueData(text: string, line: number): { type: number; data: Uint8Array } | 'delete' {
  const t = text.trim();
  if (t === '-') return 'delete';
  if (t.startsWith('"')) {
    const q = quoted(t, 0, line);
    if (t.slice(q.end).trim() !== '') throw new RegFileError(`line ${line}: text after the string value`);
    return { type: REG_SZ, data: utf16Bytes(q.text) };
  }
  const dw = /^dword:([0-9a-fA-F]{1,8})$/i.exec(t);
  if (dw) return { type: REG_DWORD, data: dword(parseInt(dw[1], 16)) };
  const hx = /^hex(?:\(([0-9a-fA-F]{1,8})\))?:(.*)$/is.exec(t);
  if (hx) return { type: hx[1] === undefined ? REG_BINARY : parseInt(hx[1], 16), data: hexList(hx[2], line) };
  throw new RegFileError(`line ${line}: '${t.length > 40 ? t.slice(0, 40) + '…' : t}' is not a .reg value ("string", dword:, hex:, hex(N):, or -)`);
}

/** Parses a .reg file into registry edits, in file order. */
export function parseRegFile(text: string): RegEdit[] {
  const raw = text.split(/\r\n|\n|\r/);
  let first = 0;
  while (first < raw.length && raw[first].trim() === '') first++;
  const header = (raw[first] ?? '').trim();
  if (header !== 'Windows Registry Editor Version 5.00' && header !== 'REGEDIT4') {
    throw new RegFileError(`line ${first + 1}: a .reg file starts with "Windows Registry Editor Version 5.00" or "REGEDIT4"`);
  }
  const edits: RegEdit[] = [];
  let key: string | null = null;
  for (let i = first + 1; i < raw.length; i++) {
    const lineNo = i + 1;
    let line = raw[i];
    // Continuation lines (hex lists regedit wraps at 80 columns).
    // Only a hex list can end a line with a backslash (a string value ends with its quote, a key line with ]).
    while (!/^\s*\[/.test(line) && /\\\s*$/.test(line) && i + 1 < raw.length) {
      line = line.replace(/\\\s*$/, '') + raw[++i].trim();
    }
    const t = line.trim();
    if (t === '' || t.startsWith(';')) continue;
    if (t.startsWith('[')) {
      if (!t.endsWith(']')) throw new RegFileError(`line ${lineNo}: a key line ends with ]`);
      const inner = t.slice(1, -1);
      if (inner.startsWith('-')) {
        edits.push({ op: 'delete-key', path: keyPath(inner.slice(1), lineNo) });
        key = null;
      } else {
        key = keyPath(inner, lineNo);
        edits.push({ op: 'key', path: key });
      }
      continue;
    }
    if (key === null) throw new RegFileError(`line ${lineNo}: a value outside any [key]`);
    let name: string;
    let rest: string;
    if (t.startsWith('@')) {
      name = '';
      rest = t.slice(1);
    } else if (t.startsWith('"')) {
      const q = quoted(t, 0, lineNo);
      name = q.text;
      rest = t.slice(q.end);
    } else throw new RegFileError(`line ${lineNo}: expected "name"=value, @=value or [key]`);
    rest = rest.trimStart();
    if (!rest.startsWith('=')) throw new RegFileError(`line ${lineNo}: expected = after the value name`);
    if (name.length > 16383) throw new RegFileError(`line ${lineNo}: a value name is longer than 16383 characters`);
    const v = valueData(rest.slice(1), lineNo);
    edits.push(v === 'delete' ? { op: 'delete-value', path: key, name } : { op: 'value', path: key, name, type: v.type, data: v.data });
  }
  return edits;
}
