#!/usr/bin/env node
// Generator for the NTSTATUS / Win32 error tables used by hal/rtl/ntstatus.ts.
//
// Rerun (from the repository root) after editing ntstatus-dos-map.txt or updating the headers:
//   node hal/rtl/gen-ntstatus.mjs [INCLUDE_DIR...]
// Each INCLUDE_DIR must hold ntstatus.h and winerror.h; a name defined in several is taken from
// the first. Default: /usr/share/mingw-w64/include (Debian package mingw-w64-common), then
// /usr/include/wine/wine/windows (Debian package libwine-dev). mingw-w64 10 lacks
// many codes (e.g. ERROR_REPARSE, ERROR_NO_SUCH_DEVICE) that the mapping needs, so the Wine
// headers are required too; without installing Wine's libraries they can be unpacked with
//   apt-get download libwine-dev && dpkg -x libwine-dev_*.deb "$WINE_DIR"   (any scratch folder)
//   node hal/rtl/gen-ntstatus.mjs /usr/share/mingw-w64/include "$WINE_DIR"/usr/include/wine/wine/windows
// Writes, next to this script:
//   ntstatus-names.generated.ts  every NTSTATUS name/value
//   win32-errors.generated.ts    Win32 error codes (ERROR_*, WSA*, RPC_S_*, ...)
//   dos-error-map.generated.ts   ntstatus-dos-map.txt resolved to numbers (RtlNtStatusToDosError)
// The generated files are committed so that builds and tests never need these packages.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_DIRS = ['/usr/share/mingw-w64/include', '/usr/include/wine/wine/windows'];
const includeDirs = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_DIRS;

const hex8 = (v) => '0x' + (v >>> 0).toString(16).toUpperCase().padStart(8, '0');
const fail = (msg) => {
  console.error(`gen-ntstatus: ${msg}`);
  process.exit(1);
};
// Mapping tokens naming codes the headers do not define (newer than the headers) are skipped
// with a warning; such statuses then map to ERROR_MR_MID_NOT_FOUND until newer headers are used.
const problems = [];

for (const d of includeDirs) {
  // Without the Wine headers a third of the mapping would silently vanish: refuse instead.
  if (!existsSync(join(d, 'ntstatus.h')) || !existsSync(join(d, 'winerror.h')))
    fail(`${d} lacks ntstatus.h / winerror.h (see the header of this script for how to get them)`);
}

// --- ntstatus.h: only ((NTSTATUS)0x...) definitions are statuses (FACILITY_*/SEVERITY_* are not).
function parseNtStatus(text) {
  const defs = [];
  const seen = new Set();
  const re = /^#define\s+(\w+)\s+\(\(NTSTATUS\)\s*(0x[0-9A-Fa-f]+)L?\)/gm;
  for (const m of text.matchAll(re)) {
    if (m[1].startsWith('STATUS_SEVERITY_')) continue; // Wine spells the severity constants as NTSTATUS
    if (seen.has(m[1])) continue; // keep the first definition of a name
    seen.add(m[1]);
    defs.push([m[1], Number(m[2]) >>> 0]);
  }
  return defs;
}

// --- winerror.h: numbers in several spellings; returns name -> unsigned 32-bit value.
function parseWinError(text) {
  const values = new Map();
  const num = (s) => {
    const t = s.replace(/[Ll]$/, '');
    return /^0x/i.test(t) ? Number(t) : /^\d+$/.test(t) ? Number(t) : NaN;
  };
  const re = /^#define\s+(\w+)\s+(.+?)\s*$/gm;
  for (const m of text.matchAll(re)) {
    const [, name, raw] = m;
    let v = NaN;
    let mm;
    if ((mm = /^__MSABI_LONG\(\s*(\w+)\s*\)$/.exec(raw))) v = num(mm[1]);
    else if ((mm = /^_HRESULT_TYPEDEF_\(\s*(\w+)\s*\)$/.exec(raw))) v = num(mm[1]);
    else if ((mm = /^\(\(HRESULT\)\s*(\w+)\)$/.exec(raw))) v = num(mm[1]);
    else if ((mm = /^\((\w+)\s*\+\s*(\w+)\)$/.exec(raw)) && values.has(mm[1])) v = values.get(mm[1]) + num(mm[2]);
    else if (/^\w+$/.test(raw)) v = num(raw);
    if (Number.isFinite(v) && !values.has(name)) values.set(name, v >>> 0);
  }
  return values;
}

// Merge the headers: concatenating keeps "first definition wins" across directories.
const ntText = includeDirs.map((d) => readFileSync(join(d, 'ntstatus.h'), 'utf8')).join('\n');
const weText = includeDirs.map((d) => readFileSync(join(d, 'winerror.h'), 'utf8')).join('\n');
const ntDefs = parseNtStatus(ntText);
const ntByName = new Map(ntDefs);
const ntNamesByValue = new Map();
for (const [name, value] of ntDefs) {
  if (!ntNamesByValue.has(value)) ntNamesByValue.set(value, []);
  ntNamesByValue.get(value).push(name);
}
const weValues = parseWinError(weText);

// Win32 error codes proper: small non-negative numbers with an error-ish prefix.
const WIN32_PREFIX = /^(ERROR_|NO_ERROR$|WSA|RPC_S_|RPC_X_|EPT_S_|APPMODEL_ERROR_)/;
const win32 = [...weValues].filter(([name, v]) => WIN32_PREFIX.test(name) && v < 0x10000);
if (ntDefs.length < 1000) fail(`only ${ntDefs.length} NTSTATUS definitions parsed`);
if (win32.length < 1500) fail(`only ${win32.length} Win32 error definitions parsed`);

