// Verdict and monitor agree (issue 10): for every spec of the library and of these tests, where
// the analysis says the trap-and-emulate monitor exists, random guests — written in the spec's own
// assembly syntax, started in the most privileged and in the guest mode — end in the same state
// on the bare machine and under `trap`, and under `hybrid` wherever the hybrid monitor exists
// (the PDP-10's, though its trap monitor does not); where it says the trap monitor does not exist,
// `demo` shows every offender's witness diverging.
//
// Guests are random instructions with random operands: they branch anywhere, trap into whatever
// the vectors hold, and read and write any address, so they run with the whole storage theirs
// (identity placement; test/vmm/random.test.ts covers P&G's relocation with guests that fit).
// Runs and steps are bounded so each spec takes a few seconds.
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { analyzeIsa } from '../../src/analysis/index.js';
import { assemble, formatAsmDiagnostic } from '../../src/asm/index.js';
import { getTables, type AsmInstr } from '../../src/asm/tables.js';
import { demoIsa, diffGuestStates } from '../../src/demo/index.js';
import { modeOf, resetState } from '../../src/exec/interpret.js';
import { loadIsaFile } from '../../src/ir/index.js';
import type { Isa } from '../../src/ir/types.js';
import { elementsOfRole, modeAssignment, writeElementOf } from '../../src/vmm/elements.js';
import { runGuest, VmmError } from '../../src/vmm/index.js';
import type { ConcreteState } from '../../src/exec/state.js';

const RUNS = 40;
const STEPS = 64;

const specs = [
  ...readdirSync('isas')
    .filter((f) => f.endsWith('.isa'))
    .map((f) => `isas/${f}`),
  ...readdirSync('test/vmm/fixtures')
    .filter((f) => f.endsWith('.isa'))
    .map((f) => `test/vmm/fixtures/${f}`),
].sort();

/** Bits per word of the space instructions are fetched from. */
function fetchWordWidth(isa: Isa): number {
  const m =
    isa.memories.find((x) => x.name === isa.fetch.space) ?? isa.memories.find((x) => x.name === isa.views.find((v) => v.name === isa.fetch.space)?.memory);
  return m?.wordWidth ?? 8;
}

/** One instruction in the spec's syntax, operands random within their range. */
function arbInstruction(instrs: AsmInstr[], ww: number): fc.Arbitrary<string> {
  return fc.constantFrom(...instrs).chain((a) => {
    const ops = [...a.operands.values()];
    if (ops.length === 0) return fc.constant(a.parts.map((p) => (p.k === 'text' ? p.text : '')).join(''));
    return fc.tuple(...ops.map((o) => fc.bigInt({ min: o.min, max: o.max }))).map((vals) => {
      let text = '';
      for (const p of a.parts) {
        if (p.k === 'text') {
          text += p.text;
          continue;
        }
        const i = ops.findIndex((o) => o.op.name === p.name);
        const o = ops[i]!;
        const v = vals[i]!;
        if (o.op.kind === 'reg') text += o.file!.names[Number(v)] ?? `${o.file!.name}${v}`;
        else if (p.relative) {
          // A PC-relative operand is written as its target: `.` plus the distance the encoding
          // holds (its implied low bits clear), from this instruction or the next.
          const d = v & ~o.implied;
          const len = BigInt(Math.ceil(a.instr.encoding.width / ww));
          const from = (p.relative.base === 'next_pc' ? len : 0n) + BigInt(p.relative.addend);
          const t = from + d;
          text += t < 0n ? `. - ${-t}` : `. + ${t}`;
        } else text += v < 0n ? `-${-v}` : `0x${v.toString(16)}`;
      }
      return text;
    });
  });
}

/** The reset state, or the reset state in the guest mode (the same code at the same pc). */
function startState(isa: Isa, virtualMode: 'most privileged' | 'guest'): ConcreteState {
  const s = resetState(isa);
  if (virtualMode === 'most privileged') return s;
  const a = modeAssignment(isa, isa.guestMode);
  if (!a) return s;
  const out: ConcreteState = { regs: { ...s.regs }, files: { ...s.files }, mem: s.mem };
  elementsOfRole(isa, 'mode').forEach((e, i) => writeElementOf(out, e, a[i]!));
  return out;
}

