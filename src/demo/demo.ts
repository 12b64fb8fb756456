// The fidelity demonstration: for each instruction that breaks the trap-and-emulate monitor (the
// analysis's `trapAndEmulate` offenders; until an analysis gives those, Theorem 1's: sensitive,
// not privileged), a guest built from the analysis's witnesses runs on the bare machine and under
// the trap-and-emulate monitor, in lockstep, and the first point where the guest-visible states
// part ways is reported in words; then the same guest, patched, shows the difference gone.
//
// A `trapAndEmulate` offender's witness is a pair: states[0] the virtual state, states[1] the
// corresponding real state (guest mode, the monitor's control values). It is replayed first and as
// it stands: the virtual state is the guest's, the real state's control values are the monitor's
// own in the real machine.
//
// Guests are tried in a fixed order, for each witness the analysis has (control, mode, location):
// kernel guests (the machine after reset, the witness's values laid over it, the kernel in the most
// privileged virtual mode, which the monitor runs deprivileged), then the witness as it stands: a
// mode-sensitivity pair's more privileged state as the guest's virtual state (the monitor runs it
// in the guest mode), a location-sensitivity pair's first state as the guest's with the second
// state's control values as the monitor's own, a control-sensitivity state in its own mode; each
// also with the code fetched as after reset. The first guest that diverges and that patching
// brings back is shown; if none diverges, the demo says so rather than inventing a difference.
// Each guest runs under the monitor's default placement first (relocation where the spec allows:
// a raw read then shows the monitor's storage, as it would on the real machine), then with the
// whole storage the guest's (identity), so that no difference comes from where the guest sits.

import { insertOperands, type Instruction, type Isa, type Stmt } from '../ir/index.js';
import { type ConcreteState, type RunOutcome, fetchDecode, modeOf, resetState, translateAddress } from '../exec/index.js';
import { type IsaAnalysis, type InstructionClassification, type Witness, operandsOfWitness, statesOfWitness } from '../analysis/index.js';
import { type Program, fetchMemory, loadProgram, disassemble } from '../asm/index.js';
import {
  composedControl,
  defaultAllocation,
  GuestSession,
  privilegedInstances,
  VmmError,
  type GuestOptions,
  elementsOfRole,
  exprReads,
  stmtsReads,
  modeAssignment,
  modeRank,
  ownedControlDefaults,
  readElementOf,
  writeElementOf,
} from '../vmm/index.js';
import { lockstep, type Divergence, type Lockstep } from './diff.js';
import { isaIndex } from '../ir/index.js';

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
  /** Which witness the guest came from: a sensitivity, or the exact monitor's breaking pair. */
  witness?: 'control-sensitive' | 'mode-sensitive' | 'location-sensitive' | 'breaks-monitor';
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
  /** The exact verdict the offenders come from, when the analysis gives it. */
  trapAndEmulate?: 'holds' | 'fails' | 'unknown';
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
  let bits = insertOperands(instr.encoding, new Map(Object.entries(operands)));
  const n = Math.max(1, Math.ceil(instr.encoding.width / ww));
  bits <<= BigInt(n * ww - instr.encoding.width);
  const out: bigint[] = [];
  for (let i = n - 1; i >= 0; i--) out.push((bits >> BigInt(i * ww)) & maskB(ww));
  return out;
}

type Overlay = 'witness plain and control-field values' | 'witness values' | 'witness plain values' | 'reset state';

/** Bits of a register that belong to no mode or control field (all of it for a plain register). */
function plainBits(isa: Isa, reg: string, withControlFields: boolean): bigint {
  const r = isaIndex(isa).registers.get(reg)!;
  if (r.role !== 'plain') return 0n;
  let m = maskB(r.width);
  for (const f of r.fields) {
    if (f.role === 'mode' || (f.role === 'control' && !withControlFields)) m &= ~(maskB(f.hi - f.lo + 1) << BigInt(f.lo));
  }
  return m;
}

/** A kernel guest: the reset state with (some of) the witness laid over it, in the most
 *  privileged mode. */