// --- the mapping facts
function resolveToken(token, status) {
  if (token.startsWith('$')) return Number(token.slice(1));
  if (token.startsWith(':')) {
    const sym = token.slice(1);
    if (ntByName.has(sym)) return ntByName.get(sym);
    if (weValues.has(sym)) return weValues.get(sym);
    problems.push(`${hex8(status)}: unknown symbol ${sym}`);
    return undefined;
  }
  if (token === '=') {
    const names = ntNamesByValue.get(status) ?? [];
    for (const n of names) {
      const candidate = 'ERROR_' + n.replace(/^STATUS_/, '');
      if (weValues.has(candidate)) return weValues.get(candidate);
    }
    problems.push(`${hex8(status)} (${names.join('/') || 'no name in ntstatus.h'}): '=' has no same-named ERROR_ code`);
    return undefined;
  }
  const sym = 'ERROR_' + token;
  if (!weValues.has(sym)) {
    problems.push(`${hex8(status)}: unknown Win32 error ${sym}`);
    return undefined;
  }
  return weValues.get(sym);
}

const mapText = readFileSync(join(here, 'ntstatus-dos-map.txt'), 'utf8');
const map = new Map();
let cursor = -1;
for (const [i, rawLine] of mapText.split('\n').entries()) {
  const line = rawLine.trim();
  if (!line || line.startsWith('#')) continue;
  if (line.startsWith('@')) {
    const next = Number('0x' + line.slice(1)) >>> 0;
    if (next <= cursor) fail(`line ${i + 1}: cursor moves backwards`);
    cursor = next;
    continue;
  }
  if (cursor < 0) fail(`line ${i + 1}: entry before the first @status`);
  const m = /^(\S+?)(?:\*(\d+))?$/.exec(line);
  if (!m) fail(`line ${i + 1}: cannot parse '${line}'`);
  const count = m[2] ? Number(m[2]) : 1;
  for (let k = 0; k < count; k++) {
    const value = m[1] === '-' ? undefined : resolveToken(m[1], cursor);
    if (value !== undefined) map.set(cursor, value);
    cursor = (cursor + 1) >>> 0;
  }
}

if (problems.length) {
  console.warn(`gen-ntstatus: ${problems.length} mappings skipped (codes unknown to the headers):`);
  for (const p of problems) console.warn(`  ${p}`);
}

const winNameByValue = new Map();
for (const [name, v] of win32) {
  const prev = winNameByValue.get(v);
  // Prefer ERROR_* names, then the first one defined (ERROR_SUCCESS over NO_ERROR).
  if (!prev || (!prev.startsWith('ERROR_') && name.startsWith('ERROR_'))) winNameByValue.set(v, name);
}
const hrNameByValue = new Map();
for (const [name, v] of weValues) if (!hrNameByValue.has(v)) hrNameByValue.set(v, name);

const banner = (what) =>
  `// ${what}\n// GENERATED by hal/rtl/gen-ntstatus.mjs from ntstatus.h / winerror.h (mingw-w64, then Wine)` +
  ` and hal/rtl/ntstatus-dos-map.txt. Do not edit; rerun the generator.\n`;

// ntstatus-names.generated.ts
{
  const statusLines = [];
  const otherLines = [];
  for (const [name, value] of ntDefs) {
    if (name.startsWith('STATUS_')) statusLines.push(`  ${name.slice(7)}: ${hex8(value)},`);
    else otherLines.push(`  ${name}: ${hex8(value)},`);
  }
  const out =
    banner('NTSTATUS names and values (unsigned 32-bit), in ntstatus.h order.') +
    `\n/** STATUS_* codes keyed without the STATUS_ prefix. */\n` +
    `export const STATUS_CODES = {\n${statusLines.join('\n')}\n} as const;\n` +
    `\n/** NTSTATUS codes that do not start with STATUS_ (DBG_*, RPC_NT_*, EPT_NT_*, ...), full names. */\n` +
    `export const OTHER_NTSTATUS_CODES = {\n${otherLines.join('\n')}\n} as const;\n`;
  writeFileSync(join(here, 'ntstatus-names.generated.ts'), out);
}

// win32-errors.generated.ts
{
  const lines = win32.map(([name, v]) => `  ${name}: ${v},`);
  const out =
    banner('Win32 error codes (GetLastError values), in winerror.h order.') +
    `\nexport const WIN32_ERRORS = {\n${lines.join('\n')}\n} as const;\n`;
  writeFileSync(join(here, 'win32-errors.generated.ts'), out);
}

// dos-error-map.generated.ts
{
  const entries = [...map].sort((a, b) => a[0] - b[0]);
  const lines = entries.map(([s, e]) => {
    const sName = (ntNamesByValue.get(s) ?? ['?'])[0];
    const eName = e < 0x10000 ? winNameByValue.get(e) ?? String(e) : ntNamesByValue.get(e)?.[0] ?? hrNameByValue.get(e) ?? hex8(e);
    return `  ${hex8(s)}, ${e < 0x10000 ? e : hex8(e)}, // ${sName} -> ${eName}`;
  });
  const out =
    banner('RtlNtStatusToDosError table: flat [status, win32Error] pairs sorted by status.') +
    `// Statuses not listed map to ERROR_MR_MID_NOT_FOUND (see rtlNtStatusToDosError).\n` +
    `\nexport const DOS_ERROR_MAP: readonly number[] = [\n${lines.join('\n')}\n];\n`;
  writeFileSync(join(here, 'dos-error-map.generated.ts'), out);
}

console.log(
  `gen-ntstatus: ${ntDefs.length} NTSTATUS names, ${win32.length} Win32 errors, ${map.size} status->error mappings` +
    ` (${problems.length} skipped)`,
);
