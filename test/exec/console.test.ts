// The console (`console S at A;`): every byte stored at the console's address is the run's output,
// in the compiled machine, in the reference interpreter and under the monitors, at the guest's own
// address; a store undone by a later trap of the same instruction is not output; the store still
// writes the storage (the analysis sees an ordinary store). Also the front end: formatter and JSON.
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { createMachine } from '../../src/exec/machine.js';
import { loadProgram } from '../../src/asm/index.js';
import { resetState, stepInstruction } from '../../src/exec/interpret.js';
import type { ConcreteState } from '../../src/exec/state.js';
import { exportIsaJson, parseIsaJson, parseIsaText } from '../../src/ir/index.js';
import { formatSpec } from '../../src/ir/format.js';
import { renderIsaDoc } from '../../src/doc/index.js';
import type { Isa } from '../../src/ir/types.js';
import { GuestSession } from '../../src/vmm/index.js';

/** A byte machine with an I/O memory and a view that adds 0x80; `console` is the declaration. */
const specText = (console: string): string => `isa con;
memory E : 8 [256];
memory IO : 8 [16];
register PC : 8;
register M : 1 mode;
registers r[4] : 8;
translate up(a : 8) : 8 {
  return a + 0x80;
}
view V = E via up;
modes {
  sup when M == 1;
  usr when M == 0;
}
fetch E at PC;
${console}
trap priv kind privilege vector 1;
trap entry {
  M = 1;
  PC = 0xf0;
}
reset {
  M = 1;
  PC = 0;
}
instruction LI(s : reg r, k : imm 8) {
  syntax "LI {s}, {k}";
  encoding 0b000001:6 s k;
  semantics {
    r[s] = k;
  }
}
instruction OUT(n : imm 4, s : reg r) {
  syntax "OUT {n}, {s}";
  encoding 0b000010:6 s 0:4 n;
  semantics {
    IO[zext(n, 4)] = r[s];
  }
}
instruction OUTW(n : imm 4, s : reg r) {
  syntax "OUTW {n}, {s}";
  encoding 0b000011:6 s 0:4 n;
  semantics {
    IO[zext(n, 4), 2] = r[s] ++ zext(0x21, 8);
  }
}
instruction OUTT(n : imm 4, s : reg r) {
  syntax "OUTT {n}, {s}";
  encoding 0b000100:6 s 0:4 n;
  semantics {
    IO[zext(n, 4)] = r[s];
    if M == 0 {
      trap priv;
    }
  }
}
instruction SV(a : imm 8, s : reg r) {
  syntax "SV {a}, {s}";
  encoding 0b000101:6 s a;
  semantics {
    V[a] = r[s];
  }
}
instruction USER() {
  syntax "USER";
  encoding 0x18:8;
  semantics {
    M = 0;
  }
}
instruction HALT() {
  syntax "HALT";
  encoding 0xff:8;
  semantics {
    halt;
  }
}
`;

