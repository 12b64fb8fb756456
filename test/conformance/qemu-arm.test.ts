// Co-simulation of armv7.isa against QEMU (qemu-arm -cpu cortex-a15, Linux user mode): every
// instruction a User-mode program can execute with a defined result, on random register, flag and
// memory states, one instruction per instance; r0-r14, the CPSR bits the spec models, the pc and the
// memory window must agree. Among them the famous ones: MRS CPSR showing the mode (0x10) to User
// mode, CPS/CPSID/CPSIE doing nothing there, MSR CPSR writing only the flags. CP15 accesses (MCR,
// MRC) must be Undefined (SIGILL) and SVC #0 the system call. Not run: the instructions the
// architecture makes UNPREDICTABLE in User mode, and WFI (lib/arm.ts, NOT_RUN).

import { afterAll, describe, expect, it } from 'vitest';
import { cosimulate, NOT_RUN, TOOLS } from './lib/arm.js';
import { loadSpec } from './lib/spec.js';
import { needTools, scratchDir } from './lib/tools.js';

const missing = needTools('qemu co-simulation (armv7.isa)', TOOLS);
const SEED = Number(process.env.ISAVIRT_COSIM_SEED ?? 0x5eed0a7);
const PER_INSTRUCTION = Number(process.env.ISAVIRT_COSIM_N ?? 40);

describe.skipIf(missing !== undefined)('armv7.isa against qemu-arm (User mode)', () => {
  const scratch = scratchDir('cosim-arm');
  afterAll(() => scratch.remove());

  it('every User-mode instruction agrees with QEMU on random states', () => {
    const t0 = Date.now();
    const isa = loadSpec('armv7');
    const r = cosimulate(isa, { seed: SEED, perInstruction: PER_INSTRUCTION, dir: scratch.dir });
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(
      `armv7.isa vs qemu-arm: ${r.compared} instances of ${r.count.size} instructions co-simulated ` +
        `(seed 0x${SEED.toString(16)}), ${r.mismatches.length} mismatches, ${secs} s; ` +
        [...r.outcomes]
          .sort()
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') +
        `; not run: ${r.notRun.join(', ')}`,
    );
    for (const m of r.mismatches.slice(0, 30)) console.log(m);
    expect(r.mismatches.slice(0, 20), `${r.mismatches.length} mismatches`).toEqual([]);
    const all = isa.instructions.map((i) => i.mnemonic);
    expect([...r.count.keys()].sort()).toEqual(all.filter((m) => !NOT_RUN[m]).sort());
  }, 300_000);
});
