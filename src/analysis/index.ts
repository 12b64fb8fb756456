// The analysis entry: classify every instruction of an ISA, decide the theorems, and explain one
// instruction's evidence in words (for `check --explain`).

import type { Instruction, Isa } from '../ir/index.js';
import { printExpr } from './print.js';
import { instructionKey, readInstruction, writeInstruction } from './cache.js';
import { classifyInstruction, fromCache, newContext } from './classify.js';
import { getZ3, isolateSolving } from './symbolic.js';
import { hybridMonitor, theorem1, theorem2, theorem3, trapAndEmulate } from './theorems.js';
import type { Evidence, InstructionClassification, IsaAnalysis, Witness } from './types.js';

export { analyzeIsas, startWorkers, type ParallelOptions } from './parallel.js';

export type * from './types.js';
export { printExpr, printStmts } from './print.js';
export { instructionEffects } from './effects.js';
export {
  getZ3,
  solverHeapBytes,
  Logic,
  SymArray,
  freshState,
  indexBits,
  operandTerms,
  predicate,
  runSymbolic,
  solve,
  type ArrayBase,
  type B,
  type BV,
  type SymState,
  type Z3,
} from './symbolic.js';
export { statesOfWitness, operandsOfWitness, stateFromModel } from './witness.js';

export interface AnalyzeOptions {
  /** Bound on each solver query, in milliseconds (default 8000); hitting it gives 'unknown'. Most
   *  queries take milliseconds; the bound is for the rare hard one (a wide division). */
  timeoutMs?: number;
  /** Z3 resource limit per query (deterministic across machines and load); default none. */
  rlimit?: number;
  /** Analyse only these instructions (the theorems then speak of them alone). */
  only?: string[];
  /** Called after each instruction (progress bars). */
  onInstruction?: (done: number, total: number, mnemonic: string) => void;
  /** Read and write the per-instruction analysis cache (cache.ts: memory and disk); default true. */
  cache?: boolean;
}

/** Instructions classified in one solving context. Z3's answers (which model, so which witness)
 *  depend on the queries asked before in the same context; a fresh context every CHUNK
 *  instructions makes each chunk's results a function of the chunk alone, so chunks can be
 *  classified in any order, in any worker, with the same witnesses. One instruction: then an
 *  instruction's verdicts and witnesses are its own (the same with `only`), and workers balance
 *  best; a context costs well under a millisecond to make (solve() deletes the old one). */
export const CHUNK = 1;

/** What classifying a run of instructions gives (plain data: it crosses worker threads as is). */
export interface ChunkResult {
  instructions: InstructionClassification[];
  errors: string[];
  solverQueries: number;
  solverMs: number;
  symbolicMs: number;
  replayMs: number;
  probeMs: number;
  /** How many of `instructions` came from the cache (cache.ts). */
  cached: number;
}

/** The timers of a chunk (ClassifyContext.stats), summed the same way everywhere. */
export const TIMERS = ['solverMs', 'symbolicMs', 'replayMs', 'probeMs'] as const;

/** Chunks merged: their instructions in order, their counts and timers summed. */
export function mergeChunks(cs: ChunkResult[]): ChunkResult {
  const out: ChunkResult = {
    instructions: cs.flatMap((c) => c.instructions),
    errors: cs.flatMap((c) => c.errors),
    solverQueries: 0,
    solverMs: 0,
    symbolicMs: 0,
    replayMs: 0,
    probeMs: 0,
    cached: 0,
  };
  for (const c of cs) {
    out.solverQueries += c.solverQueries;
    out.cached += c.cached;
    for (const t of TIMERS) out[t] += c[t];
  }
  return out;
}

/** The instructions `analyzeIsa` analyses, in order. */
export function analysedInstructions(isa: Isa, options: Pick<AnalyzeOptions, 'only'> = {}): Isa['instructions'] {
  return options.only ? isa.instructions.filter((i) => options.only!.includes(i.mnemonic)) : isa.instructions;
}

/** The cached classification of one instruction, or undefined (also when the cache is off). */
export function cachedInstruction(isa: Isa, instr: Instruction, options: AnalyzeOptions = {}): ChunkResult | undefined {
  if (options.cache === false) return undefined;
  const hit = readInstruction(instructionKey(isa, instr, options));
  if (!hit) return undefined;
  return {
    instructions: [fromCache(instr, hit.classification)],
    errors: hit.errors,
    solverQueries: 0,
    solverMs: 0,
    symbolicMs: 0,
    replayMs: 0,
    probeMs: 0,
    cached: 1,
  };
}

/** Classify the analysed instructions [from, to) — `from` a multiple of CHUNK — a fresh solving
 *  context at each chunk boundary; each instruction from the cache where it has an entry, and
 *  cached once classified. */
