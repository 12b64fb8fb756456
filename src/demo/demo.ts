// The fidelity demonstration: for each instruction that breaks Theorem 1 (sensitive, not
// privileged), a guest built from the analysis's witness runs on the bare machine and under the
// trap-and-emulate monitor, in lockstep, and the first point where the guest-visible states part
// ways is reported in words; then the same guest, patched, shows the difference gone.
//
// The guest: the machine after reset in its most privileged mode (a sane machine: flat segments,
// a fetchable pc), with the witness's values laid over it, the offending instruction with the
// witness's operands at the pc and, after it, a privileged instruction that halts. Several overlays
// are tried, most faithful first, and the first one under which the offending instruction decodes
// at the pc and the runs diverge is shown; if none diverges, the demo says so rather than inventing
// a difference. The guest's allocation is the whole memory here, so that no difference comes from
// the allocation itself.

import type { Instruction, Isa, Stmt } from '../ir/types.js';
import type { ConcreteState } from '../exec/state.js';
import type { RunOutcome } from '../exec/machine.js';
import type { IsaAnalysis, InstructionClassification, Witness } from '../analysis/types.js';
import type { Program } from '../asm/index.js';
import { fetchMemory, loadProgram, disassemble } from '../asm/index.js';
import { statesOfWitness } from '../analysis/witness.js';
import { fetchDecode, modeOf, resetState } from '../exec/interpret.js';
import { GuestSession, VmmError, type GuestOptions } from '../vmm/index.js';
import { elementsOfRole, modeAssignment, modeRank, readElementOf, writeElementOf } from '../vmm/elements.js';
import { lockstep, type Divergence, type Lockstep } from './diff.js';

export interface DemoOptions {
  /** Only this instruction (a mnemonic, case-insensitive). */
  instruction?: string;
  /** Steps each run may take (default 16). */
  maxSteps?: number;
}

export interface RunSummary {
  outcome: string;
  steps: number;
  mode: string | undefined;
  stats: { direct: number; emulated: number; traps: number; reflected: number };
}

export interface OffenderDemo {
  mnemonic: string;
  reason: string;
  status: 'diverges' | 'no-divergence' | 'no-witness' | 'error';
  /** Which sensitivity the witness shows. */
  witness?: 'control-sensitive' | 'mode-sensitive' | 'location-sensitive';
  /** How the guest was built from the witness. */
  construction?: string;
  /** The guest's code, disassembled ("0x1000: POPF"). */
  code: string[];
  /** Values the monitor keeps in the real control registers (location sensitivity). */
  monitorControl: Record<string, string>;
  bare?: RunSummary;
  monitor?: RunSummary;
  patched?: RunSummary & { sites: number; divergence?: Divergence };
  divergence?: Divergence;
  message?: string;
}

export interface DemoResult {
  isa: string;
  theorem1: 'holds' | 'fails' | 'unknown';
  offenders: OffenderDemo[];
  /** An --instruction that names no offender, in words. */
  notFound?: string;
}

const hex = (v: bigint | number) => '0x' + BigInt(v).toString(16);
const maskB = (w: number) => (1n << BigInt(w)) - 1n;

function halts(body: Stmt[]): boolean {
  return body.some((s) => s.k === 'halt' || (s.k === 'if' && (halts(s.then) || halts(s.else))));
}

/** A privileged instruction that halts (with zero operands), to end the guest. */
function endInstruction(isa: Isa, analysis: IsaAnalysis): Instruction | undefined {
  const priv = new Set(analysis.instructions.filter((c) => c.privileged.value === 'yes').map((c) => c.mnemonic));
  return isa.instructions.filter((i) => priv.has(i.mnemonic) && halts(i.semantics)).sort((a, b) => a.operands.length - b.operands.length)[0];
}

/** The words of an instruction with the given operand values (first-fetched word most significant). */
export function encodeInstruction(isa: Isa, instr: Instruction, operands: Record<string, bigint>): bigint[] {
  const ww = fetchMemory(isa)?.wordWidth ?? 32;
  // An operand split over several fields fills them high part first.
  const fieldWidths = new Map<string, number>();
  for (const it of instr.encoding.items) if (it.k === 'field') fieldWidths.set(it.operand, (fieldWidths.get(it.operand) ?? 0) + it.width);
  const used = new Map<string, number>();
  let bits = 0n;
  for (const it of instr.encoding.items) {
    bits <<= BigInt(it.width);
    if (it.k === 'fixed') bits |= BigInt(it.value) & maskB(it.width);
    else {
      const total = fieldWidths.get(it.operand)!;
      const done = used.get(it.operand) ?? 0;
      const v = operands[it.operand] ?? 0n;
      bits |= (v >> BigInt(total - done - it.width)) & maskB(it.width);
      used.set(it.operand, done + it.width);
    }
  }
  const n = Math.max(1, Math.ceil(instr.encoding.width / ww));
  bits <<= BigInt(n * ww - instr.encoding.width);
  const out: bigint[] = [];
  for (let i = n - 1; i >= 0; i--) out.push((bits >> BigInt(i * ww)) & maskB(ww));
  return out;
}