function kernelState(isa: Isa, w: ConcreteState, overlay: Overlay): ConcreteState {
  const s = resetState(isa);
  if (overlay !== 'reset state') {
    for (const r of isa.registers) {
      if (r.name === isa.fetch.pc || !(r.name in w.regs)) continue;
      // 'witness values': everything but the mode; the others keep the reset's control registers.
      const m =
        overlay === 'witness values'
          ? r.role === 'control'
            ? maskB(r.width)
            : plainBits(isa, r.name, true)
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
  return inMode(isa, s, isa.modes[0]?.name);
}

/** A copy of `s` whose mode elements put it in `mode` (unchanged if no values do). */
function inMode(isa: Isa, s: ConcreteState, mode: string | undefined): ConcreteState {
  if (!mode || modeOf(isa, s) === mode) return s;
  const a = modeAssignment(isa, mode);
  if (!a) return s;
  const out: ConcreteState = { regs: { ...s.regs }, files: { ...s.files }, mem: s.mem };
  elementsOfRole(isa, 'mode').forEach((e, i) => writeElementOf(out, e, a[i]!));
  return out;
}

/** The memories of two states together; undefined when they disagree on a word. */
function unionMemory(isa: Isa, a: ConcreteState, b: ConcreteState): ConcreteState['mem'] | undefined {
  const mem: ConcreteState['mem'] = {};
  for (const m of isa.memories) {
    const out = new Map(a.mem[m.name] ?? []);
    for (const [ad, v] of b.mem[m.name] ?? []) {
      if ((out.get(ad) ?? 0n) !== v && out.has(ad)) return undefined;
      out.set(ad, v);
    }
    mem[m.name] = out;
  }
  return mem;
}

function summary(o: RunOutcome, s: GuestSession): RunSummary {
  const r = s.result(o);
  return {
    outcome: `${o.kind}: ${o.message}`,
    steps: o.steps,
    mode: r.mode,
    stats: { direct: r.stats.direct, emulated: r.stats.emulated, traps: r.stats.traps, reflected: r.stats.reflected },
  };
}

interface Attempt {
  witness: NonNullable<OffenderDemo['witness']>;
  construction: string;
  state: ConcreteState;
  program: Program;
  monitorControl: Record<string, bigint>;
  code: string[];
  /** Instructions of the guest's own code (the offender, then the end). */
  length: number;
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

/**
 * Put the guest's code where the machine fetches it in `state` (through the fetch translation,
 * word by word) and check that the offending instruction decodes there. Undefined when the pc
 * does not translate or the code would overwrite a word the witness needs.
 */
function place(
  isa: Isa,
  instr: Instruction,
  state: ConcreteState,
  words: bigint[],
  offenderWords: number,
): { state: ConcreteState; program: Program; code: string[] } | undefined {
  const pc = state.regs[isa.fetch.pc] ?? 0n;
  const mem = fetchMemory(isa);
  if (!mem) return undefined;
  const isView = isa.views.some((v) => v.name === isa.fetch.space);
  const pcWidth = isaIndex(isa).registers.get(isa.fetch.pc)!.width;
  const old = state.mem[mem.name] ?? new Map<number, bigint>();
  const addrs: number[] = [];
  for (let i = 0; i < words.length; i++) {
    const va = (pc + BigInt(i)) & maskB(pcWidth);
    let a: number | undefined;
    if (!isView) a = Number(va % BigInt(mem.size));
    else {
      const t = translateAddress(isa, state, isa.fetch.space, va);
      if ('addr' in t) a = t.addr;
    }
    // The end instruction is left out where it cannot go (beyond a segment limit, over a word the
    // witness needs): the guest then ends with a fault, on both machines alike.
    if (a === undefined || (old.has(a) && old.get(a) !== words[i])) {
      if (i < offenderWords) return undefined;
      break;
    }
    addrs.push(a);
  }
  words = words.slice(0, addrs.length);
  // One segment per run of consecutive words (the patcher and the loader read segments).
  const segments: Program['segments'] = [];
  addrs.forEach((a, i) => {
    const last = segments[segments.length - 1];
    if (last && last.address + last.words.length === a) last.words.push(words[i]!);
    else segments.push({ address: a, words: [words[i]!], section: 'kernel' });
  });
  const program: Program = { segments, entry: Number(pc), symbols: {}, labels: {}, lines: [], file: '<witness>' };
  const loaded = loadProgram(isa, program, state);
  const d = fetchDecode(isa, loaded, pc);
  if (!('decoded' in d) || d.decoded.instr.mnemonic !== instr.mnemonic) return undefined;
  const code = disassemble(isa, words, Number(pc)).map((l) => `${hex(l.address)}: ${l.text}`);
  return { state, program, code };
}

/** Registers the fetch reads (the pc and what the fetch translation consults: x86 EIP and CS_desc). */
function fetchRegisters(isa: Isa): string[] {
  const view = isaIndex(isa).views.get(isa.fetch.space);
  const t = view && isaIndex(isa).translations.get(view.translation);
  const reads = t ? exprReads(t.result, stmtsReads(t.body)) : new Set<string>();
  const regs = new Set([isa.fetch.pc]);
  for (const r of reads) {
    const reg = r.split('.')[0]!;
    const def = isaIndex(isa).registers.get(reg);
    // Mode elements stay: the guest's mode is what the demonstration is about.
    if (def && def.role !== 'mode' && !def.fields.some((f) => f.role === 'mode')) regs.add(reg);
  }
  return [...regs];
}

/** A copy of `s` that fetches as the machine after reset does (a witness may leave the code
 *  segment too small for the instruction, its other values unchanged). */
function resetFetch(isa: Isa, s: ConcreteState): ConcreteState {
  const r = resetState(isa);
  const regs = { ...s.regs };
  for (const name of fetchRegisters(isa)) regs[name] = r.regs[name] ?? 0n;
  return { ...s, regs };
}

/** Every control element's value in a state. */
function controlOf(isa: Isa, s: ConcreteState): Record<string, bigint> {
  return Object.fromEntries(elementsOfRole(isa, 'control').map((e) => [e.name, readElementOf(s, e)]));
}

/** Control elements whose values differ between two states, with the second state's values. */
function controlDiff(isa: Isa, a: ConcreteState, b: ConcreteState): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const e of elementsOfRole(isa, 'control')) {
    const x = readElementOf(a, e),
      y = readElementOf(b, e);
    if (x !== y) out[e.name] = y;
  }
  return out;
}

/**
 * Guests built from one witness, most faithful first. A kernel guest (the offending instruction in
 * the most privileged virtual mode, which the monitor runs deprivileged) from each overlay; then
 * the witness replayed as it stands: for a mode-sensitivity pair, the more privileged state as the
 * guest's virtual state (the monitor runs it in the guest mode, which is the other state); for a
 * location-sensitivity pair, the first state as the guest's and the second state's control values
 * as the monitor's own in the real machine (both states' memory present).
 */
function attempts(isa: Isa, instr: Instruction, kind: Attempt['witness'], w: Witness, end: Instruction | undefined): Attempt[] {
  const states = statesOfWitness(isa, w);
  if (states.length === 0) return [];
  // Stable order: the more privileged state first, ties in the witness's own order.
  const ranked = states.map((s, i) => ({ s, r: modeRank(isa, modeOf(isa, s)), i })).sort((a, b) => a.r - b.r || a.i - b.i);
  const A = ranked[0]!.s;
  const B = ranked[1]?.s;
  const operands: Record<string, bigint> = {};
  for (const o of instr.operands) operands[o.name] = BigInt(w.operands[o.name] ?? '0x0') & maskB(o.width);
  const offender = encodeInstruction(isa, instr, operands);
  const words = [...offender, ...(end ? encodeInstruction(isa, end, {}) : [])];
  const out: Attempt[] = [];
  const add = (construction: string, state: ConcreteState, monitorControl: Record<string, bigint> = {}) => {
    const p = place(isa, instr, state, words, offender.length);
    if (p) out.push({ witness: kind, construction, ...p, monitorControl, length: p.code.length });
  };
  const overlays: Overlay[] = ['witness plain and control-field values', 'witness values', 'witness plain values', 'reset state'];
  for (const overlay of overlays) {
    const s = kernelState(isa, A, overlay);
    // The code at the reset pc, as a kernel would have it.
    add(`kernel guest, ${overlay}`, { ...s, regs: { ...s.regs, [isa.fetch.pc]: resetState(isa).regs[isa.fetch.pc] ?? 0n } });
  }
  // The witness as it stands, then with the code fetched as after reset.
  for (const [fix, note] of [
    [(x: ConcreteState) => x, ''],
    [(x: ConcreteState) => resetFetch(isa, x), ', code fetched as after reset'],
  ] as const) {
    const a = fix(A);
    if (kind === 'mode-sensitive' && B) {
      add(`the witness's ${modeOf(isa, A)} state as the guest's virtual state, run by the monitor in ${isa.guestMode}${note}`, a);
    }
    if (kind === 'location-sensitive' && B) {
      const b = fix(B);
      const mem = unionMemory(isa, a, b);
      if (mem)
        add(`the witness pair: the first state the guest's, the second state's control values the monitor's own${note}`, { ...a, mem }, controlDiff(isa, a, b));
    }
    if (kind === 'control-sensitive') add(`the witness state as it stands (${modeOf(isa, A)})${note}`, a);
  }
  return out;
}

/** The exact monitor's witness pair replayed as it stands: the virtual state (states[0]) the
 *  guest's, the real state's (states[1]) control values the monitor's own. The storage is the
 *  virtual state's: where the real machine keeps it is the monitor's placement, not the witness's
 *  (the real state's physical words outside the guest's view are the monitor's own storage). */
function pairAttempts(isa: Isa, instr: Instruction, w: Witness, end: Instruction | undefined): Attempt[] {
  const [v, r] = statesOfWitness(isa, w);
  if (!v || !r) return [];
  const operands = operandsOfWitness(w);
  for (const o of instr.operands) operands[o.name] = (operands[o.name] ?? 0n) & maskB(o.width);
  const offender = encodeInstruction(isa, instr, operands);
  const words = [...offender, ...(end ? encodeInstruction(isa, end, {}) : [])];
  const out: Attempt[] = [];
  for (const [fix, note] of [
    [(x: ConcreteState) => x, ''],
    [(x: ConcreteState) => resetFetch(isa, x), ', code fetched as after reset'],
  ] as const) {
    const a = fix(v),
      b = fix(r);
    const p = place(isa, instr, a, words, offender.length);
    if (p) {
      out.push({
        witness: 'breaks-monitor',
        construction: `the witness pair: the virtual ${modeOf(isa, a)} state the guest's, the real state's control values the monitor's own${note}`,
        // Every control value of the real state, not only those that differ: the monitor's defaults
        // (the values it booted with) are not the witness's.
        ...p,
        monitorControl: controlOf(isa, b),
        length: p.code.length,
      });
    }
  }
  return out;
}

/** What the monitor keeps in the real machine that differs from the guest's own value at the
 *  start: the attempt's values and the monitor's defaults (the values it booted with). */
function ownedDiffering(isa: Isa, a: Attempt): [string, bigint][] {
  const own = { ...ownedControlDefaults(isa), ...a.monitorControl };
  const els = elementsOfRole(isa, 'control');
  return Object.entries(own).filter(([k, v]) => {
    const e = els.find((x) => x.name === k);
    return e !== undefined && readElementOf(a.state, e) !== v;
  });
}

function fullAllocation(isa: Isa): GuestOptions['allocation'] {
  if (!isa.traps.some((t) => t.kind === 'memory')) return [];
  return isa.memories.filter((m) => m.role === 'plain').map((m) => ({ memory: m.name, base: 0, size: m.size }));
}

/** Run the demonstration for every instruction that breaks the monitor (or the one named). */
export function demoIsa(isa: Isa, analysis: IsaAnalysis, options: DemoOptions = {}): DemoResult {
  const maxSteps = options.maxSteps ?? 16;
  // The exact verdict's offenders and their witness pairs; Theorem 1's until the analysis has it.
  const exact = analysis.trapAndEmulate;
  const source = exact ?? analysis.theorem1;
  let offenders = source.offenders;
  const result: DemoResult = { isa: isa.name, theorem1: analysis.theorem1.value, trapAndEmulate: exact?.value, offenders: [] };
  if (options.instruction) {
    const want = options.instruction.toLowerCase();
    offenders = offenders.filter((o) => o.mnemonic.toLowerCase() === want);
    if (offenders.length === 0) {
      const known = isa.instructions.some((i) => i.mnemonic.toLowerCase() === want);
      result.notFound = known
        ? exact
          ? `${options.instruction} does not break the trap-and-emulate monitor in ${isa.name}: nothing to demonstrate`
          : `${options.instruction} does not break Theorem 1 in ${isa.name} (it is privileged or innocuous): nothing to demonstrate`
        : `${isa.name} has no instruction ${options.instruction}`;
      return result;
    }
  }
  const end = endInstruction(isa, analysis);
  const allOffenders = [...new Set([...source.offenders, ...analysis.theorem1.offenders].map((o) => o.mnemonic))];
  const privileged = privilegedInstances(analysis);
  // The default placement first, then the whole storage the guest's (monitor.ts header).
  const composed = composedControl(isa);
  const placements: GuestOptions['allocation'][] = defaultAllocation(isa).length ? [undefined, fullAllocation(isa)] : [fullAllocation(isa)];
  for (const o of offenders) {
    const c = analysis.instructions.find((x) => x.mnemonic === o.mnemonic);
    const instr = isaIndex(isa).instructions.get(o.mnemonic);
    const demo: OffenderDemo = { mnemonic: o.mnemonic, reason: o.reason, status: 'no-witness', code: [], monitorControl: {} };
    result.offenders.push(demo);
    if (!c || !instr) continue;
    const pair = 'witness' in o && o.witness ? pairAttempts(isa, instr, o.witness, end) : [];
    const tries = [...pair, ...witnessesOf(c).flatMap(({ kind, w }) => attempts(isa, instr, kind, w, end))];
    if (tries.length === 0) {
      demo.message = 'no witness of its sensitivity could be placed in a runnable guest';
      continue;
    }
    // The first guest that diverges under the monitor and that patching brings back to the bare
    // machine; failing that, the first that diverges; failing that, the first guest.
    type Run = { a: Attempt; ls: Lockstep; bare: GuestSession; mon: GuestSession; patched?: OffenderDemo['patched'] };
    let chosen: Run | undefined;
    let diverging: Run | undefined;
    let first: Run | undefined;
    let lastError: string | undefined;
    for (const a of tries.flatMap((t) => placements.map((allocation) => ({ ...t, allocation })))) {
      const allocation = a.allocation;
      // Under the default placement the monitor composes the relocation itself (monitor.ts): a
      // witness's real relocation is then the monitor's composition, not a value it keeps.
      if (allocation === undefined) a.monitorControl = Object.fromEntries(Object.entries(a.monitorControl).filter(([k]) => !composed.includes(k)));
      try {
        const image = { state: a.state, program: a.program };
        const bare = new GuestSession(isa, 'none', image, { trace: maxSteps });
        const mon = new GuestSession(isa, 'trap', image, { trace: maxSteps, allocation, monitorControl: a.monitorControl });
        const ls = lockstep(isa, bare, mon, maxSteps);
        const cand: Run = { a, ls, bare, mon };
        first ??= cand;
        if (!ls.divergence) continue;
        // The same guest, patched: the offending instruction now traps and is emulated. Compared
        // over the guest's own code and up to the step where the monitor's run parted ways.
        const steps = Math.max(a.length, ls.divergence.step);
        const bare2 = new GuestSession(isa, 'none', image, { trace: steps });
        const pat = new GuestSession(isa, 'patched', image, {
          trace: steps,
          allocation,
          monitorControl: a.monitorControl,
          offenders: allOffenders,
          privileged,
        });
        const ls2 = lockstep(isa, bare2, pat, steps);
        cand.patched = { ...summary(ls2.monitor, pat), sites: pat.patches.length, divergence: ls2.divergence };
        diverging ??= cand;
        if (!ls2.divergence) {
          chosen = cand;
          break;
        }
      } catch (e) {
        // A guest this witness cannot make (say, code outside memory): try the next one.
        if (!(e instanceof VmmError)) throw e;
        lastError = e.message;
      }
    }
    const pick = chosen ?? diverging ?? first;
    if (!pick) {
      demo.status = 'error';
      demo.message = lastError ?? 'no guest could be built';
      continue;
    }
    demo.status = pick.ls.divergence ? 'diverges' : 'no-divergence';
    demo.witness = pick.a.witness;
    demo.construction = pick.a.construction;
    demo.code = pick.a.code;
    demo.monitorControl = Object.fromEntries(ownedDiffering(isa, pick.a).map(([k, v]) => [k, hex(v)]));
    demo.bare = summary(pick.ls.bare, pick.bare);
    demo.monitor = summary(pick.ls.monitor, pick.mon);
    demo.divergence = pick.ls.divergence;
    demo.patched = pick.patched;
    if (!pick.ls.divergence) demo.message = 'the bare machine and the monitor agree on every guest built from the witnesses';
  }
  return result;
}