export async function classifyRange(
  isa: Isa,
  from: number,
  to: number,
  options: AnalyzeOptions = {},
  onEach?: (mnemonic: string) => void,
): Promise<ChunkResult> {
  const instrs = analysedInstructions(isa, options).slice(from, to);
  const result: ChunkResult = { instructions: [], errors: [], solverQueries: 0, solverMs: 0, symbolicMs: 0, replayMs: 0, probeMs: 0, cached: 0 };
  let ctx: ReturnType<typeof newContext> | undefined;
  for (const [n, instr] of instrs.entries()) {
    const hit = cachedInstruction(isa, instr, options);
    if (hit) {
      result.instructions.push(...hit.instructions);
      result.errors.push(...hit.errors);
      result.cached++;
      onEach?.(instr.mnemonic);
      continue;
    }
    // The solving context (and Z3) only when something is not cached.
    ctx ??= newContext(await getZ3(), isa, options.timeoutMs ?? 8000, options.rlimit ?? 0);
    if ((from + n) % CHUNK === 0) isolateSolving();
    const before = { ...ctx.stats, errors: ctx.errors.length };
    let c: InstructionClassification;
    try {
      c = await classifyInstruction(ctx, instr);
    } catch (e) {
      // An internal failure on one instruction must not hide the others: report it, mark unknown.
      const msg = `${instr.mnemonic}: analysis failed: ${e instanceof Error ? e.message : String(e)}`;
      ctx.errors.push(msg);
      c = failed(instr, msg);
    }
    const errors = ctx.errors.slice(before.errors);
    const entry = { classification: c, errors, solverQueries: ctx.stats.solverQueries - before.solverQueries, solverMs: ctx.stats.solverMs - before.solverMs };
    // A failure or an undecided verdict under a wall-clock bound may go otherwise on an idle
    // machine: only complete answers are kept.
    if (options.cache !== false && errors.length === 0 && !undecided(c)) writeInstruction(instructionKey(isa, instr, options), entry);
    result.instructions.push(c);
    result.errors.push(...errors);
    result.solverQueries += entry.solverQueries;
    for (const t of TIMERS) result[t] += ctx.stats[t] - before[t];
    onEach?.(instr.mnemonic);
  }
  return result;
}

/** Does any verdict of `c` say unknown? */
function undecided(c: InstructionClassification): boolean {
  return [
    c.privileged,
    c.controlSensitive,
    c.modeSensitive,
    c.locationSensitive,
    c.userSensitive,
    c.timingDependent,
    c.breaksMonitor,
    c.breaksHybrid,
    c.offendsTheorem1,
    c.offendsTheorem3,
  ].some((v) => v.value === 'unknown');
}

/** The analysis of an ISA from its classified chunks (in instruction order): theorems decided
 *  after the merge. */
export function assembleAnalysis(isa: Isa, chunks: ChunkResult[], totalMs: number): IsaAnalysis {
  const all = mergeChunks(chunks);
  const out = all.instructions;
  const t1 = theorem1(out);
  const t3 = theorem3(out);
  return {
    isa: isa.name,
    source: isa.source,
    guestMode: isa.guestMode,
    mostPrivilegedMode: isa.modes[0]?.name ?? '',
    assumptions: isa.assumptions.map((a) => ({ name: a.name, text: printExpr(a.holds), span: a.span })),
    instructions: out,
    theorem1: t1,
    theorem2: theorem2(out, t1),
    theorem3: t3,
    trapAndEmulate: trapAndEmulate(out, t1),
    hybridMonitor: hybridMonitor(out, t3),
    errors: all.errors,
    stats: {
      instructions: out.length,
      solverQueries: all.solverQueries,
      solverMs: Math.round(all.solverMs),
      symbolicMs: Math.round(all.symbolicMs),
      replayMs: Math.round(all.replayMs),
      probeMs: Math.round(all.probeMs),
      cached: all.cached,
      totalMs: Math.round(totalMs),
    },
  };
}

export async function analyzeIsa(isa: Isa, options: AnalyzeOptions = {}): Promise<IsaAnalysis> {
  const t0 = performance.now();
  const total = analysedInstructions(isa, options).length;
  let done = 0;
  const r = await classifyRange(isa, 0, total, options, (m) => options.onInstruction?.(++done, total, m));
  return assembleAnalysis(isa, [r], performance.now() - t0);
}

function failed(instr: Isa['instructions'][number], msg: string): InstructionClassification {
  const u = { value: 'unknown' as const, evidence: { k: 'unknown' as const, text: 'undecided', reason: msg } };
  return {
    mnemonic: instr.mnemonic,
    span: instr.span,
    effects: {
      reads: [],
      writes: [],
      readsMode: false,
      readsControl: false,
      writesMode: false,
      writesControl: false,
      readsClock: false,
      traps: [],
      halts: false,
      modeReads: [],
      controlReads: [],
      modeWrites: [],
      controlWrites: [],
      clockReads: [],
      directModeReads: [],
      directControlReads: [],
    },
    privileged: u,
    controlSensitive: u,
    modeSensitive: u,
    locationSensitive: u,
    sensitive: 'unknown',
    userSensitive: u,
    timingDependent: u,
    innocuous: 'unknown',
    reason: `${instr.mnemonic}: undecided — ${msg}`,
    claimFindings: [],
    instances: [
      {
        condition: 'true',
        privileged: 'unknown',
        controlSensitive: 'unknown',
        modeSensitive: 'unknown',
        locationSensitive: 'unknown',
        sensitive: 'unknown',
        userSensitive: 'unknown',
        timingDependent: 'unknown',
        summary: 'undecided',
      },
    ],
    breaksMonitor: u,
    breaksHybrid: u,
    offendsTheorem1: u,
    offendsTheorem3: u,
  };
}

