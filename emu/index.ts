// Engine selection: the one place that knows which engines exist.

import type { Arch, Engine } from './engine.js';
import { UnicornEngine, unicornAvailable } from './unicorn/engine.js';

export type EngineName = 'unicorn' | 'wasm';

export const ENGINES: readonly EngineName[] = ['unicorn'];

export function engineAvailable(name: EngineName): boolean {
  return name === 'unicorn' ? unicornAvailable() : false;
}

export function createEngine(name: EngineName, arch: Arch): Engine {
  if (name === 'unicorn') return new UnicornEngine(arch);
  throw new Error(`engine '${name}' is not built yet`);
}

export * from './engine.js';
