// Engine selection: the one place that knows which engines exist.

import type { Arch, Engine } from './engine.js';
import { UnicornEngine, unicornAvailable } from './unicorn/engine.js';
import { WasmEngine, wasmAvailable } from './wasm/engine.js';

export type EngineName = 'unicorn' | 'wasm';

export const ENGINES: readonly EngineName[] = ['unicorn', 'wasm'];

export function engineAvailable(name: EngineName): boolean {
  return name === 'unicorn' ? unicornAvailable() : wasmAvailable();
}

export function createEngine(name: EngineName, arch: Arch): Engine {
  if (name === 'unicorn') return new UnicornEngine(arch);
  return new WasmEngine(arch);
}

export * from './engine.js';