function fullAllocation(isa: Isa) {
  return isa.memories.filter((m) => m.role === 'plain').map((m) => ({ memory: m.name, base: 0, size: m.size }));
}

describe.each(specs)('%s: verdict and monitor agree', (file) => {
  test('random guests in both virtual modes where a monitor exists; every offender diverges where it does not', async () => {
    const loaded = await loadIsaFile(file);
    if (!loaded.ok) throw new Error(`${file} does not load`);
    const isa = loaded.isa;
    const analysis = await analyzeIsa(isa);
    // The verdict the monitor is held to: the exact one.
    const verdict = analysis.trapAndEmulate;
    expect(analysis.errors).toEqual([]);
    if (verdict.value === 'fails') {
      const r = demoIsa(isa, analysis);
      expect(r.offenders.map((o) => o.mnemonic)).toEqual(verdict.offenders.map((o) => o.mnemonic));
      // A halt without a trap takes the processor from the monitor, but the guest's own state
      // cannot show it (the bare machine halts alike): such an offender is not asked to diverge.
      const halts = (m: string) => {
        const v = analysis.instructions.find((c) => c.mnemonic === m)?.breaksMonitor;
        return v?.evidence.k === 'witness' && v.evidence.witness.outcomes.some((o) => o.kind === 'halt');
      };
      // Known gap: pg_raw's LOADP witness differs in the physical storage outside the guest's
      // view, which the demo's guest construction does not lay out (it places the guest at the
      // monitor's allocation); test/demo/demo.test.ts replays a pair that shows LOADP diverging.
      const known = (m: string) => isa.name === 'pg_raw' && m === 'LOADP';
      for (const d of r.offenders) if (!halts(d.mnemonic) && !known(d.mnemonic)) expect(d.status, `${isa.name} ${d.mnemonic}: ${d.message}`).toBe('diverges');
    }
    // The monitors that exist must run every guest as the bare machine does.
    const kinds = [...(verdict.value === 'holds' ? (['trap'] as const) : []), ...(analysis.hybridMonitor.value === 'holds' ? (['hybrid'] as const) : [])];
    if (kinds.length === 0) return;
    const tables = getTables(isa);
    if (!tables.ok) throw new Error(tables.message);
    const pc = resetState(isa).regs[isa.fetch.pc] ?? 0n;
    const allocation = fullAllocation(isa);
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbInstruction(tables.tables.instrs, fetchWordWidth(isa)), { minLength: 1, maxLength: 12 }),
        fc.constantFrom('most privileged' as const, 'guest' as const),
        async (lines, mode) => {
          const src = `.kernel\n.org 0x${pc.toString(16)}\nstart:\n${lines.map((l) => `  ${l}`).join('\n')}\n.entry start\n`;
          const asm = assemble(isa, src, 'random.s');
          if (!asm.ok) throw new Error(asm.diagnostics.map((d) => formatAsmDiagnostic(d, src)).join('\n'));
          const image = { state: startState(isa, mode), program: asm.program };
          const bare = runGuest(isa, 'none', image, { maxSteps: STEPS });
          for (const kind of kinds) {
            let run;
            try {
              run = runGuest(isa, kind, image, { maxSteps: STEPS, allocation });
            } catch (e) {
              // A guest the monitor cannot start (no values of the mode elements give the guest mode).
              if (e instanceof VmmError) return;
              throw e;
            }
            const where = `${kind} on ${isa.name}, ${mode} (${modeOf(isa, image.state)}):\n${src}`;
            expect(run.outcome.kind, where).toBe(bare.outcome.kind);
            expect(run.outcome.steps, where).toBe(bare.outcome.steps);
            expect(diffGuestStates(isa, bare.guestState, run.guestState), where).toEqual([]);
          }
        },
      ),
      { numRuns: RUNS, seed: 20261204 },
    );
  }, 300_000);
});
