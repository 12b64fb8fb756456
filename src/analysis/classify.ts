// The Popek–Goldberg classification of one instruction, per instance (DESIGN.md, "The model"):
// its operand space is split into classes along the operand tests of its semantics
// (instances.ts), each class is decided by the questions of decide.ts, and the instruction's
// verdicts, its split and its theorem premises are combined from the classes.
//
// Shortcuts are syntactic arguments valid for every state (an instruction that never writes mode
// or control state and never halts is not control-sensitive), concrete probes (a random state that
// shows a property is a witness like any other: it is replayed), then the solver.

import { type Instruction, type Isa, walkStmts } from '../ir/index.js';
import { instructionEffects, type EffectsDetail } from './effects.js';
import { atomTerms, classCondition, cubeTerm, cubeText, MAX_ATOMS, MAX_CUBES, operandAtoms, operandDomain, specialise, type Atom } from './instances.js';
import { guestViews, offsetTranslations, viewBacked } from './storage.js';
import { isolateSolving, Logic, operandTerms, type B, type Z3 } from './symbolic.js';
import {
  ask,
  check,
  confirmers,
  currentInstr,
  findGuestBase,
  changesOwnedState,
  controlChange,
  guestCompletes,
  locationPair,
  modePair,
  monitorBreak,
  mostCompletes,
  locationPairAsBreak,
  privilegedModePair,
  seededModePair,
  probeFirst,
  timing,
  type ClassifyContext,
  type Cube,
  type Question,
} from './decide.js';
import { operandsFromModel } from './witness.js';
import type { Evidence, InstanceClass, InstructionClassification, PrivilegeVerdict, Tri, Verdict } from './types.js';

export type { ClassifyContext } from './decide.js';

export function newContext(z3: Z3, isa: Isa, timeoutMs: number, rlimit = 0): ClassifyContext {
  return {
    z3,
    isa,
    L: new Logic(z3),
    timeoutMs,
    rlimit,
    stats: { solverQueries: 0, solverMs: 0, symbolicMs: 0, replayMs: 0, probeMs: 0 },
    errors: [],
    models: [],
    indices: 0,
    offsets: new Map(),
  };
}

// ---- the classes of instances ----

async function cubesOf(ctx: ClassifyContext, instr: Instruction): Promise<{ cubes: Cube[]; atoms: Atom[]; values: boolean[][] }> {
  const { z3, isa, L } = ctx;
  const ops = operandTerms(z3, instr);
  const domain = operandDomain(z3, instr, ops);
  let atoms = operandAtoms(isa, instr);
  if (atoms.length > MAX_ATOMS) atoms = [];
  const whole = () => ({
    cubes: [{ instr, spec: instr, ops, opsCs: domain, sample: {}, text: 'true', effects: instructionEffects(isa, instr) }],
    atoms: [],
    values: [[]],
  });
  if (atoms.length === 0) return whole();
  const terms = atomTerms(z3, isa, atoms, ops);
  const found: { values: boolean[]; sample: Record<string, bigint> }[] = [];
  const blocks: B[] = [];
  while (found.length <= MAX_CUBES) {
    const q = await check(ctx, [...domain, ...blocks], [], `${instr.mnemonic} cubes`);
    if (q.r === 'unsat') break;
    if (q.r === 'unknown') return whole();
    const values = terms.map((t) => z3.isTrue(q.model.eval(t, true)));
    found.push({ values, sample: operandsFromModel(q.model, instr, ops) });
    blocks.push(L.not(cubeTerm(L, terms, values)));
  }
  if (found.length > MAX_CUBES || found.length <= 1) return whole();
  const cubes = found.map(({ values, sample }) => {
    const spec = specialise(isa, instr, atoms, values);
    return { instr, spec, ops, opsCs: [...domain, cubeTerm(L, terms, values)], sample, text: cubeText(atoms, values), effects: instructionEffects(isa, spec) };
  });
  return { cubes, atoms, values: found.map((f) => f.values) };
}

// ---- one class ----

interface CubeDecision {
  cube: Cube;
  privileged: Verdict;
  control: Verdict;
  controlUser: Verdict;
  mode: Verdict;
  location: Verdict;
  locationUser: Verdict;
  timing: Verdict;
  breaks: Verdict;
  breaksHybrid: Verdict;
  /** Some sensitive instance of the class is not privileged (Theorem 1's premise fails here). */
  offends1: Verdict;
  /** Some user-sensitive instance of the class is not privileged (Theorem 3). */
  offends3: Verdict;
}

