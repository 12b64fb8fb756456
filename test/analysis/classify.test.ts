import { beforeAll, describe, expect, it } from 'vitest';
import { parseIsaText, type Isa } from '../../src/ir/index.js';
import {
  analyzeIsa,
  explainInstruction,
  operandsOfWitness,
  statesOfWitness,
  type Evidence,
  type InstructionClassification,
  type IsaAnalysis,
} from '../../src/analysis/index.js';
import { runSemantics } from '../../src/exec/interpret.js';

// A small machine in the spirit of Popek and Goldberg's: mode bit M, relocation-bounds register R
// (control), a flags register F with an interrupt-enable bit and an I/O privilege level (control).
const PRELUDE = `
isa t;
endian big;
memory E : 16 [256];
register M : 1 mode;
register P : 8;
register F : 8 {
  ie = 0 control;
  iopl = 2..1 control;
  cf = 7;
}
register R : 16 control {
  base = 15..8;
  bound = 7..0;
}
register T : 32 clock;
registers r[4] : 16;
modes {
  sup when M == 1;
  user when M == 0;
}
translate rel(a : 8) : 8 {
  if a >= R.bound {
    trap mt;
  }
  return a + R.base;
}
view V = E via rel;
fetch V at P;
trap pt kind privilege vector 1;
trap mt kind memory vector 2;
`;

let op = 0;
function instr(name: string, operands: string, enc: string, body: string, claims = ''): string {
  op++;
  return `instruction ${name}(${operands}) {\n  encoding ${op}:8 ${enc};\n${claims ? `  claims ${claims};\n` : ''}  semantics {\n${body}\n  }\n}\n`;
}

const INSTRS = [
  // Reads the mode but does the same thing in both modes.
  instr(
    'MOVE',
    'rd : reg r, rs : reg r',
    'rd:2 rs:2 0:4',
    `
    if M == 0 { r[rd] = r[rs]; } else { r[rd] = r[rs]; }`,
    'innocuous',
  ),
  // Traps in user mode only when the I/O privilege level is below 3.
  instr(
    'CLI',
    '',
    '0:8',
    `
    if M == 0 && F.iopl < 3 { trap pt; }
    F.ie = 0;`,
  ),
  // Reads memory through relocation only.
  instr(
    'LOAD',
    'rd : reg r, a : addr 8',
    'rd:2 0:14 a:8',
    `
    r[rd] = V[a];`,
  ),
  // Writes a control field and restores it on every path.
  instr(
    'FIDDLE',
    'rs : reg r',
    'rs:2 0:6',
    `
    let old = R.base;
    R.base = r[rs][7..0];
    if r[rs] == 7 { r[0] = 1; R.base = old; } else { R.base = old; }`,
    'not control-sensitive',
  ),
  // POPF: the write to F.ie is silently dropped in user mode.
  instr(
    'POPF',
    'rs : reg r',
    'rs:2 0:6',
    `
    F.cf = r[rs][7];
    if M == 1 { F.ie = r[rs][0]; }`,
    'innocuous',
  ),
  // The 386's POPF rule: IF changes only when the I/O privilege level allows it (no trap).
  instr(
    'POPFIO',
    'rs : reg r',
    'rs:2 0:6',
    `
    if M == 1 || F.iopl == 3 { F.ie = r[rs][0]; }`,
  ),
  // Returns the mode bit.
  instr(
    'GETMODE',
    'rd : reg r',
    'rd:2 0:6',
    `
    r[rd] = zext(M, 16);`,
  ),
  // Reads the relocation register.
  instr(
    'GETR',
    'rd : reg r',
    'rd:2 0:6',
    `
    r[rd] = R;`,
  ),
  // JRST 1: return to user mode; a no-op in user mode.
  instr(
    'JRST1',
    '',
    '0:8',
    `
    if M == 1 { M = 0; }`,
  ),
  // Reads the clock.
  instr(
    'RDCLK',
    'rd : reg r',
    'rd:2 0:6',
    `
    r[rd] = T[15..0];`,
  ),
  // Properly privileged write of R.
  instr(
    'SETR',
    'rs : reg r',
    'rs:2 0:6',
    `
    if M == 0 { trap pt; }
    R = r[rs];`,
    'privileged, control-sensitive',
  ),
  // Plain arithmetic.
  instr(
    'ADD',
    'rd : reg r, rs : reg r',
    'rd:2 rs:2 0:4',
    `
    r[rd] = r[rd] + r[rs];`,
  ),
];