type Overlay = 'witness values' | 'witness plain and control-field values' | 'witness plain values' | 'reset state';

/** Bits of a register that belong to no mode or control field (all of it for a plain register). */
function plainBits(isa: Isa, reg: string, withControlFields: boolean): bigint {
  const r = isa.registers.find((x) => x.name === reg)!;
  if (r.role !== 'plain') return 0n;
  let m = maskB(r.width);
  for (const f of r.fields) {
    if (f.role === 'mode' || (f.role === 'control' && !withControlFields)) m &= ~(maskB(f.hi - f.lo + 1) << BigInt(f.lo));
  }
  return m;
}

function buildState(isa: Isa, w: ConcreteState, overlay: Overlay): ConcreteState {
  const s = resetState(isa);
  const modeEls = elementsOfRole(isa, 'mode');
  if (overlay !== 'reset state') {
    for (const r of isa.registers) {
      if (r.name === isa.fetch.pc || !(r.name in w.regs)) continue;
      // 'witness values': everything but the mode; the others keep the reset's control registers.
      const m =
        overlay === 'witness values'
          ? r.role === 'control' ? maskB(r.width) : plainBits(isa, r.name, true)
          : plainBits(isa, r.name, overlay === 'witness plain and control-field values');
      s.regs[r.name] = ((s.regs[r.name] ?? 0n) & ~m) | (w.regs[r.name]! & m);
    }
    for (const f of isa.files) if (f.role !== 'mode' && (f.role === 'plain' || overlay === 'witness values')) s.files[f.name] = (w.files[f.name] ?? []).slice();
    for (const mem of isa.memories) {
      const words = w.mem[mem.name];
      if (!words || mem.role === 'mode') continue;
      const m = new Map(s.mem[mem.name] ?? []);
      for (const [a, v] of words) m.set(a, v);
      s.mem[mem.name] = m;
    }
  }
  // The guest kernel starts in the most privileged mode.
  const top = isa.modes[0]?.name;
  if (top && modeOf(isa, s) !== top) {
    const a = modeAssignment(isa, top);
    if (a) modeEls.forEach((e, i) => writeElementOf(s, e, a[i]!));
  }
  return s;
}

function summary(o: RunOutcome, s: GuestSession): RunSummary {
  const r = s.result(o);
  return { outcome: `${o.kind}: ${o.message}`, steps: o.steps, mode: r.mode, stats: { direct: r.stats.direct, emulated: r.stats.emulated, traps: r.stats.traps, reflected: r.stats.reflected } };
}

interface Attempt {
  witness: NonNullable<OffenderDemo['witness']>;
  construction: Overlay;
  state: ConcreteState;
  program: Program;
  monitorControl: Record<string, bigint>;
  code: string[];
}

function witnessesOf(c: InstructionClassification): { kind: NonNullable<OffenderDemo['witness']>; w: Witness }[] {
  const out: { kind: NonNullable<OffenderDemo['witness']>; w: Witness }[] = [];
  const add = (kind: NonNullable<OffenderDemo['witness']>, v: InstructionClassification['controlSensitive']) => {
    if (v.value === 'yes' && v.evidence.k === 'witness') out.push({ kind, w: v.evidence.witness });
  };
  add('control-sensitive', c.controlSensitive);
  add('mode-sensitive', c.modeSensitive);
  add('location-sensitive', c.locationSensitive);
  return out;
}

/** Guests built from one witness, most faithful first; only those where the instruction decodes. */
function attempts(isa: Isa, instr: Instruction, kind: Attempt['witness'], w: Witness, end: Instruction | undefined): Attempt[] {
  const states = statesOfWitness(isa, w);
  if (states.length === 0) return [];
  // The bare machine gets the more privileged state of a pair; the monitor keeps the other's control values.
  const ranked = states.map((s) => ({ s, r: modeRank(isa, modeOf(isa, s)) })).sort((a, b) => a.r - b.r);
  const A = ranked[0]!.s;
  const B = ranked[1]?.s;
  const monitorControl: Record<string, bigint> = {};
  if (B && kind === 'location-sensitive') {
    for (const e of elementsOfRole(isa, 'control')) {
      const a = readElementOf(A, e), b = readElementOf(B, e);
      if (a !== b) monitorControl[e.name] = b;
    }
  }
  const operands: Record<string, bigint> = {};
  for (const o of instr.operands) operands[o.name] = BigInt(w.operands[o.name] ?? '0x0') & maskB(o.width);
  const words = encodeInstruction(isa, instr, operands);
  const endWords = end ? encodeInstruction(isa, end, {}) : [];
  const out: Attempt[] = [];
  const overlays: Overlay[] = ['witness plain and control-field values', 'witness values', 'witness plain values', 'reset state'];
  for (const overlay of overlays) {
    const state = buildState(isa, A, overlay);
    const pc = Number(state.regs[isa.fetch.pc] ?? 0n);
    const program: Program = {
      segments: [{ address: pc, words: [...words, ...endWords], section: 'kernel' }],
      entry: pc, symbols: {}, labels: {}, lines: [], file: '<witness>',
    };
    const loaded = loadProgram(isa, program, state, { setPc: true });
    const d = fetchDecode(isa, loaded, BigInt(pc));
    if (!('decoded' in d) || d.decoded.instr.mnemonic !== instr.mnemonic) continue;
    const code = disassemble(isa, program.segments[0]!.words, pc).map((l) => `${hex(l.address)}: ${l.text}`);
    out.push({ witness: kind, construction: overlay, state, program, monitorControl, code });
  }
  return out;
}