function load(console: string): Isa {
  const r = parseIsaText(specText(console), 'con.isa');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.code} ${d.message}`).join('\n'));
  return r.isa;
}

function program(isa: Isa, lines: string[]) {
  const r = assemble(isa, ['.kernel', '.org 0', ...lines, '.org 0xf0', 'HALT', ''].join('\n'), 'p.s');
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics[0]));
  return r.program;
}

const text = (bytes: Uint8Array | number[]) => String.fromCharCode(...bytes);

/** The interpreter's run: every step's output, concatenated, until a halt. */
function interpreted(isa: Isa, start: ConcreteState): { out: number[]; state: ConcreteState } {
  let s = start;
  const out: number[] = [];
  for (let i = 0; i < 100; i++) {
    const r = stepInstruction(isa, s);
    if (r.kind === 'stuck') throw new Error(r.message);
    if (r.kind === 'done' || r.kind === 'halt') out.push(...(r.output ?? []));
    s = r.state;
    if (r.kind === 'halt') return { out, state: s };
  }
  throw new Error('no halt');
}

const HELLO = ['LI r1, 0x68', 'OUT 3, r1', 'LI r1, 0x69', 'OUT 3, r1', 'OUT 2, r1', 'OUTW 2, r1', 'HALT'];

describe('console on a memory word', () => {
  const isa = load('console IO at 3;');

  it('the compiled machine appends each byte stored at the address, and only those', () => {
    const m = createMachine(isa);
    const p = program(isa, HELLO);
    for (const s of p.segments) s.words.forEach((w, i) => m.writeMem('E', s.address + i, w));
    m.pc = 0n;
    expect(m.run().kind).toBe('halted');
    // OUT 2 is not the console; OUTW 2 stores two words, the second (the high byte) at 3.
    expect(text(m.output)).toBe('hii');
    expect(m.readMem('IO', 3)).toBe(0x69n); // the storage is written too
    m.reset();
    expect(m.output.length).toBe(0);
  });

  it('the reference interpreter gives the same output', () => {
    const p = program(isa, HELLO);
    const r = interpreted(isa, loadProgram(isa, p, resetState(isa), { setPc: true }));
    expect(text(r.out)).toBe('hii');
  });

  it('a store that a later trap of the same instruction undoes is not output', () => {
    const p = program(isa, ['LI r1, 0x41', 'OUTT 3, r1', 'USER', 'LI r1, 0x42', 'OUTT 3, r1', 'HALT']);
    const m = createMachine(isa);
    for (const s of p.segments) s.words.forEach((w, i) => m.writeMem('E', s.address + i, w));
    m.pc = 0n;
    expect(m.run().kind).toBe('halted');
    // The second OUTT runs in usr, traps (its store is undone) and the entry halts at 0xf0.
    expect(text(m.output)).toBe('A');
    expect(m.readMem('IO', 3)).toBe(0x41n);
    const r = interpreted(isa, loadProgram(isa, p, resetState(isa), { setPc: true }));
    expect(text(r.out)).toBe('A');
  });

  it('under the trap monitor the guest kernel prints through its own console: emulated stores are output too', () => {
    // The kernel runs in the real usr mode: OUTT traps there and the monitor emulates it in the
    // virtual sup mode, where it does not trap; OUT and OUTW run directly.
    const p = program(isa, ['LI r1, 0x6f', 'OUTT 3, r1', 'LI r1, 0x6b', 'OUT 3, r1', 'HALT']);
    const native = new GuestSession(isa, 'none', { program: p });
    const vm = new GuestSession(isa, 'trap', { program: p });
    const a = native.result(native.run());
    const b = vm.result(vm.run());
    expect(text(a.output)).toBe('ok');
    expect(text(b.output)).toBe('ok');
    expect(b.stats.emulated).toBeGreaterThan(0);
  });
});

describe('console on a view', () => {
  const isa = load('console V at 0x10;');

  it('is the address the program writes, before the translation', () => {
    const p = program(isa, ['LI r2, 0x7a', 'SV 0x10, r2', 'SV 0x90, r2', 'HALT']);
    const m = createMachine(isa);
    for (const s of p.segments) s.words.forEach((w, i) => m.writeMem('E', s.address + i, w));
    m.pc = 0n;
    m.run();
    // V[0x10] is E[0x90] and prints; V[0x90] is E[0x10] and does not.
    expect(text(m.output)).toBe('z');
    expect(m.readMem('E', 0x90)).toBe(0x7an);
    const r = interpreted(isa, loadProgram(isa, p, resetState(isa), { setPc: true }));
    expect(text(r.out)).toBe('z');
  });
});

describe('console in the front end', () => {
  it('the formatter prints the declaration and the JSON form carries it', () => {
    const f = formatSpec(specText('console   IO at 0x3 ;'), 'con.isa');
    expect(f.ok && f.text.includes('\nconsole IO at 0x3;\n')).toBe(true);
    const isa = load('/// The UART.\nconsole IO at 3;');
    expect(isa.console).toMatchObject({ space: 'IO', address: 3, doc: 'The UART.' });
    const back = parseIsaJson(exportIsaJson(isa), 'con.isa.json');
    expect(back.diagnostics).toEqual([]);
    expect(back.isa?.console).toMatchObject({ space: 'IO', address: 3, doc: 'The UART.' });
    expect(load('').console).toBeUndefined();
    // The reference document names it.
    expect(renderIsaDoc(isa, undefined, { format: 'markdown' })).toContain('console: the byte stored at `IO[0x3]`');
  });
});
