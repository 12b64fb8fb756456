// Co-simulation of m68000.isa against QEMU (qemu-m68k -cpu m68000, Linux user mode): every
// instruction on random register, condition-code and memory states, one instruction per instance;
// D0-D7, A0-A7, SR, where the PC went and the memory window must agree. Among them the famous one:
// MOVE from SR, not privileged on the 68000, showing S = 0 to a user-state program. The privileged
// instructions must raise the privilege violation (vector 8), TRAP #0 must be the system call and
// the other exceptions must be what QEMU's user mode shows for their vectors.
//
// QEMU 7.2 itself fails on MOVE to SR with the 68000 model (an internal assertion); those instances
// are reported as not co-simulated. Not generated: word and long accesses at odd addresses (the 68000's address error, which QEMU
// does not model), and the CCR bits the PRM leaves undefined (CHK's N, Z, V, C; DIVU's N and Z on
// overflow).

import { afterAll, describe, expect, it } from 'vitest';
import { cosimulate, TOOLS } from './lib/m68k.js';
import { loadSpec } from './lib/spec.js';
import { needTools, scratchDir } from './lib/tools.js';

const missing = needTools('qemu co-simulation (m68000.isa)', TOOLS);
const SEED = Number(process.env.ISAVIRT_COSIM_SEED ?? 0x5eed68000);
const PER_INSTRUCTION = Number(process.env.ISAVIRT_COSIM_N ?? 40);

describe.skipIf(missing !== undefined)('m68000.isa against qemu-m68k -cpu m68000 (user state)', () => {
  const scratch = scratchDir('cosim-m68k');
  afterAll(() => scratch.remove());

  it('every instruction agrees with QEMU in user state on random states', () => {
    const t0 = Date.now();
    const isa = loadSpec('m68000');
    const r = cosimulate(isa, { seed: SEED, perInstruction: PER_INSTRUCTION, perTrapping: 2, dir: scratch.dir });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(
      `m68000.isa vs qemu-m68k: ${r.compared} instances of ${r.count.size} instructions co-simulated ` +
        `(seed 0x${SEED.toString(16)}), ${r.mismatches.length} mismatches, ${secs} s; ` +
        [...r.outcomes]
          .sort()
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
    );
    for (const m of r.mismatches.slice(0, 30)) console.log(m);
    for (const [m, why] of r.qemuBugs) console.log(`not co-simulated: ${m}: QEMU fails on it (${why})`);
    expect(r.mismatches.slice(0, 20), `${r.mismatches.length} mismatches`).toEqual([]);
    // QEMU 7.2 (Debian 12) aborts on MOVE to SR with -cpu m68000 ("insn_opsize: code should not be
    // reached"); only those may be missing, and only while QEMU fails on them.
    expect([...r.qemuBugs.keys()].filter((m) => !['MOVE_TO_SR', 'MOVE_TO_SR_I'].includes(m))).toEqual([]);
    expect([...new Set([...r.count.keys(), ...r.qemuBugs.keys()])].sort()).toEqual(isa.instructions.map((i) => i.mnemonic).sort());
  }, 300_000);
});
