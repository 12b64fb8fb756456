// What the analysis concludes, as plain JSON-serialisable data: per instruction a classification
// with evidence, per ISA the theorems. Reports (src/report), grading (src/grade), the demo and the
// language server read only these types. The JSON report (grammar/report.schema.json) embeds them.

import type { Span, ClaimAt, TrapKind } from '../ir/index.js';

/** A verdict is proved for all states, refuted by a replayed witness, or unknown (never a guess). */
export type Tri = 'yes' | 'no' | 'unknown';

/** How a verdict is known. */
export type Evidence =
  /** A syntactic argument over the semantics, valid for all states ("never reads or writes control state"). */
  | { k: 'syntactic'; text: string }
  /** The solver answered unsat for the negation: valid for every bit pattern. */
  | { k: 'proof'; text: string; query: string; ms: number }
  /** A concrete witness, confirmed by replay on the reference interpreter. */
  | { k: 'witness'; text: string; witness: Witness }
  /** The solver hit its time bound or the query was outside what it decides. */
  | { k: 'unknown'; text: string; reason: string };

/** Concrete values for a witness, as hex strings keyed by state element (only what matters). */
export interface WitnessState {
  /** Mode name the state is in. */
  mode: string;
  /** "EFLAGS" -> "0x202", "r[3]" -> "0x10", "E[0x40]" -> "0x0" (memory words by address). */
  values: Record<string, string>;
}

export interface WitnessOutcome {
  /** 'done' (completed), 'trap' (with trap name), 'halt'. */
  kind: 'done' | 'trap' | 'halt';
  trap?: string;
  /** Values of the elements that differ between the two runs, or that changed. */
  values: Record<string, string>;
}

export interface Witness {
  /** Operand values as hex, by operand name. */
  operands: Record<string, string>;
  /** One state (control sensitivity, privilege) or two (mode/location sensitivity). */
  states: WitnessState[];
  outcomes: WitnessOutcome[];
  /** The elements whose results differ (behaviour) or that changed (control), in words. */
  differs: string[];
  /** True once the reference interpreter replayed the witness and saw what it claims. */
  replayed: boolean;
  /** The elements that matter: those the instance reads and those that differ (a report shows
   *  these and summarises the rest as "all other state equal"; `values` stays complete so the
   *  witness replays as is). */
  relevant?: string[];
}

export interface Verdict {
  value: Tri;
  evidence: Evidence;
}

export interface PrivilegeVerdict {
  /** yes: every instance traps (not for memory) in every guest-mode state where it does not
   *  memory-trap, and in no most-privileged state; conditional: only the instances where
   *  `condition` (over the operands) holds are privileged; no: no instance is. */
  value: 'yes' | 'no' | 'conditional' | 'unknown';
  /** For conditional: the operand condition in the spec's own expression syntax, e.g. "n != 0". */
  condition?: string;
  evidence: Evidence;
}

export interface InstructionEffects {
  /** State elements read and written on some path ("EFLAGS.IF", "r", "V"). */
  reads: string[];
  writes: string[];
  /** Elements by role that are read or written. */
  readsMode: boolean;
  readsControl: boolean;
  writesMode: boolean;
  writesControl: boolean;
  readsClock: boolean;
  /** Each trap the instruction may raise and the kind. */
  traps: { trap: string; kind: TrapKind; condition: string }[];
  /** May stop the machine (`halt`). */
  halts: boolean;
  /** The mode, control and clock elements touched, by name ("EFLAGS.IF", "CR0"). */
  modeReads: string[];
  controlReads: string[];
  modeWrites: string[];
  controlWrites: string[];
  clockReads: string[];
  /** Mode and control elements read by the instruction itself, outside views' translations. */
  directModeReads: string[];
  directControlReads: string[];
}

