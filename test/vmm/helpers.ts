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
