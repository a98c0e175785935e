#!/usr/bin/env node
// Regenerates WDFFUNCENUM in samples/include/kmdf/wdf.h from the framework's table (hal/wdf/table.ts, the
// authority on entry order) and checks that each inline wrapper's version guard matches its entry's index (a
// wrapper for an entry at index i exists only when WDF_FUNCTION_COUNT > i, for i past KMDF 1.0's 383 entries).
// `--check` reports differences without writing and exits non-zero if there are any.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const headerPath = path.join(root, 'samples/include/kmdf/wdf.h');
const table = readFileSync(path.join(root, 'hal/wdf/table.ts'), 'utf8');
const names = /const NAMES = `([\s\S]*?)`/.exec(table)[1].trim().split(/\s+/);
const index = new Map(names.map((n, i) => [`Wdf${n}`, i]));

const enumText = ['typedef enum _WDFFUNCENUM {', ...names.map((n, i) => `    Wdf${n}TableIndex = ${i},`),
  `    WdfFunctionTableNumEntries = ${names.length}`, '} WDFFUNCENUM;'].join('\n');

const header = readFileSync(headerPath, 'utf8');
const problems = [];
const updated = header.replace(/typedef enum _WDFFUNCENUM \{[\s\S]*?\} WDFFUNCENUM;/, enumText);
if (updated !== header) problems.push('WDFFUNCENUM differs from hal/wdf/table.ts');

// Each wrapper: an optional "#if WDF_FUNCTION_COUNT > N" line, then its PFN typedef naming the table index.
const lines = updated.split('\n');
lines.forEach((line, i) => {
  const m = /WdfFunctions\[(Wdf\w+)TableIndex\]/.exec(line);
  if (!m) return;
  const at = index.get(m[1]);
  if (at === undefined) return problems.push(`${m[1]}: not in the table`);
  const guard = /^#if WDF_FUNCTION_COUNT > (\d+)$/.exec(lines[i - 3] ?? '');
  if (at >= 383 && Number(guard?.[1]) !== at) problems.push(`${m[1]}: needs #if WDF_FUNCTION_COUNT > ${at}`);
  if (at < 383 && guard) problems.push(`${m[1]}: has a guard but every version has it`);
});

for (const p of problems) console.log(p);
if (process.argv.includes('--check')) process.exit(problems.length ? 1 : 0);
if (updated !== header) writeFileSync(headerPath, updated);
