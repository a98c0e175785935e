// string.h as ntoskrnl exports it: mem*, str*, and the secure (_s) copies and sets. The str* routines are written once for
// both character widths; wchar.ts declares the wcs* ones from the same code.

import { defineExport, type AnyExport, type ParamKind } from '../../export.js';
import type { Kernel } from '../../kernel.js';
import { EINVAL, ERANGE, MAX, STRUNCATE, chars, copyGuest, crt, fillGuest, cType, invalid, len, put, putc, str, truncateCount, type Unit } from './common.js';
import { lowerA, towlower, towupper, upperA } from './ctype.js';

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Case folding for the case-insensitive routines: ASCII for char, towlower for wchar_t. */
const fold = (u: Unit) => (u === 1 ? lowerA : towlower);

/** Compares at most n characters, reading no further than the first difference; the difference of the (folded) characters. */
function compare(k: Kernel, p: bigint, q: bigint, u: Unit, n: number, f?: (c: number) => number): number {
  const a = chars(k, p, u, n);
  const b = chars(k, q, u, n);
  for (let i = 0; i < n; i++) {
    const x0 = a.next().value ?? 0;
    const y0 = b.next().value ?? 0;
    const x = f ? f(x0) : x0;
    const y = f ? f(y0) : y0;
    if (x !== y) return x - y;
    if (x === 0) return 0;
  }
  return 0;
}

/** The length of the prefix of s made of characters in set (strspn) or not in it (wcscspn). */
function span(s: number[], set: number[], inSet: boolean): number {
  const members = new Set(set);
  let i = 0;
  while (i < s.length && members.has(s[i]) === inSet) i++;
  return i;
}

/**
 * The copy loop of the secure routines, as the CRT runs it: copies src (at most limit characters when limit is not
 * null) and a terminator into dest from index `at`, while there is room in its size characters. The characters are
 * written as they are copied, so a copy that does not fit leaves what fitted. Returns the room left (0: it did not
 * fit). A copy stopped by the limit gets its terminator after the last character.
 */
function secureCopy(k: Kernel, u: Unit, dest: bigint, at: number, size: number, src: bigint, limit: number | null): number {
  let available = size - at;
  let count = limit ?? Infinity;
  const text = str(k, src, u, Math.min(count, available));
  const out: number[] = [];
  while (count > 0) {
    const c = out.length < text.length ? text[out.length] : 0;
    out.push(c);
    if (c === 0 || --available === 0) break;
    count--;
  }
  if (count === 0) out.push(0);
  put(k, dest, u, out, at);
  return available;
}

