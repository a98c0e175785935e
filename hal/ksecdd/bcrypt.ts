// Kernel-mode CNG, as ksecdd.sys exports it: hash and HMAC providers (MD5, SHA-1, SHA-256, SHA-384, SHA-512) whose
// digests are computed for real, and a random-number generator.
//
// Algorithm and hash handles are pool blocks the caller owns until it closes or destroys them; the digest state
// stays on the host, keyed by the handle (a hash object the caller passes in is accepted and checked for size, and
// kdemu keeps nothing in it). Windows 10's pseudo-handles (BCRYPT_SHA256_ALG_HANDLE ...) work too. The generator is
// deterministic, as everything on this machine: SHA-256 in counter mode over a fixed seed, so a run draws the same
// bytes every time on every engine.

import { createHash, createHmac } from 'node:crypto';
import { defineExport } from '../export.js';
import type { Kernel } from '../kernel.js';
import { STATUS } from '../rtl/ntstatus.js';
import { tagOf } from '../io/device.js';

const BCRYPT_ALG_HANDLE_HMAC_FLAG = 0x8;
const BCRYPT_HASH_REUSABLE_FLAG = 0x20;
const BCRYPT_USE_SYSTEM_PREFERRED_RNG = 0x2;

interface Algorithm {
  /** CNG's name (BCRYPT_SHA256_ALGORITHM ...) and node's. */
  name: string;
  node: string | null;
  digest: number;
  block: number;
  /** The size CNG asks callers to allocate for a hash object (ObjectLength). */
  objectLength: number;
}

const ALGORITHMS: Algorithm[] = [
  { name: 'MD5', node: 'md5', digest: 16, block: 64, objectLength: 0x114 },
  { name: 'SHA1', node: 'sha1', digest: 20, block: 64, objectLength: 0x11e },
  { name: 'SHA256', node: 'sha256', digest: 32, block: 64, objectLength: 0x13e },
  { name: 'SHA384', node: 'sha384', digest: 48, block: 128, objectLength: 0x1de },
  { name: 'SHA512', node: 'sha512', digest: 64, block: 128, objectLength: 0x1de },
  { name: 'RNG', node: null, digest: 0, block: 0, objectLength: 0 },
];

/** Windows 10's pseudo-handles: algorithm and whether it is the HMAC form. */
const PSEUDO: Record<number, [string, boolean]> = {
  0x21: ['MD5', false], 0x31: ['SHA1', false], 0x41: ['SHA256', false], 0x51: ['SHA384', false], 0x61: ['SHA512', false],
  0x81: ['RNG', false], 0x91: ['MD5', true], 0xa1: ['SHA1', true], 0xb1: ['SHA256', true], 0xc1: ['SHA384', true], 0xd1: ['SHA512', true],
};

interface Provider {
  alg: Algorithm;
  hmac: boolean;
  reusable: boolean;
}

interface HashState {
  provider: Provider;
  secret: Uint8Array;
  /** What was hashed so far (digested at the finish, so a duplicate of an HMAC is a copy of the list). */
  data: Uint8Array[];
  /** Allocated by kdemu (no hash object given): freed with the handle. */
  owned: boolean;
  /** Finished and not reusable: only BCryptDestroyHash is left. */
  finished: boolean;
}

interface State {
  providers: Map<bigint, Provider>;
  hashes: Map<bigint, HashState>;
  rngCounter: bigint;
}

const states = new WeakMap<Kernel, State>();
function state(k: Kernel): State {
  let s = states.get(k);
  if (!s) states.set(k, (s = { providers: new Map(), hashes: new Map(), rngCounter: 0n }));
  return s;
}

const PagedPool = 1;
const ALG_TAG = tagOf('BCal');
const HASH_TAG = tagOf('BChs');
/** The fixed seed of the machine's generator. */
const RNG_SEED = Buffer.from('kdemu deterministic CNG generator seed');

function provider(k: Kernel, h: bigint): Provider | undefined {
  const pseudo = PSEUDO[Number(h)];
  if (h < 0x100n && pseudo) return { alg: ALGORITHMS.find((a) => a.name === pseudo[0])!, hmac: pseudo[1], reusable: true };
  return state(k).providers.get(h);
}

