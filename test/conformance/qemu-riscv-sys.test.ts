// Co-simulation of riscv.isa's CSR instructions in M-mode against qemu-system-riscv32 -machine virt
// -bios none: every csrrw/csrrs/csrrc (and immediate) form on every machine and supervisor CSR the
// spec models, on random register and CSR states. See lib/riscv-sys.ts for the harness and for what
// is compared (the bits riscv.isa implements) and what is not generated. Also ECALL and EBREAK (the
// trap entry: mepc, mcause, MPP, MPIE, MIE, pc = mtvec) and MRET back to M-mode.

import { afterAll, describe, expect, it } from 'vitest';
import { editedSpec } from './lib/cosim.js';
import { cosimulate, TOOLS } from './lib/riscv-sys.js';
import { loadSpec } from './lib/spec.js';
import { needTools, scratchDir } from './lib/tools.js';

const missing = needTools('qemu co-simulation (riscv.isa, M-mode)', TOOLS);
const SEED = Number(process.env.ISAVIRT_COSIM_SEED ?? 0x5eed0003);
const PER_INSTRUCTION = Number(process.env.ISAVIRT_COSIM_N ?? 60);

describe.skipIf(missing !== undefined)('riscv.isa against qemu-system-riscv32 (M-mode CSR instructions)', () => {
  const scratch = scratchDir('cosim-riscv-sys');
  afterAll(() => scratch.remove());

  it('every CSR instruction agrees with QEMU in M-mode on random states', () => {
    const t0 = Date.now();
    const isa = loadSpec('riscv');
    const r = cosimulate(isa, { seed: SEED, perInstruction: PER_INSTRUCTION, dir: scratch.dir });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(
      `riscv.isa vs qemu-system-riscv32 (M-mode): ${r.compared} instances of ${r.count.size} instructions co-simulated ` +
        `(seed 0x${SEED.toString(16)}), ${r.mismatches.length} mismatches, ${secs} s`,
    );
    for (const m of [...r.stopped, ...r.mismatches.slice(0, 30)]) console.log(m);
    expect(r.stopped).toEqual([]);
    expect(r.mismatches.slice(0, 20), `${r.mismatches.length} mismatches`).toEqual([]);
    expect([...r.count.keys()].sort()).toEqual(
      isa.instructions
        .map((i) => i.mnemonic)
        .filter((m) => /^CSRR[WSC]I?$/.test(m) || ['ECALL', 'EBREAK', 'MRET'].includes(m))
        .sort(),
    );
  }, 300_000);

  it('catches a wrong write mask: csrrw.m writing mie without MEIE/SEIE', () => {
    // The first write of mie after CSRRW's own definition: CSRRW's M-level case.
    const wrong = editedSpec('riscv', scratch.dir, (text) => {
      const at = text.indexOf('instruction CSRRW(');
      return text.slice(0, at) + text.slice(at).replace('mie = v & 0x00000AAA;', 'mie = v & 0x000000AA;');
    });
    const r = cosimulate(wrong, { seed: SEED, perInstruction: 200, only: ['CSRRW', 'CSRRS'], dir: scratch.dir });
    expect(r.mismatches.length).toBeGreaterThan(0);
    expect([...new Set(r.mismatches.map((m) => m.split(' ')[0]))]).toEqual(['CSRRW']);
  }, 300_000);
});