// ---- explanation in words ----

function witnessLines(w: Witness, pad: string): string[] {
  const out: string[] = [];
  const ops = Object.entries(w.operands)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ');
  if (ops) out.push(`${pad}operands: ${ops}`);
  w.states.forEach((s, i) => {
    const label = w.states.length > 1 ? `state ${i === 0 ? 'A' : 'B'}` : 'state';
    const vals = Object.entries(s.values)
      .map(([k, v]) => `${k} = ${v}`)
      .join(', ');
    out.push(`${pad}${label} (mode ${s.mode}): ${vals}`);
    const o = w.outcomes[i];
    if (o) {
      const res = Object.entries(o.values)
        .map(([k, v]) => `${k} = ${v}`)
        .join(', ');
      out.push(`${pad}  → ${o.kind === 'trap' ? `trap ${o.trap}` : o.kind}${res ? `; ${res}` : ''}`);
    }
  });
  if (w.differs.length) out.push(`${pad}differs: ${w.differs.join('; ')}`);
  out.push(`${pad}replayed on the reference interpreter: ${w.replayed ? 'confirmed' : 'NOT confirmed'}`);
  return out;
}

function evidenceLines(e: Evidence, pad: string): string[] {
  switch (e.k) {
    case 'syntactic':
      return [`${pad}by the semantics (for every state): ${e.text}`];
    case 'proof':
      return [`${pad}proved by the solver for every bit pattern (${e.ms} ms): ${e.text}`, `${pad}query: ${e.query}`];
    case 'witness':
      return [`${pad}witness: ${e.text}`, ...witnessLines(e.witness, pad + '  ')];
    case 'unknown':
      return [`${pad}unknown: ${e.text} — ${e.reason}`];
  }
}

/** Every verdict of one instruction with its evidence, in words. */
export function explainInstruction(analysis: IsaAnalysis, mnemonic: string): string {
  const c = analysis.instructions.find((i) => i.mnemonic.toLowerCase() === mnemonic.toLowerCase());
  if (!c) {
    const names = analysis.instructions.map((i) => i.mnemonic).join(', ');
    return `${analysis.isa} has no instruction ${mnemonic}; it has: ${names}`;
  }
  const e = c.effects;
  const L: string[] = [];
  L.push(`${c.mnemonic} (${c.span.file}:${c.span.line}:${c.span.col})`);
  L.push(`  ${c.reason}`);
  L.push('effects:');
  L.push(`  reads: ${e.reads.join(', ') || 'nothing'}`);
  L.push(`  writes: ${e.writes.join(', ') || 'nothing'}`);
  if (e.modeReads.length || e.modeWrites.length) L.push(`  mode state: reads ${e.modeReads.join(', ') || '—'}; writes ${e.modeWrites.join(', ') || '—'}`);
  if (e.controlReads.length || e.controlWrites.length)
    L.push(`  control state: reads ${e.controlReads.join(', ') || '—'}; writes ${e.controlWrites.join(', ') || '—'}`);
  if (e.clockReads.length) L.push(`  clocks read: ${e.clockReads.join(', ')}`);
  if (e.halts) L.push('  may halt the machine');
  for (const t of e.traps) L.push(`  trap ${t.trap} (${t.kind}) when ${t.condition}`);
  const verdict = (name: string, value: string, ev: Evidence) => {
    L.push(`${name}: ${value}`);
    L.push(...evidenceLines(ev, '  '));
  };
  verdict(
    'privileged',
    c.privileged.value + (c.privileged.condition ? ` (traps in mode ${analysis.guestMode} when ${c.privileged.condition})` : ''),
    c.privileged.evidence,
  );
  verdict('control-sensitive', c.controlSensitive.value, c.controlSensitive.evidence);
  verdict('mode-sensitive', c.modeSensitive.value, c.modeSensitive.evidence);
  verdict('location-sensitive', c.locationSensitive.value, c.locationSensitive.evidence);
  L.push(`sensitive: ${c.sensitive}; innocuous: ${c.innocuous}`);
  verdict(`user-sensitive (in mode ${analysis.guestMode})`, c.userSensitive.value, c.userSensitive.evidence);
  L.push(
    `  (user-sensitive: control-sensitive in a ${analysis.guestMode}-mode state, or location-sensitive between two ${analysis.guestMode}-mode states; mode-sensitivity alone does not count, because under a hybrid monitor the guest's user code runs in the real ${analysis.guestMode} mode, which is the mode it expects)`,
  );
  verdict('timing-dependent', c.timingDependent.value, c.timingDependent.evidence);
  for (const f of c.claimFindings) L.push(`claim contradicted at ${f.claim.span.file}:${f.claim.span.line}:${f.claim.span.col}: ${f.message}`);
  return L.join('\n');
}