/** The str* / wcs* routines for one character width, under the names Windows exports for it. */
export function stringExports(u: Unit, names: Readonly<Record<string, readonly string[]>>): AnyExport[] {
  const T = cType(u);
  const ps = u === 1 ? 'pstr' : 'pwstr';
  const w = (fn: string) => names[fn] ?? [];
  const n = (v: bigint) => (v > BigInt(MAX) ? MAX : Number(v));
  const out: AnyExport[] = [];
  const add = (fn: string, make: (name: string) => AnyExport) => out.push(...w(fn).map(make));

  add('cat', (name) =>
    defineExport({
      ...crt, name, proto: `${T} *${name}(${T} *strDestination, const ${T} *strSource)`, params: { strDestination: 'ptr', strSource: ps }, ret: 'ptr',
      impl: (k, a) => {
        put(k, a.strDestination, u, [...str(k, a.strSource, u), 0], len(k, a.strDestination, u));
        return a.strDestination;
      },
    }),
  );
  add('ncat', (name) =>
    defineExport({
      ...crt, name, proto: `${T} *${name}(${T} *strDest, const ${T} *strSource, size_t count)`, params: { strDest: 'ptr', strSource: ps, count: 'usize' }, ret: 'ptr',
      // At most count characters, then always a terminator.
      impl: (k, a) => {
        put(k, a.strDest, u, [...str(k, a.strSource, u, n(a.count)), 0], len(k, a.strDest, u));
        return a.strDest;
      },
    }),
  );
  add('cmp', (name) =>
    defineExport({
      ...crt, name, proto: `int ${name}(const ${T} *string1, const ${T} *string2)`, params: { string1: ps, string2: ps }, ret: 'i32',
      impl: (k, a) => sign(compare(k, a.string1, a.string2, u, MAX)),
    }),
  );
  add('ncmp', (name) =>
    defineExport({
      ...crt, name, proto: `int ${name}(const ${T} *string1, const ${T} *string2, size_t count)`, params: { string1: ps, string2: ps, count: 'usize' }, ret: 'i32',
      impl: (k, a) => compare(k, a.string1, a.string2, u, n(a.count)),
    }),
  );
  add('icmp', (name) =>
    defineExport({
      ...crt, name, proto: `int ${name}(const ${T} *string1, const ${T} *string2)`, params: { string1: ps, string2: ps }, ret: 'i32',
      impl: (k, a) => compare(k, a.string1, a.string2, u, MAX, fold(u)),
    }),
  );
  add('nicmp', (name) =>
    defineExport({
      ...crt, name, proto: `int ${name}(const ${T} *string1, const ${T} *string2, size_t count)`, params: { string1: ps, string2: ps, count: 'usize' }, ret: 'i32',
      impl: (k, a) => compare(k, a.string1, a.string2, u, n(a.count), fold(u)),
    }),
  );
  for (const last of [false, true]) {
    add(last ? 'rchr' : 'chr', (name) =>
      defineExport({
        ...crt, name, proto: `${T} *${name}(const ${T} *str, ${u === 1 ? 'int' : 'wchar_t'} c)`, params: { str: ps, c: u === 1 ? 'i32' : 'u16' }, ret: 'ptr',
        impl: (k, a) => {
          const c = u === 1 ? a.c & 0xff : a.c;
          // The terminator is part of the string: searching for 0 finds it. strchr reads no further than a match.
          let i = 0;
          let found = -1;
          for (const x of chars(k, a.str, u)) {
            if (x === c) {
              found = i;
              if (!last) break;
            }
            i++;
          }
          if (c === 0) found = i;
          return found < 0 ? 0n : a.str + BigInt(found * u);
        },
      }),
    );
  }
  add('str', (name) =>
    defineExport({
      ...crt, name, proto: `${T} *${name}(const ${T} *str, const ${T} *strSearch)`, params: { str: ps, strSearch: ps }, ret: 'ptr',
      impl: (k, a) => {
        const s = str(k, a.str, u);
        const t = str(k, a.strSearch, u);
        for (let i = 0; i + t.length <= s.length; i++) {
          let j = 0;
          while (j < t.length && s[i + j] === t[j]) j++;
          if (j === t.length) return a.str + BigInt(i * u);
        }
        return 0n;
      },
    }),
  );
  add('spn', (name) =>
    defineExport({
      ...crt, name, proto: `size_t ${name}(const ${T} *str, const ${T} *strCharSet)`, params: { str: ps, strCharSet: ps }, ret: 'usize',
      impl: (k, a) => BigInt(span(str(k, a.str, u), str(k, a.strCharSet, u), true)),
    }),
  );
  add('cspn', (name) =>
    defineExport({
      ...crt, name, proto: `size_t ${name}(const ${T} *str, const ${T} *strCharSet)`, params: { str: ps, strCharSet: ps }, ret: 'usize',
      impl: (k, a) => BigInt(span(str(k, a.str, u), str(k, a.strCharSet, u), false)),
    }),
  );
  add('nlen', (name) =>
    defineExport({
      ...crt, name, proto: `size_t ${name}(const ${T} *str, size_t numberOfElements)`, params: { str: ps, numberOfElements: 'usize' }, ret: 'usize',
      // Reads no further than numberOfElements characters.
      impl: (k, a) => BigInt(len(k, a.str, u, n(a.numberOfElements))),
    }),
  );
  for (const [fn, map] of [['lwr', u === 1 ? lowerA : towlower], ['upr', u === 1 ? upperA : towupper]] as const) {
    add(fn, (name) =>
      defineExport({
        ...crt, name, proto: `${T} *${name}(${T} *str)`, params: { str: 'ptr' }, ret: 'ptr',
        impl: (k, a) => {
          put(k, a.str, u, str(k, a.str, u).map(map));
          return a.str;
        },
      }),
    );
  }
  add('rev', (name) =>
    defineExport({
      ...crt, name, proto: `${T} *${name}(${T} *str)`, params: { str: 'ptr' }, ret: 'ptr',
      impl: (k, a) => {
        put(k, a.str, u, str(k, a.str, u).reverse());
        return a.str;
      },
    }),
  );
  add('set', (name) =>
    defineExport({
      ...crt, name, proto: `${T} *${name}(${T} *str, int c)`, params: { str: 'ptr', c: 'i32' }, ret: 'ptr',
      impl: (k, a) => {
        put(k, a.str, u, new Array<number>(len(k, a.str, u)).fill(a.c));
        return a.str;
      },
    }),
  );
  add('nset', (name) =>
    defineExport({
      ...crt, name, proto: `${T} *${name}(${T} *str, ${u === 1 ? 'int' : 'wchar_t'} c, size_t count)`, params: { str: 'ptr', c: u === 1 ? 'i32' : 'u16', count: 'usize' }, ret: 'ptr',
      // The first count characters, or fewer when the string is shorter.
      impl: (k, a) => {
        put(k, a.str, u, new Array<number>(len(k, a.str, u, n(a.count))).fill(a.c));
        return a.str;
      },
    }),
  );

  for (const counted of [false, true]) {
    add(counted ? 'nset_s' : 'set_s', (name) =>
      defineExport({
        ...crt, name, proto: `errno_t ${name}(${T} *str, size_t numberOfElements, ${u === 1 ? 'int' : 'wchar_t'} c${counted ? ', size_t count' : ''})`,
        params: { str: 'ptr', numberOfElements: 'usize', c: u === 1 ? 'i32' : 'u16', ...(counted ? { count: 'usize' } : {}) } as Record<string, ParamKind>, ret: 'i32',
        impl: (k, a) => {
          const p = a.str as bigint;
          const size = a.numberOfElements as bigint;
          const count = counted ? (a.count as bigint) : BigInt(MAX);
          if (counted && count === 0n && p === 0n && size === 0n) return 0;
          if (p === 0n || size === 0n) return invalid(k, name, EINVAL, 'NULL string or zero size');
          // Sets characters (at most count) while the string goes on and there is room; the string must end within
          // numberOfElements characters, or it is emptied (EINVAL).
          let available = n(size);
          let left = count;
          let i = 0;
          const it = chars(k, p, u, available);
          let c = it.next();
          while (!c.done && left > 0n && --available > 0) {
            putc(k, p, u, i++, a.c as number);
            left--;
            c = it.next();
          }
          if (left === 0n) {
            while (!c.done && --available > 0) c = it.next();
          }
          if (available === 0) {
            putc(k, p, u, 0, 0);
            return invalid(k, name, EINVAL, 'the string is not terminated within its size');
          }
          return 0;
        },
      }),
    );
  }

  // The secure copies. Their failures: EINVAL for a NULL or unterminated string, ERANGE when the result does not
  // fit; both empty the destination (dest[0] = 0) once it is known to be valid.
  add('cpy_s', (name) =>
    defineExport({
      ...crt, name, proto: `errno_t ${name}(${T} *dest, rsize_t dest_size, const ${T} *src)`, params: { dest: 'ptr', dest_size: 'usize', src: ps }, ret: 'i32',
      impl: (k, a) => {
        if (a.dest === 0n || a.dest_size === 0n) return invalid(k, name, EINVAL, 'NULL destination or zero size');
        if (a.src === 0n) {
          putc(k, a.dest, u, 0, 0);
          return invalid(k, name, EINVAL, 'NULL source');
        }
        const size = n(a.dest_size);
        if (secureCopy(k, u, a.dest, 0, size, a.src, null) === 0) {
          putc(k, a.dest, u, 0, 0);
          return invalid(k, name, ERANGE, 'the destination is too small');
        }
        return 0;
      },
    }),
  );
  add('cat_s', (name) =>
    defineExport({
      ...crt, name, proto: `errno_t ${name}(${T} *dest, rsize_t dest_size, const ${T} *src)`, params: { dest: 'ptr', dest_size: 'usize', src: ps }, ret: 'i32',
      impl: (k, a) => {
        if (a.dest === 0n || a.dest_size === 0n) return invalid(k, name, EINVAL, 'NULL destination or zero size');
        if (a.src === 0n) {
          putc(k, a.dest, u, 0, 0);
          return invalid(k, name, EINVAL, 'NULL source');
        }
        const size = n(a.dest_size);
        const at = len(k, a.dest, u, size);
        if (at === size) {
          putc(k, a.dest, u, 0, 0);
          return invalid(k, name, EINVAL, 'the destination is not terminated within its size');
        }
        if (secureCopy(k, u, a.dest, at, size, a.src, null) === 0) {
          putc(k, a.dest, u, 0, 0);
          return invalid(k, name, ERANGE, 'the destination is too small');
        }
        return 0;
      },
    }),
  );
  for (const cat of [false, true]) {
    add(cat ? 'ncat_s' : 'ncpy_s', (name) =>
      defineExport({
        ...crt, name, proto: `errno_t ${name}(${T} *dest, rsize_t dest_size, const ${T} *src, rsize_t count)`, params: { dest: 'ptr', dest_size: 'usize', src: ps, count: 'usize' }, ret: 'i32',
        impl: (k, a) => {
          if (a.count === 0n && a.dest === 0n && a.dest_size === 0n) return 0;
          if (a.dest === 0n || a.dest_size === 0n) return invalid(k, name, EINVAL, 'NULL destination or zero size');
          const size = n(a.dest_size);
          if (!cat && a.count === 0n) {
            putc(k, a.dest, u, 0, 0);
            return 0;
          }
          if (a.src === 0n && (!cat || a.count !== 0n)) {
            putc(k, a.dest, u, 0, 0);
            return invalid(k, name, EINVAL, 'NULL source');
          }
          const at = cat ? len(k, a.dest, u, size) : 0;
          if (at === size) {
            putc(k, a.dest, u, 0, 0);
            return invalid(k, name, EINVAL, 'the destination is not terminated within its size');
          }
          const truncate = a.count === truncateCount(k);
          if (secureCopy(k, u, a.dest, at, size, a.src, truncate ? null : n(a.count)) === 0) {
            if (truncate) {
              putc(k, a.dest, u, size - 1, 0);
              return STRUNCATE;
            }
            putc(k, a.dest, u, 0, 0);
            return invalid(k, name, ERANGE, 'the destination is too small');
          }
          return 0;
        },
      }),
    );
  }
  return out;
}

