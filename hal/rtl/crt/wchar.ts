// wchar.h's string routines as ntoskrnl exports them: the wcs* twins of string.h's str* (same code, 16-bit units).

import { defineExport, type AnyExport } from '../../export.js';
import { MAX, crt, fillGuest, len, put, str } from './common.js';
import { stringExports } from './string.js';

export const exports: AnyExport[] = [
  defineExport({
    ...crt,
    name: 'wcslen',
    proto: 'size_t wcslen(const wchar_t *str)',
    params: { str: 'pwstr' },
    ret: 'usize',
    impl: (k, a) => BigInt(len(k, a.str, 2)),
  }),
  defineExport({
    ...crt,
    name: 'wcscpy',
    proto: 'wchar_t *wcscpy(wchar_t *dest, const wchar_t *src)',
    params: { dest: 'ptr', src: 'pwstr' },
    ret: 'ptr',
    impl: (k, a) => {
      put(k, a.dest, 2, [...str(k, a.src, 2), 0]);
      return a.dest;
    },
  }),
  defineExport({
    ...crt,
    name: 'wcsncpy',
    proto: 'wchar_t *wcsncpy(wchar_t *dest, const wchar_t *src, size_t count)',
    params: { dest: 'ptr', src: 'pwstr', count: 'usize' },
    ret: 'ptr',
    impl: (k, a) => {
      const s = str(k, a.src, 2, a.count > BigInt(MAX) ? MAX : Number(a.count));
      // As strncpy: the string, then NUL padding written in place up to count characters.
      put(k, a.dest, 2, s);
      fillGuest(k, a.dest + BigInt(s.length * 2), (a.count - BigInt(s.length)) * 2n);
      return a.dest;
    },
  }),
  ...stringExports(2, {
    cat: ['wcscat'], ncat: ['wcsncat'], cmp: ['wcscmp'], ncmp: ['wcsncmp'], icmp: ['_wcsicmp'], nicmp: ['_wcsnicmp'], chr: ['wcschr'], rchr: ['wcsrchr'],
    str: ['wcsstr'], spn: ['wcsspn'], cspn: ['wcscspn'], nlen: ['wcsnlen'], lwr: ['_wcslwr', 'wcslwr'], upr: ['_wcsupr'], rev: ['_wcsrev'], nset: ['_wcsnset'],
    cpy_s: ['wcscpy_s'], cat_s: ['wcscat_s'], ncpy_s: ['wcsncpy_s'], ncat_s: ['wcsncat_s'], set_s: ['_wcsset_s'], nset_s: ['_wcsnset_s'],
  }),
];
