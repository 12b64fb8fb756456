// The assembler against the real specs in isas/, through the front end.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadIsaFile } from '../../src/ir/index.js';
import type { Isa } from '../../src/ir/types.js';
import { assemble, disassembleProgram, formatAsmDiagnostic } from '../../src/asm/index.js';
import { pgFixture } from './fixture.js';
import { roundTrip } from './gen.js';

function load(path: string): Isa {
  const r = loadIsaFile(path);
  if (!r.ok)
    throw new Error(
      `${path}: ${r.diagnostics
        .slice(0, 3)
        .map((d) => `${d.code} ${d.message}`)
        .join('; ')}`,
    );
  return r.isa;
}

const specs = readdirSync('isas')
  .filter((f) => f.endsWith('.isa'))
  .map((f) => `isas/${f}`);

describe('isas/pg.isa', () => {
  const pg = load('isas/pg.isa');

  it('agrees with the hand-built fixture the other tests use', () => {
    const shape = (isa: Isa) =>
      isa.instructions.map((i) => ({
        mnemonic: i.mnemonic,
        operands: i.operands.map((o) => ({ name: o.name, kind: o.kind, width: o.width, file: o.file })),
        encoding: { width: i.encoding.width, mask: BigInt(i.encoding.mask), match: BigInt(i.encoding.match) },
        syntax: i.syntax.map((p) => (p.k === 'text' ? p.text : `{${p.name}}`)).join(''),
      }));
    expect(shape(pg)).toEqual(shape(pgFixture));
  });

  it('assembles the example of grammar/ASSEMBLY.md to the words its encodings give', () => {
    const src = readFileSync('grammar/ASSEMBLY.md', 'utf8').split('```')[1]!;
    const r = assemble(pg, src, 'ASSEMBLY.md');
    if (!r.ok) throw new Error(r.diagnostics.map((d) => formatAsmDiagnostic(d, src)).join('\n'));
    expect(r.program.segments.map((s) => [s.address, s.section, s.words.map((w) => w.toString(16))])).toEqual([
      [0x10, 'kernel', ['310000a', '1510ffff', '22100011', '40000014', '100', '1000ffff']],
      [0x100, 'user', ['41', '12', '68', '69', '0', '0', '0', '0']],
    ]);
    expect(r.program.entry).toBe(0x10);
    expect(
      disassembleProgram(pg, r.program)
        .slice(0, 4)
        .map((l) => l.text),
    ).toEqual(['LOADI r1, 0xa', 'ADDI r1, -1', 'JNZ r1, loop', 'LPSW [psw]']);
  });
});

function tryLoad(path: string): Isa | string {
  try {
    return load(path);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

for (const path of specs) {
  const isa = tryLoad(path);
  const dir = path.replace(/\.isa$/, '');
  const programs = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.s')) : [];
  describe(path, () => {
    if (typeof isa === 'string') {
      // A spec still being written: nothing to assemble for yet.
      it.skip(`does not load yet: ${isa.slice(0, 200)}`, () => {});
      return;
    }
    it('round-trips random instructions through text and words', () => {
      roundTrip(isa, 100);
    });
    for (const prog of programs) {
      it(`assembles its guest program ${prog}`, () => {
        const src = readFileSync(`${dir}/${prog}`, 'utf8');
        const r = assemble(isa, src, `${dir}/${prog}`);
        if (!r.ok) throw new Error(r.diagnostics.map((d) => formatAsmDiagnostic(d, src)).join('\n'));
        expect(r.program.segments.length).toBeGreaterThan(0);
        // What the assembler emitted for each instruction line disassembles to an instruction.
        const byAddr = new Map(disassembleProgram(isa, r.program).map((l) => [l.address, l]));
        for (const l of r.program.lines) expect(byAddr.has(l.address)).toBe(true);
      });
    }
  });
}
