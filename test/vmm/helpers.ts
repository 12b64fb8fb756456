import { loadIsaFile } from '../../src/ir/index.js';
import type { Isa } from '../../src/ir/types.js';
import { assemble, type Program } from '../../src/asm/index.js';

const cache = new Map<string, Isa>();

export async function spec(name: string): Promise<Isa> {
  let isa = cache.get(name);
  if (!isa) {
    const r = await loadIsaFile(`isas/${name}.isa`);
    if (!r.ok) throw new Error(`isas/${name}.isa does not load: ${r.diagnostics.map((d) => d.message).join('; ')}`);
    isa = r.isa;
    cache.set(name, isa);
  }
  return isa;
}

export function asm(isa: Isa, text: string, file = 'guest.s'): Program {
  const r = assemble(isa, text, file);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.message}`).join('\n'));
  return r.program;
}

/** pg.isa: the new PSW (E[4..5]) enters `handler` in supervisor mode with the whole storage. */
export const PG_PRELUDE = `
        .kernel
        .org 4
newpsw: .word 0x00010000 + handler, 0x0000ffff
`;

/** A kernel that drops to user mode with LPSW; the user program adds and calls SVC 9; the
 *  handler records the trap number and the old PSW and halts. */
export const PG_LPSW_SVC = `${PG_PRELUDE}
        .org 0x10
start:  LOADI r1, 5
        LOADI r2, 7
        LPSW [upsw]
handler: LOAD r5, [2]
        STORE r5, [0x300]
        LOAD r6, [0]
        STORE r6, [0x301]
        HALT
upsw:   .word user, 0x0000ffff
        .user
        .org 0x100
user:   ADD r1, r2
        STORE r1, [0x302]
        SVC 9
        .entry start
`;

/** A kernel in kseg0 drops to user code with ERET; the user's SYSCALL enters the kseg0 vector,
 *  which records CAUSE and EPC and stops. */
export const MIPS_KERNEL = `
        .kernel
        .org 0x8000
start:  ADDIU r1, r0, 0x100
        MTC0 r1, 1
        ADDIU r2, r0, 8
        MTC0 r2, 0
        ERET
        .org 0x8080
vector: MFC0 r3, 2
        SW r3, 0x8200(r0)
        MFC0 r4, 1
        SW r4, 0x8201(r0)
        WAIT
        .user
        .org 0x100
user:   ADDIU r5, r0, 7
        ADDU r5, r5, r5
        SW r5, 0x300(r0)
        SYSCALL
        .entry start
`;
