// Human-readable output for the terminal (colour only when stdout is a TTY).

import pc from 'picocolors';
import type { Report } from '../hal/report.js';
import type { ExportListing, InfoReport, WdfInfo } from '../hal/info.js';

const c = pc.createColors(process.stdout.isTTY === true && !process.env.NO_COLOR);

function statusText(status: string): string {
  const v = parseInt(status, 16) >>> 0;
  if (v >>> 30 === 3) return c.red(status);
  if (v >>> 30 === 2) return c.yellow(status);
  return c.green(status);
}

export function renderReport(r: Report): string {
  const out: string[] = [];
  out.push(`${c.bold(r.driver.path)}  ${r.driver.arch}  loaded at ${r.driver.imageBase}  entry ${r.driver.entryPoint}`);
  if (r.driverEntry) out.push(`DriverEntry → ${statusText(r.driverEntry.status)}`);
  for (const l of r.loaded) out.push(`${c.bold(l.path)}  loaded at ${l.imageBase}  DriverEntry → ${statusText(l.driverEntry.status)}`);
  for (const d of r.devices) out.push(`  device  ${d.name || '(unnamed)'}  type ${d.type}  flags ${d.flags}`);
  for (const l of r.symlinks) out.push(`  link    ${l.link} → ${l.target}`);
  if (r.dbgPrint.length) {
    out.push(c.bold('DbgPrint'));
    for (const line of r.dbgPrint) out.push(`  ${c.cyan(line.replace(/\n$/, '').replace(/\n/g, '\n  '))}`);
  }
  if (r.ops.length) out.push(c.bold('Operations'));
  for (const o of r.ops) {
    const what = o.op === 'open' ? `open ${o.name}` : o.op === 'read' ? `read ${o.length}` : o.op === 'write' ? `write ${o.length}` : o.op === 'ioctl' ? `ioctl ${o.code}` : o.op === 'wait' ? `wait ${o.ms} ms` : o.op === 'spawn' ? `spawn ${o.image?.split('\\').pop()}${o.pid !== undefined ? ` pid ${o.pid}` : ''}` : o.op === 'kill' ? `kill ${o.pid}` : o.op;
    let line = `  ${what.padEnd(20)} ${statusText(o.status)}  win32 ${o.win32Error}`;
    if (o.information !== undefined) line += `  ${o.information} bytes`;
    if (o.data) line += `  ${o.data}`;
    out.push(line);
    if (o.note) out.push(`    ${c.yellow('note:')} ${o.note}`);
    if (o.completion !== undefined) {
      const cpl = o.completion;
      out.push(cpl ? `    completed at ${cpl.atMs} ms: ${statusText(cpl.status)}  ${cpl.information} bytes${cpl.data ? `  ${cpl.data}` : ''}` : `    ${c.yellow('never completed')}`);
    }
  }
  if (r.client) {
    // The program's console output was printed as it came.
    const code = r.client.exitCode === null ? 'did not exit' : `exited with code ${r.client.exitCode}`;
    out.push(`${c.bold('Client')} ${r.client.path}  ${code}`);
    for (const n of r.client.notes) out.push(`    ${c.yellow('note:')} ${n}`);
  }
  // Threads and processes beyond the run's own (System's thread and the client's main thread).
  const threads = r.threads.filter((t) => t.start !== null);
  if (threads.length) {
    out.push(c.bold('Threads'));
    for (const t of threads) out.push(`  ${String(t.tid).padEnd(6)} pid ${String(t.pid).padEnd(6)} ${t.start}  ${t.state}${t.exitStatus ? ` ${t.exitStatus}` : ''}`);
  }
  const spawned = r.processes.slice(2);
  if (spawned.length) {
    out.push(c.bold('Processes'));
    for (const p of spawned) out.push(`  ${String(p.pid).padEnd(6)} parent ${String(p.parentPid).padEnd(6)} ${p.image}${p.exitCode ? `  exited ${p.exitCode}` : ''}`);
  }
  for (const p of r.pipes) {
    out.push(`${c.bold('Pipe')} ${p.name}  ${p.messages.length} write${p.messages.length === 1 ? '' : 's'}, ${p.received.length / 2} bytes`);
    for (const line of p.text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1)) out.push(`  ${c.cyan(JSON.stringify(line).slice(1, -1))}`);
  }
  out.push(c.bold('Unload') + (r.unload.called ? ' called' : ' not called'));
  if (r.outcome === 'completed' || r.unload.called) {
    if (r.unload.leaks.length === 0) out.push('  no leaks');
    for (const l of r.unload.leaks) out.push(`  ${c.yellow('leak')} ${l.kind.padEnd(8)} ${l.detail}${l.driver ? ` (${l.driver})` : ''}${l.caller ? ` (allocated at ${l.caller})` : ''}`);
  }
  if (r.stop) {
    out.push(c.red(c.bold(`Stopped: ${r.outcome}`)) + ` — ${r.stop.reason}`);
    if (r.stop.bugcheck) out.push(`  bugcheck ${r.stop.bugcheck.code} ${r.stop.bugcheck.name} (${r.stop.bugcheck.params.join(', ')})`);
    if (r.stop.pc) out.push(`  at ${r.stop.module ? `${r.stop.module}+${r.stop.offset}` : r.stop.pc}${r.stop.instruction ? `: ${r.stop.instruction}` : ''}`);
    if (r.stop.stack?.length) out.push(`  call stack: ${r.stop.stack.join(' ← ')}`);
  }
  out.push(c.dim(`${r.stats.engine} engine, ${r.stats.instructions} instructions, ${r.stats.apiCalls} API calls, ${r.stats.wallMs} ms`));
  return out.join('\n') + '\n';
}

