// What a guest run did, as data a reader (or `isavirt run --format json`) can use: the final state
// the guest sees (registers, fields, register files, and the memory words the run changed), the
// trace in the spec's own assembly syntax, and what the monitor did with each trap.
//
// The JSON shape (isavirt-run, version 2), per run:
//   final:   { mode, registers: { NAME: hex }, fields: { "REG.F": hex }, files: { NAME: [hex...] },
//              memory: { MEM: { "0xADDR": hex } } }   -- memory: the words that differ from the
//              start of the run (the program image and the state it started from)
//   trace:   [{ step, pc, text, mnemonic, operands: { NAME: hex } }]   -- text in assembly syntax
//   events:  [{ step, pc, trap, action: emulated|reflected|interpreted, reflected?, mode, reason }]
//   stats:   { steps, direct, emulated, traps, reflected }
//   console: { bytes, text }   -- with a `console` declaration: the bytes the guest stored there,
//            text with one character per byte (U+0000..U+00FF), so Buffer.from(text, 'latin1')
//            gives them back exactly
// Hex strings throughout ("0x1f"): values may be wider than a JSON number holds.

import type { Isa } from '../ir/index.js';
import type { ConcreteState, TraceEntry } from '../exec/index.js';
import { disassemble } from '../asm/index.js';
import { encodeInstruction } from './demo.js';
import type { MonitorEvent } from '../vmm/index.js';
import { isaIndex } from '../ir/index.js';

const hex = (v: bigint | number) => '0x' + BigInt(v).toString(16);
const maskB = (w: number) => (1n << BigInt(w)) - 1n;

export interface FinalState {
  mode: string | undefined;
  registers: Record<string, string>;
  fields: Record<string, string>;
  files: Record<string, string[]>;
  /** Words that differ from the start of the run, by memory and address. */
  memory: Record<string, Record<string, string>>;
}

/** Most changed memory words listed per memory (a run that fills memory says how many more). */
export const MAX_CHANGED_WORDS = 4096;

export function finalState(isa: Isa, start: ConcreteState, end: ConcreteState, mode: string | undefined): FinalState & { more: Record<string, number> } {
  const registers: Record<string, string> = {};
  const fields: Record<string, string> = {};
  for (const r of isa.registers) {
    const v = end.regs[r.name] ?? 0n;
    registers[r.name] = hex(v);
    for (const f of r.fields) fields[`${r.name}.${f.name}`] = hex((v >> BigInt(f.lo)) & maskB(f.hi - f.lo + 1));
  }
  const files: Record<string, string[]> = {};
  for (const f of isa.files) files[f.name] = Array.from({ length: f.count }, (_, i) => hex(end.files[f.name]?.[i] ?? 0n));
  const memory: Record<string, Record<string, string>> = {};
  const more: Record<string, number> = {};
  for (const m of isa.memories) {
    const a = start.mem[m.name] ?? new Map<number, bigint>(),
      b = end.mem[m.name] ?? new Map<number, bigint>();
    const addrs = [...new Set([...a.keys(), ...b.keys()])].filter((ad) => (a.get(ad) ?? 0n) !== (b.get(ad) ?? 0n)).sort((p, q) => p - q);
    if (addrs.length === 0) continue;
    const words: Record<string, string> = {};
    for (const ad of addrs.slice(0, MAX_CHANGED_WORDS)) words[hex(ad)] = hex(b.get(ad) ?? 0n);
    memory[m.name] = words;
    if (addrs.length > MAX_CHANGED_WORDS) more[m.name] = addrs.length - MAX_CHANGED_WORDS;
  }
  return { mode, registers, fields, files, memory, more };
}

/** An instruction of the trace in the spec's assembly syntax (encoded, then disassembled, so the
 *  text is exactly what the disassembler prints for those words). */
export function instructionText(isa: Isa, t: TraceEntry): string {
  const instr = isaIndex(isa).instructions.get(t.mnemonic);
  if (!instr) return t.mnemonic;
  const words = encodeInstruction(isa, instr, t.operands);
  const line = disassemble(isa, words, Number(t.pc))[0];
  return line?.instruction === t.mnemonic ? line.text : t.mnemonic;
}

export interface TraceLine {
  step: number;
  pc: string;
  text: string;
  mnemonic: string;
  operands: Record<string, string>;
}

export function traceLines(isa: Isa, trace: readonly TraceEntry[]): TraceLine[] {
  return trace.map((t, i) => ({
    step: i + 1,
    pc: hex(t.pc),
    text: instructionText(isa, t),
    mnemonic: t.mnemonic,
    operands: Object.fromEntries(Object.entries(t.operands).map(([k, v]) => [k, hex(v)])),
  }));
}

export interface EventLine {
  step: number;
  pc: string;
  trap: string;
  action: MonitorEvent['action'];
  reflected?: string;
  mode: string | undefined;
  reason: string;
}

export function eventLines(events: readonly MonitorEvent[]): EventLine[] {
  return events.map((e) => ({ step: e.step, pc: hex(e.pc), trap: e.trap, action: e.action, reflected: e.reflected, mode: e.mode, reason: e.reason }));
}

/** The final state in text: registers and fields on a few lines, files, then changed memory. */
export function finalStateText(isa: Isa, f: FinalState & { more: Record<string, number> }, width = 100): string[] {
  const out: string[] = [];
  const wrap = (label: string, items: string[]) => {
    let line = `  ${label}:`;
    for (const it of items) {
      if (line.length + 1 + it.length > width && line.trim() !== `${label}:`) {
        out.push(line);
        line = ' '.repeat(label.length + 3);
      }
      line += ' ' + it;
    }
    out.push(line);
  };
  wrap(
    'registers',
    isa.registers.map((r) => {
      const fs = r.fields.map((x) => `${x.name}=${f.fields[`${r.name}.${x.name}`]}`);
      return `${r.name}=${f.registers[r.name]}${fs.length ? ` (${fs.join(' ')})` : ''}`;
    }),
  );
  for (const file of isa.files) {
    wrap(
      file.name,
      f.files[file.name]!.map((v, i) => `${file.names[i] ?? `${file.name}${i}`}=${v}`),
    );
  }
  const mems = Object.entries(f.memory);
  if (mems.length === 0) out.push('  memory: no word changed');
  for (const [name, words] of mems) {
    const items = Object.entries(words).map(([a, v]) => `${name}[${a}]=${v}`);
    const shown = items.slice(0, 64);
    const more = items.length - shown.length + (f.more[name] ?? 0);
    wrap(`memory changed`, more > 0 ? [...shown, `... and ${more} more`] : shown);
  }
  return out;
}
