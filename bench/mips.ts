// Millions of instructions per second of each engine on tight guest loops (no kernel calls): a first, honest
// speed figure for the wasm core until the C workload of `npm run bench:cpu` exists.
//   node dist/bench/mips.js [--json]

import { Prot, type Engine } from '../emu/engine.js';
import { ENGINES, createEngine, engineAvailable, type EngineName } from '../emu/index.js';

const CODE = 0xfffff80000100000n;
const DATA = 0xfffff80000200000n;

/** Loops of 3-5 instructions, each ending in a conditional branch back; rcx counts iterations down. */
const LOOPS: Record<string, number[]> = {
  // top: add eax, edx ; xor edx, eax ; dec rcx ; jnz top
  'alu (reg)': [0x01, 0xd0, 0x31, 0xc2, 0x48, 0xff, 0xc9, 0x75, 0xf7],
  // top: mov rax, [rsi+rcx*8] ; add rax, rcx ; mov [rsi+rcx*8], rax ; dec ecx... (rcx masked into one page)
  //   mov rbx, rcx ; and ebx, 0x1ff ; mov rax, [rsi+rbx*8] ; add rax, rcx ; mov [rsi+rbx*8], rax ; dec rcx ; jnz top
  'load/store': [0x48, 0x89, 0xcb, 0x81, 0xe3, 0xff, 0x01, 0, 0, 0x48, 0x8b, 0x04, 0xde, 0x48, 0x01, 0xc8, 0x48, 0x89, 0x04, 0xde, 0x48, 0xff, 0xc9, 0x75, 0xe7],
  // top: call f ; dec rcx ; jnz top ; int3 ; f: push rbx ; pop rbx ; ret
  'call/push/ret': [0xe8, 0x06, 0, 0, 0, 0x48, 0xff, 0xc9, 0x75, 0xf6, 0xcc, 0x53, 0x5b, 0xc3],
};

function measure(name: EngineName, code: number[], iterations: number): { instructions: number; seconds: number } {
  const e: Engine = createEngine(name, 'x64');
  e.map(CODE, 0x1000, Prot.RX);
  e.map(DATA, 0x2000, Prot.RW);
  e.write(CODE, Uint8Array.from([...code, 0xcc]));
  e.setReg('rsp', DATA + 0x1800n);
  e.setReg('rsi', DATA);
  // Warm up (decoding, translation, and V8's optimizing compile of the core, which only takes effect between
  // calls), then time.
  for (let i = 0; i < 5; i++) {
    e.setReg('rcx', 1_000_000n);
    e.run(CODE, 0);
  }
  e.setReg('rcx', BigInt(iterations));
  const before = e.instructions;
  const t = performance.now();
  const exit = e.run(CODE, 0);
  const seconds = (performance.now() - t) / 1000;
  if (exit.kind !== 'interrupt') throw new Error(`${name}: unexpected exit ${exit.kind}`);
  const instructions = e.instructions - before;
  e.close();
  return { instructions, seconds };
}

const json = process.argv.includes('--json');
const out: Record<string, Record<string, { instructions: number; seconds: number; mips: number }>> = {};
for (const [loop, code] of Object.entries(LOOPS)) {
  out[loop] = {};
  for (const name of ENGINES.filter((n) => engineAvailable(n))) {
    const r = measure(name, code, 10_000_000);
    out[loop][name] = { ...r, mips: Math.round(r.instructions / r.seconds / 1e6) };
    if (!json) console.log(`${loop.padEnd(14)} ${name.padEnd(8)} ${String(r.instructions).padStart(10)} instructions  ${r.seconds.toFixed(3)} s  ${out[loop][name].mips} MIPS`);
  }
}
if (json) console.log(JSON.stringify(out));
