// The addresses of the access tokens se/token.ts made, per machine (a module of its own so that the object manager
// can ask without importing the token code).

import type { Kernel } from '../kernel.js';

const bodies = new WeakMap<Kernel, Set<bigint>>();

export function tokenBodies(k: Kernel): Set<bigint> {
  let s = bodies.get(k);
  if (!s) bodies.set(k, (s = new Set()));
  return s;
}

export function isTokenBody(k: Kernel, address: bigint): boolean {
  return bodies.get(k)?.has(address) ?? false;
}
