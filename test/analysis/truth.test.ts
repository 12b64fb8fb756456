// The truth issue: verdicts that follow Popek and Goldberg on machines written from scratch, one
// test per numbered case, each asserting the exact classification, theorem values, the exact
// monitor verdict and the split condition. The machine is P&G's (mode bit M, relocation-bounds
// register R, storage E seen through view V), with the instructions under test added.
import { describe, expect, it } from 'vitest';
import { parseIsaText, type Isa } from '../../src/ir/index.js';
import { analyzeIsa, statesOfWitness, operandsOfWitness, type InstructionClassification, type IsaAnalysis } from '../../src/analysis/index.js';
import { runSemantics } from '../../src/exec/interpret.js';

const PG = (extra: string, opts: { state?: string; traps?: string; assumes?: string } = {}) => `
isa truth;
endian big;
memory E : 16 [256];
register M : 1 mode;
register P : 8;
register R : 16 control {
  base = 15..8;
  bound = 7..0;
}
register S : 16;
${opts.state ?? ''}
registers r[4] : 16;
modes {
  sup when M == 1;
  user when M == 0;
}
guest mode user;
translate relocate(a : 8) : 8 {
  if a >= R.bound {
    trap mt;
  }
  return a + R.base;
}
view V = E via relocate;
fetch V at P;
trap priv kind privilege vector 1;
trap mt kind memory vector 2;
trap ill kind illegal vector 3;
trap ovf kind arithmetic vector 4;
${opts.traps ?? ''}
${opts.assumes ?? ''}
trap entry {
  E[0] = zext(M, 8) ++ return_pc;
  M = 1;
  P = E[1][7..0];
}
instruction LOAD(rd : reg r, a : addr 8) {
  encoding 0x01:8 0:6 rd:2 a:8 0:8;
  semantics {
    r[rd] = V[a];
  }
}
instruction SETR(rs : reg r) {
  encoding 0x02:8 0:6 rs:2 0:8 0:8;
  semantics {
    if M == 0 {
      trap priv;
    }
    R = r[rs];
  }
}
${extra}
`;

function load(text: string): Isa {
  const r = parseIsaText(text, 'truth.isa');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.message}`).join('\n'));
  return r.isa!;
}

async function analyse(extra: string, opts?: Parameters<typeof PG>[1]): Promise<IsaAnalysis> {
  const a = await analyzeIsa(load(PG(extra, opts)));
  expect(a.errors).toEqual([]);
  return a;
}

const of = (a: IsaAnalysis, m: string): InstructionClassification => a.instructions.find((c) => c.mnemonic === m)!;

function verdicts(c: InstructionClassification) {
  return {
    privileged: c.privileged.value,
    control: c.controlSensitive.value,
    mode: c.modeSensitive.value,
    location: c.locationSensitive.value,
    user: c.userSensitive.value,
    timing: c.timingDependent.value,
    breaks: c.breaksMonitor.value,
  };
}

/** Every witness of an instruction replays: the states and operands, run on the interpreter,
 *  give the outcomes the witness reports. */
function expectReplayed(isa: Isa, c: InstructionClassification) {
  for (const v of [c.privileged, c.controlSensitive, c.modeSensitive, c.locationSensitive, c.breaksMonitor]) {
    if (v.evidence.k !== 'witness') continue;
    const w = v.evidence.witness;
    expect(w.replayed).toBe(true);
    const instr = isa.instructions.find((i) => i.mnemonic === c.mnemonic)!;
    statesOfWitness(isa, w).forEach((s, i) => {
      const o = runSemantics(isa, s, instr, operandsOfWitness(w), s.regs[isa.fetch.pc] ?? 0n);
      expect(o.kind).toBe(w.outcomes[i]!.kind);
    });
  }
}

describe('the definitions, case by case (issue 10)', () => {
  it('1: a read of the storage behind the view is location-sensitive, with a replayed witness', async () => {
    const a = await analyse(`
instruction RAW(rd : reg r, a : addr 8) {
  encoding 0x10:8 0:6 rd:2 a:8 0:8;
  semantics {
    r[rd] = E[a];
  }
}`);
    const c = of(a, 'RAW');
    expect(verdicts(c)).toMatchObject({ privileged: 'no', location: 'yes', user: 'yes', breaks: 'yes' });
    expect(c.locationSensitive.evidence.k).toBe('witness');
    expectReplayed(load(PG('')), of(a, 'LOAD'));
    expect(a.theorem1.value).toBe('fails');
    expect(a.trapAndEmulate.value).toBe('fails');
    expect(a.trapAndEmulate.offenders.map((o) => o.mnemonic)).toEqual(['RAW']);
    // The relocated load itself stays innocuous.
    expect(verdicts(of(a, 'LOAD'))).toMatchObject({ privileged: 'no', control: 'no', mode: 'no', location: 'no', breaks: 'no' });
  });

  it('1b: a second view that checks the bound but adds no base is location-sensitive', async () => {
    const a = await analyse(
      `
