// Co-simulation of riscv.isa in S-mode against qemu-system-riscv32 -machine virt -bios none: the
// instructions whose outcome at S depends on privilege (CSR accesses with TVM, SRET with TSR,
// SFENCE.VMA with TVM, WFI with TW, MRET, ECALL, EBREAK), with traps to M or, delegated, to S; and
// the same instructions in U-mode under system QEMU, where they trap (illegal, or ECALL and EBREAK) to
// M or, delegated, to S. See lib/riscv-smode.ts for the harness and for what is compared.

import { afterAll, describe, expect, it } from 'vitest';
import { editedSpec } from './lib/cosim.js';
import { covers, cosimulate, TOOLS } from './lib/riscv-smode.js';
import { loadSpec } from './lib/spec.js';
import { needTools, scratchDir } from './lib/tools.js';

const missing = needTools('qemu co-simulation (riscv.isa, S-mode)', TOOLS);
const SEED = Number(process.env.ISAVIRT_COSIM_SEED ?? 0x5eed0005);
const PER_INSTRUCTION = Number(process.env.ISAVIRT_COSIM_N ?? 30);

describe.skipIf(missing !== undefined)('riscv.isa against qemu-system-riscv32 (S-mode and U-mode traps)', () => {
  const scratch = scratchDir('cosim-riscv-smode');
  afterAll(() => scratch.remove());

  it('the privilege-dependent instructions agree with QEMU in S-mode, traps and delegation included', () => {
    const t0 = Date.now();
    const isa = loadSpec('riscv');
    const r = cosimulate(isa, { seed: SEED, perInstruction: PER_INSTRUCTION, perInstructionU: 10, dir: scratch.dir });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(
      `riscv.isa vs qemu-system-riscv32 (S-mode, U-mode traps): ${r.compared} instances of ${r.count.size} instructions co-simulated ` +
        `(seed 0x${SEED.toString(16)}), ${r.mismatches.length} mismatches, ${secs} s; ` +
        [...r.outcomes]
          .sort()
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
    );
    for (const m of [...r.stopped, ...r.mismatches.slice(0, 30)]) console.log(m);
    expect(r.stopped).toEqual([]);
    expect(r.mismatches.slice(0, 20), `${r.mismatches.length} mismatches`).toEqual([]);
    expect([...r.count.keys()].sort()).toEqual(
      isa.instructions
        .map((i) => i.mnemonic)
        .filter(covers)
        .sort(),
    );
  }, 300_000);

  it('catches a missing privilege check: SRET without TSR, satp at S without TVM', () => {
    const wrong = editedSpec('riscv', scratch.dir, (text) =>
      text
        .replace('if priv == 0 || (priv == 1 && mstatus.TSR == 1) {', 'if priv == 0 {')
        .replace(
          /if csr == 0x180 && priv == 1 && mstatus\.TVM == 1 \{\n\s*trap illegal_instruction; \/\/ P 3\.1\.6\.5: TVM traps satp accesses in S-mode\n\s*\}/,
          '',
        ),
    );
    const r = cosimulate(wrong, { seed: SEED, perInstruction: 150, only: ['SRET', 'CSRRW', 'CSRRS'], dir: scratch.dir });
    expect([...new Set(r.mismatches.map((m) => m.split(' ')[0]))].sort()).toEqual(['CSRRW', 'SRET']);
  }, 300_000);
});
