// Putting an assembled program into a machine: its words go to the fetch space's underlying memory
// at their addresses (programs are assembled for the reset translation, where virtual = physical).

import type { Isa } from '../ir/index.js';
import type { ConcreteState } from '../exec/index.js';
import type { Program } from './assemble.js';
import { fetchMemory } from './tables.js';

/** The memory a program loads into and its words by address. */
export function programImage(isa: Isa, program: Program): { memory: string; words: Map<number, bigint> } {
  const mem = fetchMemory(isa);
  const words = new Map<number, bigint>();
  for (const s of program.segments) s.words.forEach((w, i) => words.set(s.address + i, w));
  return { memory: mem?.name ?? isa.fetch.space, words };
}

/**
 * A copy of `state` with the program's words written into memory (other memory and registers kept).
 * With `setPc`, the fetch pc is set to the program's entry.
 */
export function loadProgram(isa: Isa, program: Program, state: ConcreteState, opts: { setPc?: boolean } = {}): ConcreteState {
  const img = programImage(isa, program);
  const mem: ConcreteState['mem'] = { ...state.mem };
  const m = new Map(mem[img.memory] ?? []);
  for (const [a, w] of img.words) m.set(a, w);
  mem[img.memory] = m;
  const regs = opts.setPc ? { ...state.regs, [isa.fetch.pc]: BigInt(program.entry) } : { ...state.regs };
  return { regs, files: { ...state.files }, mem };
}

/** Call `write(address, word)` for every word of the program (for machines with their own memory). */
export function forEachWord(program: Program, write: (address: number, word: bigint) => void): void {
  for (const s of program.segments) s.words.forEach((w, i) => write(s.address + i, w));
}

/**
 * A listing: each source line with the address and the words it produced: an instruction's words
 * all (one line per instruction of a pseudo-instruction's expansion), data its first word and
 * `+n` more.
 */
export function formatListing(isa: Isa, program: Program, sourceText: string): string {
  const mem = fetchMemory(isa);
  const ww = mem?.wordWidth ?? 32;
  const digits = Math.ceil(ww / 4);
  const addrDigits = Math.max(4, Math.ceil(Math.log2(Math.max(2, mem?.size ?? 65536)) / 4));
  const img = programImage(isa, program).words;
  const byLine = new Map<number, Program['lines']>();
  for (const l of program.lines) {
    const list = byLine.get(l.line) ?? [];
    list.push(l);
    byLine.set(l.line, list);
  }
  const src = sourceText.split(/\r\n|\n|\r/);
  const out: string[] = [];
  // The source column starts after the widest run of words shown (and its `+n`).
  const widest = Math.max(1, ...program.lines.map((l) => (l.instruction ? l.length : 1)));
  const pad = ' '.repeat(addrDigits + 2 + widest * (digits + 1) + 5);
  src.forEach((text, i) => {
    const emitted = byLine.get(i + 1);
    if (!emitted || emitted.length === 0) {
      out.push(`${pad}  ${text}`);
      return;
    }
    for (const e of emitted) {
      const ws: bigint[] = [];
      for (let a = e.address; a < e.address + e.length; a++) ws.push(img.get(a) ?? 0n);
      // Long data lines show their first words only.
      const shown = ws.slice(0, e.instruction ? ws.length : 1).map((w) => w.toString(16).padStart(digits, '0'));
      const more = ws.length > shown.length ? ` +${ws.length - shown.length}` : '';
      out.push(`${e.address.toString(16).padStart(addrDigits, '0')}: ${shown.join(' ')}${more}`.padEnd(pad.length) + `  ${text}`);
      text = '';
    }
  });
  return out.join('\n');
}