translate bounded(a : 8) : 8 {
  if a >= R.bound {
    trap mt;
  }
  return a;
}
view W = E via bounded;
instruction LOADW(rd : reg r, a : addr 8) {
  encoding 0x11:8 0:6 rd:2 a:8 0:8;
  semantics {
    r[rd] = W[a];
  }
}`,
    );
    expect(verdicts(of(a, 'LOADW'))).toMatchObject({ privileged: 'no', location: 'yes', breaks: 'yes' });
    expect(a.theorem1.offenders.map((o) => o.mnemonic)).toEqual(['LOADW']);
  });

  it('2: explicit relocation with the same bound check is innocuous, proved', async () => {
    const a = await analyse(`
instruction LOADR(rd : reg r, a : addr 8) {
  encoding 0x12:8 0:6 rd:2 a:8 0:8;
  semantics {
    if a >= R.bound {
      trap mt;
    }
    r[rd] = E[a + R.base];
  }
}`);
    const c = of(a, 'LOADR');
    expect(verdicts(c)).toMatchObject({ privileged: 'no', control: 'no', mode: 'no', location: 'no', breaks: 'no' });
    expect(c.locationSensitive.evidence.k).toBe('proof');
    expect(a.theorem1.value).toBe('holds');
    expect(a.trapAndEmulate.value).toBe('holds');
  });

  it('3: an unprivileged halt is control-sensitive and breaks the monitor', async () => {
    const a = await analyse(`
instruction HLT() {
  encoding 0x13:8 0:16 0:8;
  semantics {
    halt;
  }
}`);
    const c = of(a, 'HLT');
    expect(verdicts(c)).toMatchObject({ privileged: 'no', control: 'yes', user: 'yes', breaks: 'yes' });
    expect(c.controlSensitive.evidence.text).toMatch(/halts the machine/);
    expect(a.theorem1.value).toBe('fails');
    expect(a.trapAndEmulate.value).toBe('fails');
  });

  it('4: privilege per instance: MTSR n splits into a privileged and an innocuous class', async () => {
    const a = await analyse(`
instruction MTSR(n : imm 1, rs : reg r) {
  encoding 0x14:8 0:5 n:1 rs:2 0:8 0:8;
  semantics {
    if n == 0 {
      S = r[rs];
    } else {
      if M == 0 {
        trap priv;
      }
      R = r[rs];
    }
  }
}`);
    const c = of(a, 'MTSR');
    expect(c.privileged.value).toBe('conditional');
    expect(c.privileged.condition).toBe('n != 0');
    expect(c.instances.map((i) => [i.condition, i.summary]).sort()).toEqual([
      ['n != 0', 'control-sensitive, mode-sensitive, privileged'],
      ['n == 0', 'innocuous'],
    ]);
    expect(c.offendsTheorem1.value).toBe('no');
    expect(a.theorem1.value).toBe('holds');
    expect(a.theorem3.value).toBe('holds');
    expect(a.trapAndEmulate.value).toBe('holds');
  });

  it('5: an illegal-instruction trap in user mode makes it privileged', async () => {
    const a = await analyse(`
instruction GETR(rd : reg r) {
  encoding 0x15:8 0:6 rd:2 0:8 0:8;
  semantics {
    if M == 0 {
      trap ill;
    }
    r[rd] = R;
  }
}`);
    expect(verdicts(of(a, 'GETR'))).toMatchObject({ privileged: 'yes', location: 'yes', user: 'no', breaks: 'no' });
    expect(a.theorem1.value).toBe('holds');
  });

  it('6: a clock read that traps in every guest state is not timing-dependent; one that does not is', async () => {
    const extra = `