const syn = (value: 'yes' | 'no', text: string): Verdict => ({ value, evidence: { k: 'syntactic', text } });

/** Traps raised by translations are all memory traps (then a view access whose translation
 *  lets it through in both states behaves alike). */
const memOnlyCache = new WeakMap<Isa, boolean>();
function translationsTrapForMemoryOnly(isa: Isa): boolean {
  let v = memOnlyCache.get(isa);
  if (v !== undefined) return v;
  v = true;
  for (const t of isa.translations) {
    walkStmts(
      t.body,
      (s) => {
        if (s.k === 'trap' && isa.traps.find((x) => x.name === s.trap)?.kind !== 'memory') v = false;
      },
      () => {},
    );
  }
  memOnlyCache.set(isa, v);
  return v;
}

/** Physical storage the instruction reaches directly: a memory a relocatable view maps, raw or
 *  through a view no control state moves. */
function rawStorage(isa: Isa, d: EffectsDetail): string[] {
  const backed = viewBacked(isa);
  const guest = new Set(guestViews(isa).map((v) => v.name));
  const physical = (x: string) => backed.has(x) || isa.views.some((v) => v.name === x && !guest.has(x) && backed.has(v.memory));
  return d.directSpaces.filter(physical);
}

async function decideCube(ctx: ClassifyContext, cube: Cube): Promise<CubeDecision> {
  const isa = ctx.isa;
  const d = cube.effects;
  const e = d.effects;
  const guest = isa.guestMode,
    most = isa.modes[0]!.name;
  const A = isa.assumptions.length ? ' (with the assumptions)' : '';
  const raw = rawStorage(isa, d);
  const memOnly = translationsTrapForMemoryOnly(isa);
  const cache = new Map<string, Question>();
  const Q = (key: string, make: () => Question): Question => {
    let q = cache.get(key);
    if (!q) {
      const t0 = performance.now();
      cache.set(key, (q = make()));
      ctx.stats.symbolicMs += performance.now() - t0;
    }
    return q;
  };

  // Privileged: traps in every guest-mode state (with the assumptions) where it does not
  // memory-trap, and does not trap everywhere in the most privileged mode (see DESIGN.md: a trap
  // that depends on the data there, a format error of RTE, does not make it less privileged).
  let privileged: Verdict;
  /** Not privileged because it traps in every most-privileged state too (so every instance). */
  let trapsEverywhere = false;
  if (e.traps.length === 0) {
    privileged = syn('no', 'never traps, so in the guest mode it always completes');
  } else {
    privileged =
      probeFirst(ctx, cube, 'guest-completes', true, (ms, ops) => confirmers.guestCompletes(ctx, cube, ms, ops)) ??
      (await (async (): Promise<Verdict> => {
        const g = await ask(
          ctx,
          Q('gc', () => guestCompletes(ctx, cube)),
          '',
          '',
          `does it always trap in mode ${guest}?`,
        );
        if (g.value !== 'no' || g.evidence.k !== 'proof') return g;
        const proved = `traps in every ${guest}-mode state${A} where it does not memory-trap (unsat: ${guest}(s)${A ? ' ∧ assumptions(s)' : ''} ∧ ¬trap(s))`;
        const m =
          probeFirst(ctx, cube, 'most-completes', false, (ms, ops) => confirmers.mostCompletes(ctx, cube, ms, ops)) ??
          (await ask(
            ctx,
            Q('mc', () => mostCompletes(ctx, cube)),
            `it traps in every ${most}-mode state too`,
            `unsat: ${most}(s) ∧ ¬trap(s)`,
            `can it complete in mode ${most}?`,
          ));
        if (m.value === 'yes' && m.evidence.k === 'witness') {
          return { value: 'yes', evidence: { k: 'witness', text: `${proved}; ${m.evidence.text}`, witness: m.evidence.witness } };
        }
        if (m.value === 'no') {
          trapsEverywhere = true;
          return {
            value: 'no',
            evidence: {
              k: 'proof',
              text: `it traps in every ${guest}-mode state and in every ${most}-mode state: it is not privileged, it is never executable`,
              query: `${g.evidence.query}; unsat: ${most}(s) ∧ ¬trap(s)`,
              ms: g.evidence.ms,
            },
          };
        }
        return m;
      })());
  }
  const privProof: Verdict = {
    value: 'no',
    evidence: {
      k: 'proof',
      text: `it traps in every ${guest}-mode state${A}, so it never completes there`,
      query: `unsat: ${guest}(s)${A ? ' ∧ assumptions(s)' : ''} ∧ ¬trap(s)`,
      ms: 0,
    },
  };
  const isPriv = privileged.value === 'yes';
  // Traps in every guest-mode state (privileged, or never executable): nothing runs there.
  const guestAlwaysTraps = isPriv || trapsEverywhere;

  // For a privileged instance the sensitivity questions below only label it (no theorem and no
  // monitor verdict depends on them: it traps wherever a guest could run it), so the solver gets a
  // short bound there; hitting it leaves the label unknown, never a verdict.
  const fullBound = ctx.timeoutMs;
  if (isPriv) ctx.timeoutMs = Math.min(fullBound, 1500);
  // Control sensitivity (halting included: it takes the processor from the monitor).
  let control: Verdict, controlUser: Verdict;
  if (!e.writesMode && !e.writesControl && !e.halts) {
    control = controlUser = syn('no', 'never writes mode or control state and never halts');
  } else {
    const proof = (user: boolean): [string, string] => [
      `in ${user ? `mode ${guest}${A}` : 'any mode'} it never changes mode or control state or halts without trapping`,
      `unsat: ${user ? `${guest}(s)${A ? ' ∧ assumptions(s)' : ''}` : 'some_mode(s)'} ∧ ¬trap(s) ∧ (owned(s') ≠ owned(s) ∨ halt)`,
    ];
    controlUser = guestAlwaysTraps
      ? privProof
      : (probeFirst(ctx, cube, 'control-guest', true, (ms, ops) => confirmers.control(ctx, cube, ms, ops, true)) ??
        (await ask(
          ctx,
          Q('cu', () => controlChange(ctx, cube, true)),
          ...proof(true),
          `can it change mode or control state without trapping in mode ${guest}?`,
        )));
    control =
      controlUser.value === 'yes'
        ? controlUser
        : (probeFirst(ctx, cube, 'control-any', false, (ms, ops) => confirmers.control(ctx, cube, ms, ops, false)) ??
          (await ask(
            ctx,
            Q('c', () => controlChange(ctx, cube, false)),
            ...proof(false),
            'can it change mode or control state without trapping?',
          )));
  }

  // Mode sensitivity (a trap on one side only is a difference).
  let mode: Verdict;
  const completesInMost = privileged.value === 'yes' && privileged.evidence.k === 'witness' ? privileged.evidence.witness : undefined;
  const privPair = completesInMost ? await privilegedModePair(ctx, cube, completesInMost) : undefined;
  if (isa.modes.length < 2) mode = syn('no', 'the machine has only one mode');
  else if (!e.readsMode) mode = syn('no', 'never reads mode state (not even through a translation)');
  else if (d.directModeReads.length === 0 && raw.length === 0 && memOnly)
    mode = syn(
      'no',
      `reads mode state (${d.modeReads.join(', ')}) only inside the translation of its accesses, and storage the translations let through is the same in both states`,
    );
  else if (privPair) mode = privPair;
  else {
    // States already found for this instance, in their other modes: most mode-sensitive
    // instructions show it there, without the pair query (the hardest the analysis asks).
    const seeds = [privileged, controlUser, control].flatMap((v) => (v.evidence.k === 'witness' ? [v.evidence.witness] : []));
    const seeded = await seededModePair(ctx, cube, seeds);
    mode =
      seeded ??
      (await ask(
        ctx,
        Q('m', () => modePair(ctx, cube)),
        'in two states that differ only in mode (the same guest-visible storage), where neither memory-traps, the outcomes (trap or result) agree outside the mode',
        'unsat: s2 = s1 except mode ∧ visible(s1) = visible(s2) ∧ mode(s1) ≠ mode(s2) ∧ ¬memory_trap(s1) ∧ ¬memory_trap(s2) ∧ outcome(s1) ≠ outcome(s2)',
        'does its outcome depend on the mode?',
      ));
    if (mode.value === 'unknown' && 'problem' in mode && mode.problem) {
      const s = await ask(
        ctx,
        Q('ms', () => modePair(ctx, cube, true)),
        '',
        '',
        '',
      );
      if (s.value === 'yes') mode = s;
    }
  }

  // Location sensitivity: control state differs, guest-visible storage the same.
  let location: Verdict, locationUser: Verdict;
  if (d.directControlReads.length === 0 && raw.length === 0 && memOnly) {
    location = locationUser = syn(
      'no',
      d.controlReads.length
        ? `reads control state (${d.controlReads.join(', ')}) only inside the translation of its accesses, and storage the translations let through is the same in both states`
        : 'never reads control state and never reads storage past a translation',
    );
  } else {
    const proof = (user: boolean): [string, string] => [
      `${user ? `in mode ${guest}${A}: ` : ''}two states with the same plain state and guest-visible storage but different control state give the same guest-visible outcome wherever neither memory-traps`,
      `unsat: plain(s1) = plain(s2) ∧ visible(s1) = visible(s2)${user ? ` ∧ ${guest}(s1)` : ''} ∧ ¬memory_trap(s1) ∧ ¬memory_trap(s2) ∧ outcome_visible(s1) ≠ outcome_visible(s2)`,
    ];
    const locAsk = async (user: boolean): Promise<Verdict> => {
      // First one physical storage with the translations' control equal: a small query, and the
      // correspondence holds by construction, so a model is a witness at once. Then the general
      // question, which alone can prove the answer no.
      const s = await ask(
        ctx,
        Q(`ls${user}`, () => locationPair(ctx, cube, user, true)),
        '',
        '',
        '',
      );
      if (s.value === 'yes') return s;
      return ask(
        ctx,
        Q(`l${user}`, () => locationPair(ctx, cube, user)),
        ...proof(user),
        'does its outcome depend on control state?',
      );
    };
    locationUser = guestAlwaysTraps ? privProof : await locAsk(true);
    location = locationUser.value === 'yes' ? locationUser : await locAsk(false);
  }

  ctx.timeoutMs = fullBound;
  // Timing dependence: a clock read in a guest-mode state where it does not trap.
  let timingV: Verdict;
  if (d.clockReads.length === 0) timingV = syn('no', 'reads no clock');
  else if (guestAlwaysTraps)
    timingV = { ...privProof, evidence: { ...privProof.evidence, text: `it reads ${d.clockReads.join(', ')}, but ${privProof.evidence.text}` } as Evidence };
  else
    timingV = await ask(
      ctx,
      Q('t', () => timing(ctx, cube)),
      `in mode ${guest}${A} it reads ${d.clockReads.join(', ')} only where it traps (the monitor can give it a virtual clock)`,
      `unsat: ${guest}(s) ∧ ¬trap(s) ∧ reads_clock(s)`,
      'can it read the clock without trapping?',
    );

  // Does it break the trap-and-emulate (hybrid) monitor?
  let breaks: Verdict, breaksHybrid: Verdict;
  const noDirect = d.directModeReads.length === 0 && d.directControlReads.length === 0;
  if (guestAlwaysTraps) {
    breaks = breaksHybrid = {
      ...privProof,
      evidence: { ...privProof.evidence, text: `${privProof.evidence.text}: the monitor gets it every time` } as Evidence,
    };
  } else if (noDirect && !e.writesMode && !e.writesControl && !e.halts && raw.length === 0 && memOnly) {
    breaks = breaksHybrid = syn(
      'no',
      'reads no mode or control state outside its translations, writes none, never halts and never reads storage past a translation: run directly it does what it does on the virtual machine',
    );
  } else {
    const proof = (hybrid: boolean): [string, string] => [
      `for every virtual state${hybrid ? ` in mode ${guest}` : ''} and corresponding real ${guest}-mode state${A}, wherever it does not trap in the real state it does on the real machine exactly what it does on the virtual one`,
      `unsat: corresponds(v, r) ∧ ${guest}(r)${hybrid ? ` ∧ ${guest}(v)` : ''} ∧ ¬trap(r) ∧ (trap(v) ∨ halt ∨ owned(r') ≠ owned(r) ∨ owned(v') ≠ owned(v) ∨ visible(r') ≠ visible(v'))`,
    ];
    const breakAsk = async (hybrid: boolean): Promise<Verdict> => {
      const s = await ask(
        ctx,
        Q(`bs${hybrid}`, () => monitorBreak(ctx, cube, hybrid, true)),
        '',
        '',
        '',
      );
      if (s.value === 'yes') return s;
      const v = await ask(
        ctx,
        Q(`b${hybrid}`, () => monitorBreak(ctx, cube, hybrid)),
        ...proof(hybrid),
        'does it break the monitor?',
      );
      if (v.value !== 'unknown' || !locationUser || locationUser.value !== 'yes' || locationUser.evidence.k !== 'witness') return v;
      // The model could not be made a pair that corresponds: the guest-mode location witness may be
      // one (its first state, with the assumptions, the real one; its second the virtual one).
      return (await locationPairAsBreak(ctx, cube, locationUser.evidence.witness)) ?? v;
    };
    // Control-sensitive in the guest mode: that guest-mode state, run directly, changes a real mode
    // or control element (or halts) without trapping. It breaks both monitors, the virtual state
    // being the real one itself (it corresponds to itself).
    const cu = controlUser.value === 'yes' && controlUser.evidence.k === 'witness' ? controlUser.evidence : undefined;
    const direct =
      cu && (cu.witness.outcomes[0]?.kind === 'halt' || Object.keys(cu.witness.outcomes[0]?.values ?? {}).some((el) => changesOwnedState(isa, el)))
        ? cu
        : undefined;
    if (direct) {
      const w = direct.witness;
      const pair = { ...w, states: [w.states[0]!, w.states[0]!], outcomes: [w.outcomes[0]!, w.outcomes[0]!] };
      breaks = { value: 'yes', evidence: { k: 'witness', text: `run directly, ${direct.text}`, witness: pair } };
    } else breaks = await breakAsk(false);
    if (direct) breaksHybrid = breaks;
    else if (breaks.value === 'no') breaksHybrid = { value: 'no', evidence: breaks.evidence };
    else if (breaks.value === 'yes' && breaks.evidence.k === 'witness' && breaks.evidence.witness.states[0]?.mode === guest) breaksHybrid = breaks;
    else breaksHybrid = await breakAsk(true);
  }

  // Theorem premises per instance: a sensitive instance that is not privileged.
  const offends = async (kinds: [string, Verdict, () => Question | undefined][]): Promise<Verdict> => {
    if (isPriv) return { value: 'no', evidence: privileged.evidence };
    if (privileged.value === 'unknown') return { value: 'unknown', evidence: privileged.evidence };
    // Every instance traps in every most-privileged state: none is privileged.
    if (trapsEverywhere) {
      const y = kinds.find(([, v]) => v.value === 'yes');
      if (y) return y[1];
    }
    const yes = kinds.filter(([, v]) => v.value === 'yes');
    if (yes.length === 0) {
      const unk = kinds.find(([, v]) => v.value === 'unknown');
      return unk ? { value: 'unknown', evidence: unk[1].evidence } : { value: 'no', evidence: { k: 'syntactic', text: 'no instance is sensitive' } };
    }
    for (const [, v] of yes) {
      // The sensitivity witness's own instance, shown not privileged by a probe: done.
      if (v.evidence.k !== 'witness') continue;
      const ops = Object.fromEntries(Object.entries(v.evidence.witness.operands).map(([k, x]) => [k, BigInt(x)]));
      const gc = probeFirst(ctx, { ...cube, sample: ops }, 'offender', true, (ms, o) => (sameOps(o, ops) ? confirmers.guestCompletes(ctx, cube, ms, o) : {}));
      if (gc || privileged.evidence.k === 'syntactic' || cube.instr.operands.length === 0) return v;
    }
    let undecided: Evidence | undefined;
    for (const [, v, make] of yes) {
      const q = make();
      if (!q) return v;
      const g = Q('gc', () => guestCompletes(ctx, cube));
      const r = await ask(ctx, q, '', '', 'is a sensitive instance also not privileged?', [ctx.L.and(...g.cs)], [...g.reads]);
      if (r.value === 'yes') return r;
      if (r.value === 'unknown') undecided = r.evidence;
    }
    if (undecided) return { value: 'unknown', evidence: undecided };
    return { value: 'no', evidence: { k: 'proof', text: 'every sensitive instance is privileged', query: 'unsat: sensitive(ops) ∧ ¬privileged(ops)', ms: 0 } };
  };
  // The most telling witness first: one in the guest mode, then a mode pair, then the rest.
  const offends1 = await offends([
    ['control-guest', controlUser, () => (controlUser.value === 'yes' ? Q('cu', () => controlChange(ctx, cube, true)) : undefined)],
    ['location-guest', locationUser, () => (locationUser.value === 'yes' ? Q('ltrue', () => locationPair(ctx, cube, true)) : undefined)],
    ['mode', mode, () => (mode.value === 'yes' ? Q('m', () => modePair(ctx, cube)) : undefined)],
    ['location', location, () => (location.value === 'yes' ? Q('lfalse', () => locationPair(ctx, cube, false)) : undefined)],
    ['control', control, () => (control.value === 'yes' ? Q('c', () => controlChange(ctx, cube, false)) : undefined)],
  ]);
  const offends3 = await offends([
    ['control', controlUser, () => (controlUser.value === 'yes' ? Q('cu', () => controlChange(ctx, cube, true)) : undefined)],
    ['location', locationUser, () => (locationUser.value === 'yes' ? Q('ltrue', () => locationPair(ctx, cube, true)) : undefined)],
  ]);
  return { cube, privileged, control, controlUser, mode, location, locationUser, timing: timingV, breaks, breaksHybrid, offends1, offends3 };
}

