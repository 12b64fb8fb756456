// Co-simulation of riscv.isa against QEMU (qemu-riscv32, Linux user mode, -cpu rv32,c=false):
// every instruction a U-mode program can execute, on random register and memory states, one
// instruction per instance; every x register, the pc and the memory window must agree. The
// instructions that trap in U-mode (the CSR accesses, MRET, SRET, WFI, SFENCE.VMA, EBREAK, a jump or
// taken branch to a target that is not 4-byte aligned) and ECALL must trap, or call the environment,
// as QEMU's user mode shows it: a signal, an abort naming the exception, the exit system call.
// The harness is described in lib/riscv.ts.
//
// Not generated: misaligned loads and stores. U 2.6 leaves them to the execution environment ("have
// behavior dependent on the EEI"): QEMU's Linux user mode performs them, riscv.isa raises the
// address-misaligned exception; both are allowed.

import { afterAll, describe, expect, it } from 'vitest';
import { editedSpec } from './lib/cosim.js';
import { cosimulate, TOOLS } from './lib/riscv.js';
import { loadSpec } from './lib/spec.js';
import { needTools, scratchDir } from './lib/tools.js';

const missing = needTools('qemu co-simulation (riscv.isa)', TOOLS);
const SEED = Number(process.env.ISAVIRT_COSIM_SEED ?? 0x5eed0011);
const PER_INSTRUCTION = Number(process.env.ISAVIRT_COSIM_N ?? 40);

describe.skipIf(missing !== undefined)('riscv.isa against qemu-riscv32 (U-mode)', () => {
  const scratch = scratchDir('cosim-riscv');
  afterAll(() => scratch.remove());

  it('every U-mode instruction agrees with QEMU on random states', () => {
    const t0 = Date.now();
    const isa = loadSpec('riscv');
    const r = cosimulate(isa, { seed: SEED, perInstruction: PER_INSTRUCTION, perTrapping: 2, misaligned: 2, dir: scratch.dir });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(
      `riscv.isa vs qemu-riscv32: ${r.compared} instances of ${r.count.size} instructions co-simulated ` +
        `(seed 0x${SEED.toString(16)}), ${r.mismatches.length} mismatches, ${secs} s; ` +
        [...r.outcomes]
          .sort()
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
    );
    expect(r.uncovered, 'instructions of riscv.isa the co-simulation has no generator for').toEqual([]);
    expect(r.mismatches.slice(0, 20), `${r.mismatches.length} mismatches`).toEqual([]);
    expect([...r.count.keys()].sort()).toEqual(isa.instructions.map((i) => i.mnemonic).sort());
  }, 300_000);

  it('catches a wrong semantics: SRAI written as a logical shift, SLTIU as signed, SB storing a word', () => {
    const wrong = editedSpec('riscv', scratch.dir, (text) =>
      text
        .replace('x[rd] = x[rs1] >>> sh;', 'x[rd] = x[rs1] >> sh;')
        .replace('x[rd] = zext(x[rs1] < sext(k, 32), 32);', 'x[rd] = zext(slt(x[rs1], sext(k, 32)), 32);')
        .replace('S[x[rs1] + sext(off, 32)] = x[rs2][7..0];', 'S[x[rs1] + sext(off, 32), 2] = x[rs2][15..0];'),
    );
    const only = ['SRAI', 'SLTIU', 'SB', 'ADDI'];
    const r = cosimulate(wrong, { seed: SEED, perInstruction: 40, perTrapping: 0, misaligned: 0, only, dir: scratch.dir });
    const bad = new Set(r.mismatches.map((m) => m.split(' ')[0]));
    expect([...bad].sort()).toEqual(['SB', 'SLTIU', 'SRAI']);
  }, 300_000);
});
