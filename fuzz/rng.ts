// A small seeded PRNG (sfc32) and the helpers the case generators draw from. Every case gets its own generator,
// derived from (campaign seed, kind, index) alone, so a case replays without the ones before it.

/** splitmix32-style finaliser: a well-mixed 32-bit value from any 32-bit input. */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, salt = 0) {
    this.a = mix32(seed >>> 0);
    this.b = mix32(this.a ^ (salt >>> 0));
    this.c = mix32(this.b ^ 0x6a09e667);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** The generator of case INDEX of KIND in the campaign SEED. */
  static forCase(seed: number, kind: string, index: number): Rng {
    return new Rng(mix32((seed >>> 0) ^ hashString(kind)), mix32(index >>> 0) ^ Math.floor(index / 2 ** 32));
  }

  /** sfc32 */
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t >>> 0;
  }

  /** [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor(this.float() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** Picks by weight: [[weight, value], ...]. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    const total = items.reduce((s, [w]) => s + w, 0);
    let r = this.float() * total;
    for (const [w, v] of items) {
      if (r < w) return v;
      r -= w;
    }
    return items[items.length - 1]![1];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      out[i] = v & 0xff;
      if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff;
      if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff;
      if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }

  /** A size skewed towards small values: mostly < 64, sometimes up to max. */
  size(max: number): number {
    const r = this.float();
    if (r < 0.15) return 0;
    if (r < 0.6) return this.range(1, Math.min(max, 32));
    if (r < 0.85) return this.range(0, Math.min(max, 4096));
    return this.range(0, max);
  }
}