export interface InstructionClassification {
  mnemonic: string;
  span: Span;
  effects: InstructionEffects;
  privileged: PrivilegeVerdict;
  controlSensitive: Verdict;
  modeSensitive: Verdict;
  locationSensitive: Verdict;
  /** control or mode or location sensitive. */
  sensitive: Tri;
  /** Control-sensitive with a witness state in the guest mode (satisfying the assumptions), or
   *  location-sensitive with both witness states in the guest mode (the real one satisfying the
   *  assumptions). Mode-sensitivity alone never counts: under a hybrid monitor the guest's user
   *  mode runs in the real guest mode, so the mode it sees is the one it expects (Theorem 3). */
  userSensitive: Verdict;
  timingDependent: Verdict;
  innocuous: Tri;
  /** One line a student can read: "POPF: in user mode the write to EFLAGS.IF is silently dropped; no trap". */
  reason: string;
  /** Author claims the derivation contradicts. */
  claimFindings: { claim: ClaimAt; derived: string; message: string }[];
  /** The instances of the instruction, partitioned by a condition over its operands (the
   *  operand-only tests its semantics make). One entry with condition "true" when every instance
   *  is classified alike; otherwise one entry per class, e.g. privileged where "n != 0" and
   *  innocuous where "n == 0". The verdicts above are the instruction's as a whole: `yes` when
   *  some instance has the property (privileged: when every instance is privileged). */
  instances: InstanceClass[];
  /** Does this instruction break the trap-and-emulate monitor (DESIGN.md, "The model")? yes with
   *  the witness pair (virtual state, corresponding real state), no with a proof, or unknown. */
  breaksMonitor: Verdict;
  /** The same question for the hybrid monitor (virtual state in the virtual user mode only). */
  breaksHybrid: Verdict;
  /** Theorem 1's premise, per instance: some sensitive instance is not privileged (with the
   *  sensitivity witness of such an instance). */
  offendsTheorem1: Verdict;
  /** Theorem 3's premise: some user-sensitive instance is not privileged. */
  offendsTheorem3: Verdict;
}

/** One class of an instruction's instances. */
export interface InstanceClass {
  /** The operand condition in the spec's expression syntax ("n == 0", "csr == 0x300 || csr == 0x341"); "true" for all. */
  condition: string;
  privileged: 'yes' | 'no' | 'unknown';
  controlSensitive: Tri;
  modeSensitive: Tri;
  locationSensitive: Tri;
  sensitive: Tri;
  userSensitive: Tri;
  timingDependent: Tri;
  /** One line in words: "privileged", "innocuous", "mode-sensitive, not privileged". */
  summary: string;
  /** The operand values (hex) of one instance of the class (a patch needs a trapping instance). */
  sample?: Record<string, string>;
}

export interface TheoremVerdict {
  /** 'holds', 'fails', or 'unknown' when some needed verdict is unknown. */
  value: 'holds' | 'fails' | 'unknown';
  /** Instructions that break it, with the one-line reason; `witness` for the exact monitor
   *  verdicts (trapAndEmulate, hybridMonitor): the pair of runs, virtual then real. */
  offenders: { mnemonic: string; reason: string; span: Span; condition?: string; witness?: Witness }[];
  /** Instructions whose verdict is unknown and would decide it. */
  undecided: string[];
  statement: string;
}

export interface IsaAnalysis {
  isa: string;
  source: string;
  guestMode: string;
  mostPrivilegedMode: string;
  /** Invariants the monitor keeps while a guest runs, as written in the spec. */
  assumptions: { name: string; text: string; span: Span }[];
  instructions: InstructionClassification[];
  theorem1: TheoremVerdict;
  theorem2: TheoremVerdict;
  theorem3: TheoremVerdict;
  /** The exact question: does a trap-and-emulate monitor exist? (Theorem 1 is sufficient, not
   *  necessary.) `note` says, where Theorem 1 fails but the monitor exists, why. */
  trapAndEmulate: TheoremVerdict & { note?: string };
  /** The same for the hybrid monitor (Theorem 3's sufficient condition). */
  hybridMonitor: TheoremVerdict & { note?: string };
  /** Problems found with witnesses (a witness the replay did not confirm is a bug). */
  errors: string[];
  /** `cached`: instructions whose classification came from the cache (cache.ts), not the solver.
   *  The times (ms): in the solver, building query terms (symbolic execution), replaying models
   *  on the interpreter, probing with concrete states; the rest of totalMs is everything else. */
  stats: {
    instructions: number;
    solverQueries: number;
    solverMs: number;
    symbolicMs: number;
    replayMs: number;
    probeMs: number;
    totalMs: number;
    cached: number;
  };
}