function fullAllocation(isa: Isa): GuestOptions['allocation'] {
  if (!isa.traps.some((t) => t.kind === 'memory')) return [];
  return isa.memories.filter((m) => m.role === 'plain').map((m) => ({ memory: m.name, base: 0, size: m.size }));
}

/** Run the demonstration for every Theorem-1 offender (or the one named). */
export function demoIsa(isa: Isa, analysis: IsaAnalysis, options: DemoOptions = {}): DemoResult {
  const maxSteps = options.maxSteps ?? 16;
  let offenders = analysis.theorem1.offenders;
  const result: DemoResult = { isa: isa.name, theorem1: analysis.theorem1.value, offenders: [] };
  if (options.instruction) {
    const want = options.instruction.toLowerCase();
    offenders = offenders.filter((o) => o.mnemonic.toLowerCase() === want);
    if (offenders.length === 0) {
      const known = isa.instructions.some((i) => i.mnemonic.toLowerCase() === want);
      result.notFound = known
        ? `${options.instruction} does not break Theorem 1 in ${isa.name} (it is privileged or innocuous): nothing to demonstrate`
        : `${isa.name} has no instruction ${options.instruction}`;
      return result;
    }
  }
  const end = endInstruction(isa, analysis);
  const allOffenders = analysis.theorem1.offenders.map((o) => o.mnemonic);
  const privileged = analysis.instructions.filter((c) => c.privileged.value === 'yes').map((c) => c.mnemonic);
  const allocation = fullAllocation(isa);
  for (const o of offenders) {
    const c = analysis.instructions.find((x) => x.mnemonic === o.mnemonic);
    const instr = isa.instructions.find((i) => i.mnemonic === o.mnemonic);
    const demo: OffenderDemo = { mnemonic: o.mnemonic, reason: o.reason, status: 'no-witness', code: [], monitorControl: {} };
    result.offenders.push(demo);
    if (!c || !instr) continue;
    const tries = witnessesOf(c).flatMap(({ kind, w }) => attempts(isa, instr, kind, w, end));
    if (tries.length === 0) {
      demo.message = 'no witness of its sensitivity could be placed in a runnable guest';
      continue;
    }
    let chosen: { a: Attempt; ls: Lockstep; bare: GuestSession; mon: GuestSession } | undefined;
    let first: typeof chosen;
    try {
      for (const a of tries) {
        const image = { state: a.state, program: a.program };
        const bare = new GuestSession(isa, 'none', image, { trace: maxSteps });
        const mon = new GuestSession(isa, 'trap', image, { trace: maxSteps, allocation, monitorControl: a.monitorControl });
        const ls = lockstep(isa, bare, mon, maxSteps);
        const cand = { a, ls, bare, mon };
        first ??= cand;
        if (ls.divergence) {
          chosen = cand;
          break;
        }
      }
    } catch (e) {
      if (!(e instanceof VmmError)) throw e;
      demo.status = 'error';
      demo.message = e.message;
      continue;
    }
    const pick = chosen ?? first!;
    demo.status = chosen ? 'diverges' : 'no-divergence';
    demo.witness = pick.a.witness;
    demo.construction = pick.a.construction;
    demo.code = pick.a.code;
    demo.monitorControl = Object.fromEntries(Object.entries(pick.a.monitorControl).map(([k, v]) => [k, hex(v)]));
    demo.bare = summary(pick.ls.bare, pick.bare);
    demo.monitor = summary(pick.ls.monitor, pick.mon);
    demo.divergence = pick.ls.divergence;
    if (!chosen) {
      demo.message = 'the bare machine and the monitor agree on every guest built from the witness';
      continue;
    }
    // The same guest, patched: the offending instruction now traps and is emulated.
    const image = { state: pick.a.state, program: pick.a.program };
    const bare2 = new GuestSession(isa, 'none', image, { trace: maxSteps });
    const pat = new GuestSession(isa, 'patched', image, {
      trace: maxSteps, allocation, monitorControl: pick.a.monitorControl, offenders: allOffenders, privileged,
    });
    const ls2 = lockstep(isa, bare2, pat, maxSteps);
    demo.patched = { ...summary(ls2.monitor, pat), sites: pat.patches.length, divergence: ls2.divergence };
  }
  return result;
}
