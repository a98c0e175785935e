// The names of the exports kdemu implements (kernel and user mode), sorted: PE mutants rename imports to them.
import { listExports } from '../hal/info.js';

export function exportNames(): string[] {
  return [...new Set(listExports().map((e) => e.name))].sort();
}