export const exports: AnyExport[] = [
  defineExport({
    ...crt,
    name: 'memset',
    proto: 'void *memset(void *dest, int c, size_t count)',
    params: { dest: 'ptr', c: 'i32', count: 'usize' },
    ret: 'ptr',
    impl: (k, a) => {
      fillGuest(k, a.dest, a.count, a.c);
      return a.dest;
    },
  }),
  // ntoskrnl's memcpy is the same routine as memmove: overlapping copies behave.
  ...(['memcpy', 'memmove'] as const).map((name) =>
    defineExport({
      ...crt,
      name,
      proto: `void *${name}(void *dest, const void *src, size_t count)`,
      params: { dest: 'ptr', src: 'ptr', count: 'usize' },
      ret: 'ptr',
      impl: (k, a) => {
        copyGuest(k, a.dest, a.src, a.count);
        return a.dest;
      },
    }),
  ),
  defineExport({
    ...crt,
    name: 'memcmp',
    proto: 'int memcmp(const void *buf1, const void *buf2, size_t count)',
    params: { buf1: 'ptr', buf2: 'ptr', count: 'usize' },
    ret: 'i32',
    impl: (k, a) => {
      // Page by page: the comparison stops at the first difference and reads nothing past it.
      let off = 0n;
      while (off < a.count) {
        const left = a.count - off;
        const n = Math.min(Number(left > 0x1000n ? 0x1000n : left), 0x1000 - Number((a.buf1 + off) & 0xfffn), 0x1000 - Number((a.buf2 + off) & 0xfffn));
        const x = k.m.read(a.buf1 + off, n);
        const y = k.m.read(a.buf2 + off, n);
        for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
        off += BigInt(n);
      }
      return 0;
    },
  }),
  defineExport({
    ...crt,
    name: 'memchr',
    proto: 'void *memchr(const void *buf, int c, size_t count)',
    params: { buf: 'ptr', c: 'i32', count: 'usize' },
    ret: 'ptr',
    impl: (k, a) => {
      // Page by page: the search stops at the first match and reads nothing past it.
      const c = a.c & 0xff;
      let p = a.buf;
      let left = a.count;
      while (left > 0n) {
        const n = Math.min(Number(left), 0x1000 - Number(p & 0xfffn));
        const i = k.m.read(p, n).indexOf(c);
        if (i >= 0) return p + BigInt(i);
        p += BigInt(n);
        left -= BigInt(n);
      }
      return 0n;
    },
  }),
  defineExport({
    ...crt,
    name: 'memcpy_s',
    proto: 'errno_t memcpy_s(void *dest, rsize_t destSize, const void *src, rsize_t count)',
    params: { dest: 'ptr', destSize: 'usize', src: 'ptr', count: 'usize' },
    ret: 'i32',
    impl: (k, a) => {
      if (a.count === 0n) return 0;
      if (a.dest === 0n) return invalid(k, 'memcpy_s', EINVAL, 'NULL destination');
      if (a.src === 0n || a.destSize < a.count) {
        // The destination is zeroed before either error is reported.
        fillGuest(k, a.dest, a.destSize);
        return a.src === 0n ? invalid(k, 'memcpy_s', EINVAL, 'NULL source') : invalid(k, 'memcpy_s', ERANGE, 'the destination is too small');
      }
      copyGuest(k, a.dest, a.src, a.count);
      return 0;
    },
  }),
  defineExport({
    ...crt,
    name: 'memmove_s',
    proto: 'errno_t memmove_s(void *dest, rsize_t numberOfElements, const void *src, rsize_t count)',
    params: { dest: 'ptr', numberOfElements: 'usize', src: 'ptr', count: 'usize' },
    ret: 'i32',
    impl: (k, a) => {
      if (a.count === 0n) return 0;
      if (a.dest === 0n) return invalid(k, 'memmove_s', EINVAL, 'NULL destination');
      if (a.src === 0n) return invalid(k, 'memmove_s', EINVAL, 'NULL source');
      // Unlike memcpy_s, the destination is left as it was.
      if (a.numberOfElements < a.count) return invalid(k, 'memmove_s', ERANGE, 'the destination is too small');
      copyGuest(k, a.dest, a.src, a.count);
      return 0;
    },
  }),
  defineExport({
    ...crt,
    name: 'strlen',
    proto: 'size_t strlen(const char *str)',
    params: { str: 'pstr' },
    ret: 'usize',
    impl: (k, a) => BigInt(len(k, a.str, 1)),
  }),
  defineExport({
    ...crt,
    name: 'strcpy',
    proto: 'char *strcpy(char *dest, const char *src)',
    params: { dest: 'ptr', src: 'pstr' },
    ret: 'ptr',
    impl: (k, a) => {
      put(k, a.dest, 1, [...str(k, a.src, 1), 0]);
      return a.dest;
    },
  }),
  defineExport({
    ...crt,
    name: 'strncpy',
    proto: 'char *strncpy(char *dest, const char *src, size_t count)',
    params: { dest: 'ptr', src: 'pstr', count: 'usize' },
    ret: 'ptr',
    impl: (k, a) => {
      const s = k.m.cstring(a.src, a.count > BigInt(MAX) ? MAX : Number(a.count));
      // Padded with NULs up to count (no terminator when src fills it); the padding is written in place, so a count
      // larger than the destination faults where the destination ends, as the real routine does.
      k.m.write(a.dest, s);
      fillGuest(k, a.dest + BigInt(s.length), a.count - BigInt(s.length));
      return a.dest;
    },
  }),
  defineExport({
    ...crt,
    name: 'strtok_s',
    proto: 'char *strtok_s(char *strToken, const char *strDelimit, char **context)',
    params: { strToken: 'ptr', strDelimit: 'pstr', context: 'ptr' },
    ret: 'ptr',
    impl: (k, a) => {
      if (a.context === 0n || a.strDelimit === 0n) return (invalid(k, 'strtok_s', EINVAL, 'NULL context or delimiters', 'NULL'), 0n);
      let p = a.strToken === 0n ? k.m.ptr(a.context) : a.strToken;
      if (p === 0n) return (invalid(k, 'strtok_s', EINVAL, 'no string and no saved context', 'NULL'), 0n);
      const delims = new Set(str(k, a.strDelimit, 1));
      const s = str(k, p, 1);
      let i = 0;
      while (i < s.length && delims.has(s[i])) i++;
      const start = i;
      while (i < s.length && !delims.has(s[i])) i++;
      // The token ends at a delimiter (overwritten with NUL; the context resumes after it) or at the string's end.
      let next = p + BigInt(i);
      if (i < s.length) {
        k.m.setU8(next, 0);
        next += 1n;
      }
      k.m.setPtr(a.context, next);
      p += BigInt(start);
      return start === s.length ? 0n : p;
    },
  }),
  ...stringExports(1, {
    cat: ['strcat'], ncat: ['strncat'], cmp: ['strcmp'], ncmp: ['strncmp'], icmp: ['_stricmp'], nicmp: ['_strnicmp'], chr: ['strchr'], rchr: ['strrchr'],
    str: ['strstr'], spn: ['strspn'], nlen: ['strnlen'], lwr: ['_strlwr', 'strlwr'], upr: ['_strupr'], rev: ['_strrev'], set: ['_strset'], nset: ['_strnset'],
    cpy_s: ['strcpy_s'], cat_s: ['strcat_s'], ncpy_s: ['strncpy_s'], ncat_s: ['strncat_s'], set_s: ['_strset_s'], nset_s: ['_strnset_s'],
  }),
];