/** User-sensitivity, the premise of Theorem 3 (the hybrid monitor). Under a hybrid monitor the
 *  guest's virtual supervisor mode is interpreted, but its virtual user mode runs directly in the
 *  real guest mode: there the mode it sees is the mode it expects, so an instruction whose outcome
 *  depends only on the mode cannot misbehave. What can differ is the control state the monitor
 *  owns. So: control-sensitive with a guest-mode witness, or location-sensitive with both states
 *  in the guest mode; mode-sensitivity alone never makes it user-sensitive. */
function combineUser(isa: Isa, x: CubeDecision): Verdict {
  const user = [x.controlUser, x.locationUser];
  const yes = user.find((v) => v.value === 'yes');
  if (yes) return yes;
  const unk = user.find((v) => v.value === 'unknown');
  if (unk) return unk;
  const modeNote =
    x.mode.value === 'yes'
      ? `; it is mode-sensitive, but that alone does not make it user-sensitive: under a hybrid monitor the guest's user mode runs directly in the real ${isa.guestMode} mode, so the mode it sees is the mode it expects`
      : '';
  const text = user.map((v) => v.evidence.text).join('; ') + modeNote;
  if (user.every((v) => v.evidence.k === 'syntactic')) return { value: 'no', evidence: { k: 'syntactic', text } };
  const ms = user.reduce((a, v) => a + (v.evidence.k === 'proof' ? v.evidence.ms : 0), 0);
  const query = user
    .map((v) => (v.evidence.k === 'proof' ? v.evidence.query : ''))
    .filter(Boolean)
    .join('; ');
  return { value: 'no', evidence: { k: 'proof', text: `in mode ${isa.guestMode}: ${text}`, query, ms } };
}