export function renderInfo(i: InfoReport): string {
  const out: string[] = [];
  out.push(`${c.bold(i.path)}: ${i.kind} (${i.subsystem}), ${i.arch}${i.kmdf ? ', KMDF' : ''}`);
  out.push(`  image base ${i.imageBase}  entry ${i.entryPoint}  size ${i.sizeOfImage}`);
  out.push(c.bold('Sections'));
  for (const s of i.sections) out.push(`  ${s.name.padEnd(10)} ${s.rva.padEnd(10)} ${s.size.padEnd(10)} ${s.prot}`);
  // `missing` also names framework entries a KMDF client calls: counted in the KMDF section instead.
  out.push(c.bold(`Imports (${i.imports.length}, ${i.imports.filter((imp) => !imp.implemented).length} missing in kdemu)`));
  for (const imp of i.imports) out.push(`  ${imp.implemented ? c.green('implemented') : c.red('missing    ')}  ${imp.module}!${imp.name}`);
  if (i.wdf) out.push(...renderWdf(i.wdf));
  if (i.exports.length) {
    out.push(c.bold('Exports'));
    for (const e of i.exports) out.push(`  ${String(e.ordinal).padStart(4)}  ${e.name || '(by ordinal)'}  ${e.rva}`);
  }
  return out.join('\n') + '\n';
}

/** The KMDF binding and the framework entries referenced: the missing ones a line each, the rest as wrapped names. */
function renderWdf(w: WdfInfo): string[] {
  const out = [c.bold(`KMDF ${w.version}`) + `  ${w.funcCount} functions  bind info ${w.bindInfo}  function table ${w.functionTable}`];
  if (!w.referenced) {
    out.push('  no calls through the function table recognised');
    return out;
  }
  const missing = w.referenced.filter((e) => !e.implemented);
  out.push(`  ${w.referenced.length} entries referenced, ${missing.length} missing in kdemu`);
  for (const e of missing) out.push(`  ${c.red('missing    ')}  ${e.name} (#${e.index})`);
  const names = w.referenced.filter((e) => e.implemented).map((e) => e.name);
  let line = '';
  for (const n of names) {
    if (line && line.length + n.length + 1 > 100) {
      out.push(`  ${c.green('implemented')}  ${line}`);
      line = '';
    }
    line += (line ? ' ' : '') + n;
  }
  if (line) out.push(`  ${c.green('implemented')}  ${line}`);
  return out;
}

export function renderExports(list: ExportListing[]): string {
  let module = '';
  const out: string[] = [];
  for (const e of list) {
    if (e.module !== module) out.push(c.bold((module = e.module)));
    out.push(`  ${e.prototype}${e.convention && e.convention !== 'stdcall' ? `  [${e.convention}]` : ''}${e.arch ? `  (${e.arch} only)` : ''}`);
  }
  return out.join('\n') + '\n';
}
