// Random instructions of a spec, written as text, for the round-trip properties.
import fc from 'fast-check';
import { expect } from 'vitest';
import { assemble, disassemble, formatAsmDiagnostic } from '../../src/asm/index.js';
import { getTables, type AsmInstr } from '../../src/asm/tables.js';
import type { Isa } from '../../src/ir/types.js';

/** `text(address)`: the instruction written at `address` (a PC-relative operand is written as its
 *  target, which depends on where the instruction sits). */
type Written = { a: AsmInstr; values: Map<string, bigint>; text: (address: number) => string };

/** One instruction of `isa` with random in-range operands, written in random number bases and
 *  register spellings. */
function arbInstruction(isa: Isa): fc.Arbitrary<Written> {
  const tr = getTables(isa);
  if (!tr.ok) throw new Error(tr.message);
  const t = tr.tables;
  return fc.constantFrom(...t.instrs).chain((a) => {
    const ops = [...a.operands.values()];
    return (
      fc
        .tuple(
          // Bits no encoding field holds are zero (a branch offset's bit 0).
          fc.tuple(...ops.map((o) => fc.bigInt({ min: o.min, max: o.max }).map((v) => v & ~o.implied))),
          fc.tuple(...ops.map(() => fc.constantFrom('dec', 'hex', 'bin', 'upper'))),
          fc.constantFrom('', ' ', '  '),
        )
        .map(([vals, styles, pad]) => {
          const values = new Map(ops.map((o, i) => [o.op.name, vals[i]!]));
          const text = (address: number) => {
            let text = '';
            for (const p of a.parts) {
              if (p.k === 'text') {
                text += p.text.replace(/ /g, pad === '' ? ' ' : pad);
                continue;
              }
              const i = ops.findIndex((o) => o.op.name === p.name);
              const o = ops[i]!;
              const r = o.relative;
              const v = r ? vals[i]! + BigInt(address + (r.base === 'next_pc' ? a.words : 0) + r.addend) : vals[i]!;
              const style = styles[i]!;
              if (o.op.kind === 'reg') {
                const name = o.file!.names[Number(v)] ?? `${o.file!.name}${v}`;
                text += style === 'upper' ? name.toUpperCase() : name;
              } else if (v < 0n) text += `-${-v}`;
              else if (style === 'hex') text += `0x${v.toString(16)}`;
              else if (style === 'bin') text += `0b${v.toString(2)}`;
              else text += v.toString();
            }
            return text;
          };
          return { a, values, text };
        })
        // Where a machine has a shorter form for some values (x86 `ADD ebx, 5` is 83 /0 ib, not
        // 81 /0 id) or excludes them (a decode condition), the text is not this instruction's.
        .filter((w) => {
          const r = assemble(isa, w.text(0), 'one.s');
          if (!r.ok) return false;
          const words = r.program.segments.flatMap((s) => s.words);
          const line = disassemble(isa, words, 0)[0];
          if (line?.instruction !== w.a.instr.mnemonic) return false;
          // And the disassembler's text must not be claimed by another form (x86 C1 /5 with a
          // count of 1 prints as `SHR eax, 1`, which is D1 /5, as in GNU as).
          const again = assemble(isa, line.text, 'again.s');
          return (
            again.ok &&
            disassemble(
              isa,
              again.program.segments.flatMap((s) => s.words),
              0,
            )[0]?.instruction === w.a.instr.mnemonic
          );
        })
    );
  });
}

export function roundTrip(isa: Isa, runs = 200): void {
  fc.assert(
    fc.property(fc.array(arbInstruction(isa), { minLength: 1, maxLength: 12 }), (prog) => {
      let at = 0;
      const src = prog.map((w) => '  ' + w.text((at += w.a.words) - w.a.words)).join('\n');
      const r = assemble(isa, src, 'rt.s');
      if (!r.ok) throw new Error(r.diagnostics.map((d) => formatAsmDiagnostic(d, src)).join('\n'));
      const words = r.program.segments.flatMap((s) => s.words);
      const back = disassemble(isa, words, r.program.segments[0]!.address);
      expect(back.map((l) => l.instruction)).toEqual(prog.map((w) => w.a.instr.mnemonic));
      expect(back.map((l) => l.operands)).toEqual(prog.map((w) => Object.fromEntries(w.values)));
      // The disassembler's own text assembles to the same words.
      const again = assemble(isa, back.map((l) => l.text).join('\n'), 'again.s');
      expect(again.ok && again.program.segments.flatMap((s) => s.words)).toEqual(words);
    }),
    { numRuns: runs },
  );
}