function sameOps(a: Record<string, bigint>, b: Record<string, bigint>): boolean {
  return Object.keys(b).every((k) => a[k] === b[k]);
}

// ---- one instruction ----

function orTri(...xs: Tri[]): Tri {
  if (xs.includes('yes')) return 'yes';
  if (xs.includes('unknown')) return 'unknown';
  return 'no';
}

/** The instruction's verdict from its classes: yes when some class is yes (with that class's
 *  evidence), no when every class is no, else unknown. */
function anyOf(ds: CubeDecision[], pick: (d: CubeDecision) => Verdict): Verdict {
  const vs = ds.map(pick);
  const yes = vs.find((v) => v.value === 'yes');
  if (yes) return yes;
  const unk = vs.find((v) => v.value === 'unknown');
  if (unk) return unk;
  if (vs.length === 1) return vs[0]!;
  const first = vs[0]!;
  return { value: 'no', evidence: { ...first.evidence, text: `for every instance: ${first.evidence.text}` } as Evidence };
}

function summaryOf(c: Omit<InstanceClass, 'summary' | 'condition'>): string {
  const sens: string[] = [];
  if (c.controlSensitive === 'yes') sens.push('control-sensitive');
  if (c.modeSensitive === 'yes') sens.push('mode-sensitive');
  if (c.locationSensitive === 'yes') sens.push('location-sensitive');
  const priv = c.privileged === 'yes' ? 'privileged' : c.privileged === 'unknown' ? 'privilege undecided' : 'not privileged';
  if (c.sensitive === 'no') return c.privileged === 'yes' ? 'privileged, innocuous' : 'innocuous';
  if (c.sensitive === 'unknown') return `${priv}, sensitivity undecided`;
  return `${sens.join(', ')}, ${priv}`;
}

