// The C runtime that ntoskrnl exports to drivers, one module per C header (hal/rtl/crt/), and the x86 compiler
// helpers for 64-bit arithmetic.

import type { AnyExport } from '../export.js';
import { exports as ctype } from './crt/ctype.js';
import { exports as llmath } from './crt/llmath.js';
import { exports as stdio } from './crt/stdio.js';
import { exports as stdlib } from './crt/stdlib.js';
import { exports as string } from './crt/string.js';
import { exports as wchar } from './crt/wchar.js';

export const exports: AnyExport[] = [...string, ...wchar, ...ctype, ...stdlib, ...stdio, ...llmath];
