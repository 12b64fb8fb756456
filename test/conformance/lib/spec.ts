// isavirt's side of a co-simulation: load a library spec, write an instance in the spec's own
// assembly syntax, assemble many instances at once with isavirt's assembler, and run exactly one
// instruction on the compiled machine without taking its trap (a trap is an outcome to compare).

import { fileURLToPath } from 'node:url';
import { assemble, formatAsmDiagnostic, programImage } from '../../../src/asm/index.js';
import { createMachine, type Machine } from '../../../src/exec/machine.js';
import { loadIsaFile } from '../../../src/ir/index.js';
import type { Instruction, Isa } from '../../../src/ir/types.js';

export const root = fileURLToPath(new URL('../../..', import.meta.url));

export function loadSpec(name: string): Isa {
  const r = loadIsaFile(`${root}isas/${name}.isa`);
  if (!r.ok) throw new Error(`${name}.isa does not load: ${JSON.stringify(r.diagnostics.slice(0, 3))}`);
  return r.isa;
}

export function instruction(isa: Isa, mnemonic: string): Instruction {
  const ins = isa.instructions.find((i) => i.mnemonic === mnemonic);
  if (!ins) throw new Error(`${isa.name}.isa has no instruction ${mnemonic}`);
  return ins;
}

/** The assembly name of register `index` of file `file`, as the spec's assembler reads it. */
export function regName(isa: Isa, file: string, index: number): string {
  const f = isa.files.find((x) => x.name === file);
  if (!f) throw new Error(`${isa.name}.isa has no register file ${file}`);
  return f.names[index] ?? `${file}${index}`;
}

/**
 * The instance in the spec's syntax: each operand hole filled from `ops` (a register operand's
 * value is its index; an immediate is written in decimal, negative for a signed one; a string is
 * written as it is, for an expression). `targets` gives, for a branch's offset operand, the address
 * it reaches: written instead of the offset when the spec declares the operand an address (a
 * PC-relative target written as the target, as GNU syntax does), so that the co-simulations keep
 * working when a spec moves from byte offsets to real PC-relative encodings.
 */
export function specText(isa: Isa, mnemonic: string, ops: Record<string, number | bigint | string>, targets: Record<string, number> = {}): string {
  const ins = instruction(isa, mnemonic);
  let s = '';
  for (const p of ins.syntax) {
    if (p.k === 'text') {
      s += p.text;
      continue;
    }
    const o = ins.operands.find((x) => x.name === p.name)!;
    const v = ops[p.name];
    if (v === undefined) throw new Error(`${mnemonic}: no value for operand ${p.name}`);
    if (typeof v === 'string') s += v;
    else if (o.kind === 'addr' && targets[p.name] !== undefined) s += String(targets[p.name]);
    // A PC-relative hole is written as its target: the distance from the base (`.` is this
    // instruction's address; next_pc is `.` plus its length) plus the offset.
    else if (p.relative) {
      const len = ins.encoding.width / 8;
      const base = p.relative.base === 'pc' ? '.' : `. + ${len}`;
      const off = BigInt(v) + BigInt(p.relative.addend);
      s += off < 0n ? `${base} - ${-off}` : `${base} + ${off}`;
    } else if (o.kind === 'reg') s += regName(isa, o.file!, Number(v));
    else s += BigInt(v).toString();
  }
  return s;
}

/**
 * Assemble every `{address, text}` instance in one program; returns the memory the program loads
 * into and its words by address. An instance the assembler refuses is an error naming it.
 */
export function assembleInstances(isa: Isa, items: { address: number; text: string }[]): { memory: string; words: Map<number, bigint> } {
  const lines: string[] = [];
  for (const it of items) lines.push(`.org 0x${it.address.toString(16)}`, it.text);
  const r = assemble(isa, lines.join('\n') + '\n', 'cosim.s');
  if (!r.ok) {
    const d = r.diagnostics[0]!;
    const text = lines[d.span.line - 1] ?? '';
    throw new Error(`isavirt asm refuses "${text}" for ${isa.name}.isa: ${formatAsmDiagnostic(d, lines.join('\n'))}`);
  }
  return programImage(isa, r.program);
}

/** A fresh machine of `isa` with every `{address, text}` instance assembled at its address. */
export function machineWith(isa: Isa, items: { address: number; text: string }[]): Machine {
  const m = newMachine(isa);
  const img = assembleInstances(isa, items);
  for (const [a, w] of img.words) m.writeMem(img.memory, a, w);
  return m;
}

/** What isavirt needs of an instance to write it in the spec's syntax (see specText). */
export interface SpecInstance {
  mnemonic: string;
  ops: Record<string, number>;
  targets?: Record<string, number>;
}

/**
 * isavirt's side of a batch: one machine with every instance assembled at `at(slot)` (and
 * `extra(slot)`'s lines, a harness's own instructions around it), each written by `text`.
 */
export class InstanceSide<I extends SpecInstance> {
  readonly m: Machine;
  constructor(
    readonly isa: Isa,
    items: { inst: I; slot: number }[],
    at: (slot: number) => number,
    extra: (slot: number) => { address: number; text: string }[] = () => [],
  ) {
    this.m = machineWith(
      isa,
      items.flatMap(({ inst, slot }) => [...extra(slot), { address: at(slot), text: this.text(inst, slot) }]),
    );
  }

  /** The instance in the spec's syntax (`slot`: where it is assembled). */
  text(inst: I, _slot?: number): string {
    return specText(this.isa, inst.mnemonic, inst.ops, inst.targets);
  }
}

export type SpecOutcome = { kind: 'done' } | { kind: 'halt' } | { kind: 'trap'; trap: string } | { kind: 'illegal' } | { kind: 'fetch-trap'; trap: string };

/** Decode at `pc` and execute that one instruction; a trap is returned, not entered. */
export function stepOnce(m: Machine, pc: bigint): SpecOutcome {
  const d = m.decodeAt(pc);
  if (d.kind === 'illegal') return { kind: 'illegal' };
  if (d.kind === 'trap') return { kind: 'fetch-trap', trap: d.trap };
  const r = m.execute(d);
  if (r.kind === 'trap') return { kind: 'trap', trap: r.trap };
  return r;
}

export function newMachine(isa: Isa): Machine {
  return createMachine(isa);
}

/** Every register that is not `except`, with its value (to check that nothing else changed). */
export function otherRegisters(m: Machine, except: string[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const r of m.isa.registers) if (!except.includes(r.name)) out.set(r.name, m.readReg(r.name));
  return out;
}

export const hex = (v: bigint | number, digits = 8): string => '0x' + BigInt.asUintN(64, BigInt(v)).toString(16).padStart(digits, '0');