export async function classifyInstruction(ctx: ClassifyContext, instr: Instruction): Promise<InstructionClassification> {
  const isa = ctx.isa;
  ctx.indices = 0;
  currentInstr.set(ctx, instr);
  if (ctx.offsets.size === 0 && isa.views.length) ctx.offsets = await offsetTranslations(ctx.z3, isa, ctx.timeoutMs);
  await findGuestBase(ctx);
  // The instruction's own queries start from a fresh solving context whatever was asked before
  // for the ISA (the base state, the translations' shape: once per context, so once per worker
  // chunk but once per run sequentially): its witnesses are then the same in both.
  isolateSolving();
  const d = instructionEffects(isa, instr);
  const split = await cubesOf(ctx, instr);
  const ds: CubeDecision[] = [];
  for (const cube of split.cubes) ds.push(await decideCube(ctx, cube));
  const classOf = (x: CubeDecision) => ({
    privileged: x.privileged.value === 'yes' ? ('yes' as const) : x.privileged.value === 'unknown' ? ('unknown' as const) : ('no' as const),
    controlSensitive: x.control.value,
    modeSensitive: x.mode.value,
    locationSensitive: x.location.value,
    sensitive: orTri(x.control.value, x.mode.value, x.location.value),
    userSensitive: orTri(x.controlUser.value, x.locationUser.value),
    timingDependent: x.timing.value,
  });
  const keys = ds.map((x) => JSON.stringify(classOf(x)));
  const tagged = split.values.map((values, i) => ({ values, cls: keys[i]! }));
  const conditionOf = (pick: (i: number) => boolean): string => {
    const cls = '\u0000selected';
    return classCondition(
      split.atoms,
      tagged.map((t, i) => ({ values: t.values, cls: pick(i) ? cls : t.cls + '\u0001' })),
      cls,
    );
  };

  // Privilege of the instruction: every instance, some instances, none.
  let privileged: PrivilegeVerdict;
  const pv = ds.map((x) => x.privileged.value);
  if (pv.includes('unknown')) privileged = { value: 'unknown', evidence: ds.find((x) => x.privileged.value === 'unknown')!.privileged.evidence };
  else if (pv.every((v) => v === 'yes')) privileged = { value: 'yes', evidence: ds[0]!.privileged.evidence };
  else if (pv.every((v) => v !== 'yes')) privileged = { value: 'no', evidence: ds.find((x) => x.privileged.value !== 'yes')!.privileged.evidence };
  else {
    const condition = conditionOf((i) => ds[i]!.privileged.value === 'yes');
    const no = ds.find((x) => x.privileged.value !== 'yes')!;
    privileged = {
      value: 'conditional',
      condition,
      evidence: { ...no.privileged.evidence, text: `privileged only where ${condition}; where ${no.cube.text}: ${no.privileged.evidence.text}` } as Evidence,
    };
  }
  const control = anyOf(ds, (x) => x.control);
  const mode = anyOf(ds, (x) => x.mode);
  const location = anyOf(ds, (x) => x.location);
  const userSensitive = anyOf(ds, (x) => combineUser(isa, x));
  const timingDependent = anyOf(ds, (x) => x.timing);
  const breaksMonitor = anyOf(ds, (x) => x.breaks);
  const breaksHybrid = anyOf(ds, (x) => x.breaksHybrid);
  const offendsTheorem1 = anyOf(ds, (x) => x.offends1);
  const offendsTheorem3 = anyOf(ds, (x) => x.offends3);
  const sensitive = orTri(control.value, mode.value, location.value);
  const innocuous: Tri = sensitive === 'yes' ? 'no' : sensitive === 'no' ? 'yes' : 'unknown';

  // The classes, alike ones together, each with the shortest condition that tells it apart.
  const classes = new Map<string, InstanceClass>();
  ds.forEach((x, i) => {
    if (classes.has(keys[i]!)) return;
    const cls = classOf(x);
    const sample = Object.fromEntries(Object.entries(x.cube.sample).map(([k, v]) => [k, `0x${v.toString(16)}`]));
    classes.set(keys[i]!, { condition: '', ...cls, summary: summaryOf(cls), ...(Object.keys(sample).length ? { sample } : {}) });
  });
  const instances: InstanceClass[] = [...classes].map(([key, c]) => ({
    ...c,
    condition: classes.size === 1 ? 'true' : classCondition(split.atoms, tagged, key),
  }));

  const c: InstructionClassification = {
    mnemonic: instr.mnemonic,
    span: instr.span,
    effects: d.effects,
    privileged,
    controlSensitive: control,
    modeSensitive: mode,
    locationSensitive: location,
    sensitive,
    userSensitive,
    timingDependent,
    innocuous,
    reason: '',
    claimFindings: [],
    instances,
    breaksMonitor,
    breaksHybrid,
    offendsTheorem1,
    offendsTheorem3,
  };
  for (const m of ctx.models) m.release();
  ctx.models = [];
  c.reason = reasonFor(isa, c);
  c.claimFindings = claimFindings(instr, c);
  return c;
}