function digest(p: Provider, secret: Uint8Array, data: readonly Uint8Array[]): Buffer {
  const h = p.hmac ? createHmac(p.alg.node!, secret) : createHash(p.alg.node!);
  for (const d of data) h.update(d);
  return h.digest();
}

/** Bytes from the generator: SHA-256(seed ‖ counter) blocks. */
function random(k: Kernel, n: number): Uint8Array {
  const s = state(k);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 32) {
    const c = Buffer.alloc(8);
    c.writeBigUInt64LE(s.rngCounter++);
    out.set(createHash('sha256').update(RNG_SEED).update(c).digest().subarray(0, Math.min(32, n - i)), i);
  }
  return out;
}

function writeProperty(k: Kernel, value: Uint8Array, out: bigint, cb: number, result: bigint): number {
  if (result !== 0n) k.m.setU32(result, value.length);
  if (out === 0n) return STATUS.SUCCESS;
  if (cb < value.length) return STATUS.BUFFER_TOO_SMALL;
  k.m.write(out, value);
  return STATUS.SUCCESS;
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

const cng = { module: 'ksecdd.sys', cc: 'stdcall' } as const;

export const exports = [
  defineExport({
    ...cng, name: 'BCryptOpenAlgorithmProvider',
    proto: 'NTSTATUS BCryptOpenAlgorithmProvider(BCRYPT_ALG_HANDLE *phAlgorithm, LPCWSTR pszAlgId, LPCWSTR pszImplementation, ULONG dwFlags)',
    params: { phAlgorithm: 'ptr', pszAlgId: 'pwstr', pszImplementation: 'pwstr', dwFlags: 'u32' }, ret: 'status',
    impl: (k, a) => {
      if (a.phAlgorithm === 0n || a.pszAlgId === 0n) return STATUS.INVALID_PARAMETER;
      if (a.dwFlags & ~(BCRYPT_ALG_HANDLE_HMAC_FLAG | BCRYPT_HASH_REUSABLE_FLAG)) return STATUS.INVALID_PARAMETER;
      const id = k.m.wstring(a.pszAlgId, 256);
      const alg = ALGORITHMS.find((x) => x.name === id.toUpperCase());
      // The only provider here is Microsoft's primitive one.
      const impl = a.pszImplementation === 0n ? null : k.m.wstring(a.pszImplementation, 256);
      if (!alg || (impl !== null && impl !== 'Microsoft Primitive Provider')) return STATUS.NOT_FOUND;
      const hmac = (a.dwFlags & BCRYPT_ALG_HANDLE_HMAC_FLAG) !== 0;
      if (hmac && !alg.node) return STATUS.NOT_FOUND;
      const h = k.pool.allocate(16, ALG_TAG, PagedPool, 'driver', k.symbolize(k.callerAddress()));
      if (h === null) return STATUS.NO_MEMORY;
      state(k).providers.set(h, { alg, hmac, reusable: (a.dwFlags & BCRYPT_HASH_REUSABLE_FLAG) !== 0 });
      k.m.setPtr(a.phAlgorithm, h);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...cng, name: 'BCryptCloseAlgorithmProvider',
    proto: 'NTSTATUS BCryptCloseAlgorithmProvider(BCRYPT_ALG_HANDLE hAlgorithm, ULONG dwFlags)',
    params: { hAlgorithm: 'ptr', dwFlags: 'u32' }, ret: 'status',
    impl: (k, a) => {
      const s = state(k);
      if (!s.providers.delete(a.hAlgorithm)) return STATUS.INVALID_HANDLE;
      k.pool.free_(a.hAlgorithm, 0);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...cng, name: 'BCryptGetProperty',
    proto: 'NTSTATUS BCryptGetProperty(BCRYPT_HANDLE hObject, LPCWSTR pszProperty, PUCHAR pbOutput, ULONG cbOutput, ULONG *pcbResult, ULONG dwFlags)',
    params: { hObject: 'ptr', pszProperty: 'pwstr', pbOutput: 'ptr', cbOutput: 'u32', pcbResult: 'ptr', dwFlags: 'u32' }, ret: 'status',
    impl: (k, a) => {
      const hs = state(k).hashes.get(a.hObject);
      const p = hs?.provider ?? provider(k, a.hObject);
      if (!p) return STATUS.INVALID_HANDLE;
      if (a.pszProperty === 0n || a.pcbResult === 0n) return STATUS.INVALID_PARAMETER;
      const name = k.m.wstring(a.pszProperty, 256);
      let value: Uint8Array;
      switch (name) {
        case 'ObjectLength':
          if (!p.alg.node) return STATUS.NOT_SUPPORTED;
          value = u32(p.alg.objectLength);
          break;
        case 'HashDigestLength':
          if (!p.alg.node) return STATUS.NOT_SUPPORTED;
          value = u32(p.alg.digest);
          break;
        case 'HashBlockLength':
          if (!p.alg.node) return STATUS.NOT_SUPPORTED;
          value = u32(p.alg.block);
          break;
        case 'AlgorithmName': {
          const n = p.alg.name + '\0';
          value = new Uint8Array(Buffer.from(n, 'utf16le'));
          break;
        }
        default:
          return STATUS.NOT_SUPPORTED;
      }
      return writeProperty(k, value, a.pbOutput, a.cbOutput, a.pcbResult);
    },
  }),
  defineExport({
    ...cng, name: 'BCryptCreateHash',
    proto: 'NTSTATUS BCryptCreateHash(BCRYPT_ALG_HANDLE hAlgorithm, BCRYPT_HASH_HANDLE *phHash, PUCHAR pbHashObject, ULONG cbHashObject, PUCHAR pbSecret, ULONG cbSecret, ULONG dwFlags)',
    params: { hAlgorithm: 'ptr', phHash: 'ptr', pbHashObject: 'ptr', cbHashObject: 'u32', pbSecret: 'ptr', cbSecret: 'u32', dwFlags: 'u32' }, ret: 'status',
    impl: (k, a) => {
      const p = provider(k, a.hAlgorithm);
      if (!p) return STATUS.INVALID_HANDLE;
      if (!p.alg.node || a.phHash === 0n) return STATUS.INVALID_PARAMETER;
      if (a.dwFlags & ~BCRYPT_HASH_REUSABLE_FLAG) return STATUS.INVALID_PARAMETER;
      let h = a.pbHashObject;
      const owned = h === 0n;
      if (!owned && a.cbHashObject < p.alg.objectLength) return STATUS.BUFFER_TOO_SMALL;
      if (owned) {
        const block = k.pool.allocate(p.alg.objectLength, HASH_TAG, PagedPool, 'driver', k.symbolize(k.callerAddress()));
        if (block === null) return STATUS.NO_MEMORY;
        h = block;
      }
      // A secret without the HMAC flag is ignored, as CNG ignores it for plain hashes.
      const secret = p.hmac && a.cbSecret ? k.m.read(a.pbSecret, a.cbSecret) : new Uint8Array(0);
      const reusable = p.reusable || (a.dwFlags & BCRYPT_HASH_REUSABLE_FLAG) !== 0;
      state(k).hashes.set(h, { provider: { ...p, reusable }, secret, data: [], owned, finished: false });
      k.m.setPtr(a.phHash, h);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...cng, name: 'BCryptHashData',
    proto: 'NTSTATUS BCryptHashData(BCRYPT_HASH_HANDLE hHash, PUCHAR pbInput, ULONG cbInput, ULONG dwFlags)',
    params: { hHash: 'ptr', pbInput: 'ptr', cbInput: 'u32', dwFlags: 'u32' }, ret: 'status',
    impl: (k, a) => {
      const hs = state(k).hashes.get(a.hHash);
      if (!hs) return STATUS.INVALID_HANDLE;
      if (a.dwFlags !== 0 || hs.finished) return STATUS.INVALID_PARAMETER;
      if (a.cbInput) hs.data.push(k.m.read(a.pbInput, a.cbInput));
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...cng, name: 'BCryptFinishHash',
    proto: 'NTSTATUS BCryptFinishHash(BCRYPT_HASH_HANDLE hHash, PUCHAR pbOutput, ULONG cbOutput, ULONG dwFlags)',
    params: { hHash: 'ptr', pbOutput: 'ptr', cbOutput: 'u32', dwFlags: 'u32' }, ret: 'status',
    impl: (k, a) => {
      const hs = state(k).hashes.get(a.hHash);
      if (!hs) return STATUS.INVALID_HANDLE;
      if (a.dwFlags !== 0 || hs.finished || a.cbOutput !== hs.provider.alg.digest) return STATUS.INVALID_PARAMETER;
      k.m.write(a.pbOutput, digest(hs.provider, hs.secret, hs.data));
      // A reusable hash starts again; any other can only be destroyed.
      hs.data = [];
      hs.finished = !hs.provider.reusable;
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...cng, name: 'BCryptDestroyHash',
    proto: 'NTSTATUS BCryptDestroyHash(BCRYPT_HASH_HANDLE hHash)',
    params: { hHash: 'ptr' }, ret: 'status',
    impl: (k, a) => {
      const s = state(k);
      const hs = s.hashes.get(a.hHash);
      if (!hs) return STATUS.INVALID_HANDLE;
      s.hashes.delete(a.hHash);
      if (hs.owned) k.pool.free_(a.hHash, 0);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...cng, name: 'BCryptDuplicateHash',
    proto: 'NTSTATUS BCryptDuplicateHash(BCRYPT_HASH_HANDLE hHash, BCRYPT_HASH_HANDLE *phNewHash, PUCHAR pbHashObject, ULONG cbHashObject, ULONG dwFlags)',
    params: { hHash: 'ptr', phNewHash: 'ptr', pbHashObject: 'ptr', cbHashObject: 'u32', dwFlags: 'u32' }, ret: 'status',
    impl: (k, a) => {
      const hs = state(k).hashes.get(a.hHash);
      if (!hs) return STATUS.INVALID_HANDLE;
      if (a.phNewHash === 0n || a.dwFlags !== 0 || hs.finished) return STATUS.INVALID_PARAMETER;
      let h = a.pbHashObject;
      const owned = h === 0n;
      if (!owned && a.cbHashObject < hs.provider.alg.objectLength) return STATUS.BUFFER_TOO_SMALL;
      if (owned) {
        const block = k.pool.allocate(hs.provider.alg.objectLength, HASH_TAG, PagedPool, 'driver', k.symbolize(k.callerAddress()));
        if (block === null) return STATUS.NO_MEMORY;
        h = block;
      }
      state(k).hashes.set(h, { ...hs, data: [...hs.data], owned });
      k.m.setPtr(a.phNewHash, h);
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...cng, name: 'BCryptGenRandom',
    proto: 'NTSTATUS BCryptGenRandom(BCRYPT_ALG_HANDLE hAlgorithm, PUCHAR pbBuffer, ULONG cbBuffer, ULONG dwFlags)',
    params: { hAlgorithm: 'ptr', pbBuffer: 'ptr', cbBuffer: 'u32', dwFlags: 'u32' }, ret: 'status',
    impl: (k, a) => {
      if (a.dwFlags & BCRYPT_USE_SYSTEM_PREFERRED_RNG) {
        if (a.hAlgorithm !== 0n) return STATUS.INVALID_PARAMETER;
      } else {
        const p = provider(k, a.hAlgorithm);
        if (!p) return STATUS.INVALID_HANDLE;
        if (p.alg.name !== 'RNG') return STATUS.INVALID_PARAMETER;
      }
      if (a.dwFlags & ~(BCRYPT_USE_SYSTEM_PREFERRED_RNG | 1)) return STATUS.INVALID_PARAMETER;
      if (a.cbBuffer) k.m.write(a.pbBuffer, random(k, a.cbBuffer));
      return STATUS.SUCCESS;
    },
  }),
  defineExport({
    ...cng, name: 'SystemPrng',
    proto: 'BOOLEAN SystemPrng(PUCHAR pbRandomData, SIZE_T cbRandomData)',
    params: { pbRandomData: 'ptr', cbRandomData: 'usize' }, ret: 'bool',
    impl: (k, a) => {
      if (a.cbRandomData > 0n) k.m.write(a.pbRandomData, random(k, Number(a.cbRandomData)));
      return 1;
    },
  }),
];