function load(text: string): Isa {
  const r = parseIsaText(text, 'inline.isa');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => JSON.stringify(d)).join('\n'));
  return r.isa;
}

function witnesses(c: InstructionClassification): Evidence[] {
  return [c.privileged.evidence, c.controlSensitive.evidence, c.modeSensitive.evidence, c.locationSensitive.evidence, c.userSensitive.evidence].filter(
    (e) => e.k === 'witness',
  );
}

/** Every witness in an analysis replays on the interpreter from its JSON form too. */
function checkWitnesses(isa: Isa, a: IsaAnalysis): void {
  expect(a.errors).toEqual([]);
  for (const c of a.instructions) {
    for (const e of witnesses(c)) {
      if (e.k !== 'witness') continue;
      expect(e.witness.replayed).toBe(true);
      const instr = isa.instructions.find((i) => i.mnemonic === c.mnemonic)!;
      const states = statesOfWitness(isa, e.witness);
      const ops = operandsOfWitness(e.witness);
      states.forEach((s, i) => {
        const o = runSemantics(isa, s, instr, ops, s.regs.P ?? 0n);
        expect(o.kind).toBe(e.witness.outcomes[i]!.kind);
      });
    }
  }
}

describe('classification of a small machine', () => {
  let isa: Isa;
  let a: IsaAnalysis;
  const get = (m: string) => a.instructions.find((i) => i.mnemonic === m)!;

  beforeAll(async () => {
    isa = load(PRELUDE + INSTRS.join('\n'));
    a = await analyzeIsa(isa);
  });

  it('replays every witness, and the JSON form of each replays too', () => {
    checkWitnesses(isa, a);
    expect(a.stats.instructions).toBe(INSTRS.length);
  });

  it('an instruction that reads the mode but acts the same in every mode is innocuous (solver proof)', () => {
    const c = get('MOVE');
    expect(c.effects.readsMode).toBe(true);
    expect(c.modeSensitive.value).toBe('no');
    expect(c.modeSensitive.evidence.k).toBe('proof');
    expect(c.innocuous).toBe('yes');
    expect(c.claimFindings).toEqual([]);
  });

  it('a user-mode trap that depends on a control field is not privileged: some user-mode state runs it', () => {
    // Privileged means trapping in *every* guest-mode state (DESIGN.md); with IOPL 3 CLI completes
    // in user mode. `conditional` now names a split of the instances by operands, not by state.
    const c = get('CLI');
    expect(c.privileged.value).toBe('no');
    expect(c.privileged.evidence.k).toBe('witness');
    expect(c.privileged.evidence.text).toContain('it traps only when M == 0 && F.iopl < 3');
    expect(c.controlSensitive.value).toBe('yes');
    expect(c.userSensitive.value).toBe('yes');
    // The user-mode witness has IOPL = 3.
    const w = c.userSensitive.evidence.k === 'witness' ? c.userSensitive.evidence.witness : undefined;
    expect(w?.states[0]!.mode).toBe('user');
    expect((BigInt(w!.states[0]!.values.F!) >> 1n) & 3n).toBe(3n);
  });

  it('reading memory only through relocation is not location sensitive', () => {
    const c = get('LOAD');
    expect(c.effects.readsControl).toBe(true);
    expect(c.effects.controlReads).toEqual(['R.base', 'R.bound']);
    expect(c.locationSensitive.value).toBe('no');
    // R is read only inside the translation: the relocation argument is syntactic.
    expect(c.locationSensitive.evidence.k).toBe('syntactic');
    expect(c.effects.directControlReads).toEqual([]);
    expect(c.innocuous).toBe('yes');
    expect(c.effects.traps).toEqual([{ trap: 'mt', kind: 'memory', condition: 'a >= R.bound' }]);
  });

  it('a control write restored on every path is not a change', () => {
    const c = get('FIDDLE');
    expect(c.effects.writesControl).toBe(true);
    expect(c.controlSensitive.value).toBe('no');
    expect(c.controlSensitive.evidence.k).toBe('proof');
    expect(c.sensitive).toBe('no');
  });

  it('POPF: the dropped IF write in user mode is mode-sensitive, but mode-sensitivity alone is not user-sensitivity', () => {
    const c = get('POPF');
    expect(c.modeSensitive.value).toBe('yes');
    expect(c.controlSensitive.value).toBe('yes');
    // In user mode it never changes F.ie and reads no control state: under a hybrid monitor the
    // guest's user mode runs in the real user mode, so nothing can tell it from the virtual machine.
    expect(c.userSensitive.value).toBe('no');
    expect(c.userSensitive.evidence.k).toBe('proof');
    expect(c.userSensitive.evidence.text).toContain('mode-sensitive, but that alone does not make it user-sensitive');
    expect(c.privileged.value).toBe('no');
    expect(c.reason).toMatch(/^POPF: in mode user the write to F\.ie is silently dropped/);
    const f = c.claimFindings.find((x) => x.claim.claim === 'innocuous');
    expect(f?.derived).toBe('not innocuous');
    expect(f?.claim.span.line).toBeGreaterThan(0);
  });

  it('POPF with an I/O privilege level: user-sensitive through the control state the monitor owns', () => {
    // What it does to F.ie is part of its outcome: under IOPL 3 it sets it, under IOPL 0 not.
    const c = get('POPFIO');
    expect(c.privileged.value).toBe('no');
    // In user mode F.ie changes exactly when F.iopl is 3: control-sensitive there, and two
    // user-mode states that differ only in F.iopl give different F.ie.
    expect(c.controlSensitive.value).toBe('yes');
    expect(c.locationSensitive.value).toBe('yes');
    expect(c.userSensitive.value).toBe('yes');
    const w = c.userSensitive.evidence.k === 'witness' ? c.userSensitive.evidence.witness : undefined;
    expect(w!.states.every((s) => s.mode === 'user')).toBe(true);
  });

  it('GETMODE is mode-sensitive with a witness pair in different modes, and not user-sensitive', () => {
    const c = get('GETMODE');
    expect(c.userSensitive.value).toBe('no');
    expect(c.modeSensitive.value).toBe('yes');
    const w = c.modeSensitive.evidence.k === 'witness' ? c.modeSensitive.evidence.witness : undefined;
    expect(new Set(w!.states.map((s) => s.mode))).toEqual(new Set(['sup', 'user']));
    expect(w!.differs.some((d) => /^r\[\d\]/.test(d))).toBe(true);
    expect(c.locationSensitive.value).toBe('no');
  });

  it('GETR is location sensitive', () => {
    const c = get('GETR');
    expect(c.locationSensitive.value).toBe('yes');
    expect(c.userSensitive.value).toBe('yes');
    expect(c.reason).toMatch(/reads control state R/);
    const w = c.locationSensitive.evidence.k === 'witness' ? c.locationSensitive.evidence.witness : undefined;
    expect(w!.states[0]!.values.R).not.toBe(w!.states[1]!.values.R);
    expect(w!.states[0]!.values.M).toBe(w!.states[1]!.values.M);
  });

  it('JRST 1 is control sensitive but not user sensitive', () => {
    const c = get('JRST1');
    expect(c.controlSensitive.value).toBe('yes');
    expect(c.modeSensitive.value).toBe('no');
    expect(c.userSensitive.value).toBe('no');
    expect(c.userSensitive.evidence.k).toBe('proof');
  });

  it('a clock read is timing dependent', () => {
    const c = get('RDCLK');
    expect(c.timingDependent.value).toBe('yes');
    expect(c.sensitive).toBe('no');
  });

  it('a privileged control write is privileged and sensitive, with no claim contradicted', () => {
    const c = get('SETR');
    expect(c.privileged.value).toBe('yes');
    // Proved to trap in every user-mode state, and a supervisor-mode state where it runs.
    expect(c.privileged.evidence.k).toBe('witness');
    expect(c.privileged.evidence.text).toMatch(/^traps in every user-mode state where it does not memory-trap \(unsat/);
    expect(c.controlSensitive.value).toBe('yes');
    expect(c.claimFindings).toEqual([]);
    expect(get('ADD').innocuous).toBe('yes');
    expect(get('ADD').controlSensitive.evidence.k).toBe('syntactic');
  });

  it('decides the theorems with offenders', () => {
    const t1 = a.theorem1.offenders.map((o) => o.mnemonic).sort();
    expect(a.theorem1.value).toBe('fails');
    expect(t1).toEqual(['CLI', 'GETMODE', 'GETR', 'JRST1', 'POPF', 'POPFIO']);
    // GETMODE and POPF depend on the mode alone; under a hybrid monitor that cannot show.
    expect(a.theorem3.offenders.map((o) => o.mnemonic).sort()).toEqual(['CLI', 'GETR', 'POPFIO']);
    expect(a.theorem2.offenders.map((o) => o.mnemonic).sort()).toEqual([...t1, 'RDCLK'].sort());
  });

  it('explains an instruction in words', () => {
    const text = explainInstruction(a, 'popf');
    expect(text).toContain('mode-sensitive: yes');
    expect(text).toContain('replayed on the reference interpreter: confirmed');
    expect(explainInstruction(a, 'NOPE')).toContain('has no instruction NOPE');
  });
});

describe('theorem shapes', () => {
  it('JRST 1 alone: Theorem 1 fails, Theorem 3 holds', async () => {
    op = 0;
    const isa = load(PRELUDE + instr('JRST1', '', '0:8', 'if M == 1 { M = 0; }') + instr('ADD', 'rd : reg r', 'rd:2 0:6', 'r[rd] = r[rd] + 1;'));
    const a = await analyzeIsa(isa);
    checkWitnesses(isa, a);
    expect(a.theorem1.value).toBe('fails');
    expect(a.theorem3.value).toBe('holds');
    expect(a.theorem2.value).toBe('fails');
  });

  it('a clock read alone: Theorems 1 and 3 hold, Theorem 2 fails', async () => {
    op = 0;
    const isa = load(PRELUDE + instr('RDCLK', 'rd : reg r', 'rd:2 0:6', 'r[rd] = T[15..0];'));
    const a = await analyzeIsa(isa);
    expect(a.theorem1.value).toBe('holds');
    expect(a.theorem3.value).toBe('holds');
    expect(a.theorem2.value).toBe('fails');
    expect(a.theorem2.offenders[0]!.reason).toContain('reads the clock T');
  });

  it('an assumption makes an instruction that traps depending on control state privileged', async () => {
    op = 0;
    const cli = instr('CLI', '', '0:8', 'if M == 0 && F.iopl < 3 { trap pt; }\n F.ie = 0;');
    const without = await analyzeIsa(load(PRELUDE + cli));
    expect(without.instructions[0]!.privileged.value).toBe('no');
    expect(without.theorem1.value).toBe('fails');
    const withAssume = await analyzeIsa(load(PRELUDE + 'assume low_iopl : F.iopl < 3;\n' + cli));
    const c = withAssume.instructions[0]!;
    expect(c.privileged.value).toBe('yes');
    expect(c.privileged.evidence.text).toContain('satisfying the assumptions'.slice(0, 0) + 'with the assumptions');
    expect(withAssume.theorem1.value).toBe('holds');
    expect(withAssume.assumptions.map((x) => x.text)).toEqual(['F.iopl < 3']);
  });

  it('the assumptions constrain the real state of a location pair, not the state the guest expects', async () => {
    op = 0;
    // The monitor keeps the real IOPL below 3, so in user mode this POPF never changes F.ie (not
    // control-sensitive there); but a guest may expect IOPL 3, where it would: user-sensitive.
    const popf = instr('POPFIO', 'rs : reg r', 'rs:2 0:6', 'if M == 1 || F.iopl == 3 { F.ie = r[rs][0]; }');
    const isa = load(PRELUDE + 'assume low_iopl : F.iopl < 3;\n' + popf);
    const a = await analyzeIsa(isa);
    checkWitnesses(isa, a);
    const c = a.instructions[0]!;
    expect(c.userSensitive.value).toBe('yes');
    const w = c.userSensitive.evidence.k === 'witness' ? c.userSensitive.evidence.witness : undefined;
    const iopl = w!.states.map((s) => (BigInt(s.values.F!) >> 1n) & 3n);
    expect(iopl[0]).toBeLessThan(3n);
    expect(iopl[1]).toBe(3n);
    expect(a.theorem3.value).toBe('fails');
  });
});

describe('bounded solver', () => {
  it('answers unknown, never a guess, when the solver runs out of resources', async () => {
    op = 0;
    const isa = load(PRELUDE + INSTRS.join('\n'));
    const a = await analyzeIsa(isa, { rlimit: 1, cache: false });
    let unknowns = 0;
    for (const c of a.instructions) {
      for (const v of [c.privileged, c.controlSensitive, c.modeSensitive, c.locationSensitive, c.userSensitive]) {
        // A verdict and its evidence always agree: unknown exactly when the evidence is unknown.
        expect(v.value === 'unknown').toBe(v.evidence.k === 'unknown');
        if (v.value === 'unknown') unknowns++;
        if (v.evidence.k === 'witness') expect(v.evidence.witness.replayed).toBe(true);
      }
    }
    expect(unknowns).toBeGreaterThan(0);
    // Syntactic answers need no solver and stay decided.
    expect(a.instructions.find((c) => c.mnemonic === 'ADD')!.innocuous).toBe('yes');
    expect(a.theorem1.value).not.toBe('holds');
    expect(a.errors).toEqual([]);
  });
});