/** A cached classification (cache.ts) made this instruction's: its current position, and its
 *  claims (not part of the cache key) checked against the cached verdicts. */
export function fromCache(instr: Instruction, c: InstructionClassification): InstructionClassification {
  c.span = instr.span;
  c.claimFindings = claimFindings(instr, c);
  return c;
}

// ---- words ----

function reasonFor(isa: Isa, c: InstructionClassification): string {
  const m = c.mnemonic;
  const sens: string[] = [];
  if (c.controlSensitive.value === 'yes') sens.push('control-sensitive');
  if (c.modeSensitive.value === 'yes') sens.push('mode-sensitive');
  if (c.locationSensitive.value === 'yes') sens.push('location-sensitive');
  const clock = c.timingDependent.value === 'yes' ? `; ${c.timingDependent.evidence.text} (timing-dependent)` : '';
  const split = c.instances.length > 1 ? `; ${c.instances.map((i) => `${i.summary} where ${i.condition}`).join('; ')}` : '';
  if (c.offendsTheorem1.value === 'yes') return `${m}: ${c.offendsTheorem1.evidence.text}${split}${clock}`;
  const unknowns = [c.privileged, c.controlSensitive, c.modeSensitive, c.locationSensitive, c.userSensitive, c.offendsTheorem1].filter(
    (v) => v.value === 'unknown',
  );
  if (unknowns.length)
    return `${m}: undecided — ${unknowns.map((u) => (u.evidence.k === 'unknown' ? `${u.evidence.text} (${u.evidence.reason})` : u.evidence.text)).join('; ')}`;
  if (c.privileged.value === 'yes') {
    return `${m}: ${sens.length ? `${sens.join(', ')}, and privileged` : 'privileged'}: traps in every ${isa.guestMode}-mode state${clock}`;
  }
  if (c.sensitive === 'yes') return `${m}: ${sens.join(', ')}, but every sensitive instance is privileged${split}${clock}`;
  const ev = c.controlSensitive.evidence;
  const why =
    ev.k === 'syntactic' && c.modeSensitive.evidence.k === 'syntactic' && c.locationSensitive.evidence.k === 'syntactic'
      ? [ev.text, c.modeSensitive.evidence.text].join('; ')
      : 'proved: changes no mode or control state and behaves the same in every mode and location';
  return `${m}: innocuous: ${why}${split}${clock}`;
}