instruction RDT(rd : reg r) {
  encoding 0x16:8 0:6 rd:2 0:8 0:8;
  semantics {
    if M == 0 {
      trap priv;
    }
    r[rd] = T[15..0];
  }
}`;
    const trapped = await analyse(extra, { state: 'register T : 32 clock;' });
    expect(of(trapped, 'RDT').timingDependent.value).toBe('no');
    expect(trapped.theorem2.value).toBe('holds');
    const open = await analyse(extra.replace('if M == 0 {\n      trap priv;\n    }', ''), { state: 'register T : 32 clock;' });
    expect(of(open, 'RDT').timingDependent.value).toBe('yes');
    expect(open.theorem2.value).toBe('fails');
  });

  it('7: a mode-dependent memory map (kseg0-style) is virtualizable', async () => {
    const a = await analyse(
      `
translate kseg(a : 8) : 8 {
  if a >= 0x80 && M == 0 {
    trap mt;
  }
  return a >= 0x80 ? a - 0x80 : a + R.base;
}
view K = E via kseg;
instruction LOADK(rd : reg r, a : addr 8) {
  encoding 0x17:8 0:6 rd:2 a:8 0:8;
  semantics {
    r[rd] = K[a];
  }
}`,
    );
    const c = of(a, 'LOADK');
    expect(c.privileged.value).toBe('no');
    expect(c.breaksMonitor.value).toBe('no');
    expect(a.trapAndEmulate.value).toBe('holds');
  });

  it('8: a write is "dropped" only where the old value differs from the one written', async () => {
    const a = await analyse(`
instruction GETM(rd : reg r) {
  encoding 0x18:8 0:6 rd:2 0:8 0:8;
  semantics {
    r[rd] = zext(M, 16);
  }
}
instruction SETS(rs : reg r) {
  encoding 0x19:8 0:6 rs:2 0:8 0:8;
  semantics {
    if M == 1 {
      S = r[rs];
    }
  }
}`);
    // GETM writes r[rd] in both modes: never "dropped".
    expect(of(a, 'GETM').modeSensitive.value).toBe('yes');
    expect(of(a, 'GETM').modeSensitive.evidence.text).not.toMatch(/dropped/);
    expect(of(a, 'GETM').modeSensitive.evidence.text).toMatch(/rd = /);
    // SETS does not write S in user mode: dropped there.
    expect(of(a, 'SETS').modeSensitive.evidence.text).toMatch(/in mode user the write to S is silently dropped/);
  });

  it('9: a trap only in supervisor mode is a difference (mode-sensitive, breaks the monitor)', async () => {
    const a = await analyse(`
instruction ODD(rd : reg r) {
  encoding 0x1a:8 0:6 rd:2 0:8 0:8;
  semantics {
    if M == 1 {
      trap priv;
    }
    r[rd] = 1;
  }
}`);
    expect(verdicts(of(a, 'ODD'))).toMatchObject({ privileged: 'no', mode: 'yes', breaks: 'yes' });
    expect(a.theorem1.value).toBe('fails');
    expect(a.trapAndEmulate.value).toBe('fails');
    expect(a.trapAndEmulate.offenders[0]!.witness?.states.map((s) => s.mode)).toEqual(['sup', 'user']);
  });

  it('10: a trap on overflow only in user mode fails Theorem 1, yet the monitor exists', async () => {
    const a = await analyse(`
instruction ADDV(rd : reg r, rs : reg r) {
  encoding 0x1b:8 0:4 rd:2 rs:2 0:8 0:8;
  semantics {
    let s : 17 = zext(r[rd], 17) + zext(r[rs], 17);
    if M == 0 && s[16] == 1 {
      trap ovf;
    }
    r[rd] = s[15..0];
  }
}`);
    const c = of(a, 'ADDV');
    expect(verdicts(c)).toMatchObject({ privileged: 'no', mode: 'yes', breaks: 'no' });
    expect(a.theorem1.value).toBe('fails');
    expect(a.trapAndEmulate.value).toBe('holds');
    expect(a.trapAndEmulate.note).toMatch(/Theorem 1 fails, but the monitor exists: ADDV/);
  });

  it('the owned control state: a control bit the monitor mirrors does not break it', async () => {
    // A user-readable alignment-check bit that no trap entry, timer or assumption reads: the monitor
    // mirrors the guest's value, so the trap it decides happens alike.
    const a = await analyse(
      `
instruction LDA(rd : reg r, a : addr 8) {
  encoding 0x1c:8 0:6 rd:2 a:8 0:8;
  semantics {
    if A == 1 && a[0] == 1 {
      trap mt;
    }
    r[rd] = V[a];
  }
}`,
      { state: 'register A : 1 control;' },
    );
    expect(of(a, 'LDA').breaksMonitor.value).toBe('no');
    expect(a.trapAndEmulate.value).toBe('holds');
  });
});