function derivedOf(c: InstructionClassification, claim: string): Tri {
  switch (claim) {
    case 'privileged':
      return c.privileged.value === 'yes' ? 'yes' : c.privileged.value === 'unknown' ? 'unknown' : 'no';
    case 'sensitive':
      return c.sensitive;
    case 'control-sensitive':
      return c.controlSensitive.value;
    case 'mode-sensitive':
      return c.modeSensitive.value;
    case 'location-sensitive':
      return c.locationSensitive.value;
    case 'user-sensitive':
      return c.userSensitive.value;
    case 'innocuous':
      return c.innocuous;
    case 'timing-dependent':
      return c.timingDependent.value;
  }
  return 'unknown';
}

function evidenceFor(c: InstructionClassification, claim: string): string {
  const pick: Record<string, { evidence: Evidence }> = {
    privileged: c.privileged,
    'control-sensitive': c.controlSensitive,
    'mode-sensitive': c.modeSensitive,
    'location-sensitive': c.locationSensitive,
    'user-sensitive': c.userSensitive,
    'timing-dependent': c.timingDependent,
  };
  if (pick[claim]) return pick[claim]!.evidence.text;
  const s = [c.controlSensitive, c.modeSensitive, c.locationSensitive].find((v) => v.value === 'yes');
  return s ? s.evidence.text : c.controlSensitive.evidence.text;
}

function claimFindings(instr: Instruction, c: InstructionClassification): InstructionClassification['claimFindings'] {
  const out: InstructionClassification['claimFindings'] = [];
  for (const cl of instr.claims) {
    const d = derivedOf(c, cl.claim);
    if (d === 'unknown') continue;
    const holds = d === 'yes';
    if (holds !== cl.negated) continue;
    const derived = holds ? cl.claim : `not ${cl.claim}`;
    const said = `${cl.negated ? 'not ' : ''}${cl.claim}`;
    out.push({ claim: cl, derived, message: `${instr.mnemonic} is claimed ${said}, but it is ${derived}: ${evidenceFor(c, cl.claim)}` });
  }
  return out;
}
