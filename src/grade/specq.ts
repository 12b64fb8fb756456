// Grading a submitted spec. Three parts: it parses and checks (through a host confined to the
// submission, so `extends` cannot reach outside it); its verdicts (Theorem 1, and for `match` also
// Theorem 3 and every instruction's classification) against the reference's; and each instruction's
// semantics against the reference's, by a solver equivalence query with a replayed counterexample.
// For `fix` the reference's offenders must change (keeping their behaviour in the most privileged
// mode) and every other instruction must stay as it was; `minimal` rewards changing no more
// instructions than the reference has offenders.

import type { IsaAnalysis } from '../analysis/index.js';
import { parseIsaText, renderDiagnostic, type FileHost } from '../ir/index.js';
import { derivedProperty } from './assignment.js';
import { clip, resolveFeedback, resolveVisibility } from './common.js';
import { compareInstruction, stateMismatches, type EquivResult } from './equiv.js';
import type { FeedbackLevel, PreparedAssignment, SpecQuestion, TestResult } from './types.js';
import { PROPERTIES } from './types.js';

export interface SpecInput {
  text: string | undefined;
  /** The spec's path (inside the submission folder: `extends` is relative to it). */
  file: string;
  /** How the file is named to the student. */
  shown: string;
  host: FileHost & { refused: string[] };
  solverMs: number;
}

function cut(level: FeedbackLevel, full: string, brief: string): string {
  return level === 'evidence' || level === 'answer' ? full : brief;
}

export async function gradeSpec(prep: PreparedAssignment, q: SpecQuestion, input: SpecInput, formatErrors: string[]): Promise<TestResult[]> {
  const level = resolveFeedback(prep.assignment, q);
  const visibility = resolveVisibility(prep.assignment, q);
  const ref = prep.reference;
  const names = {
    parses: `${q.id}: parses`,
    verdicts: `${q.id}: verdicts`,
    semantics: `${q.id}: semantics`,
    minimal: `${q.id}: fewest changes`,
  };
  const test = (name: string, score: number, maxScore: number, output: string, parts?: TestResult['parts']): TestResult => ({
    name,
    question: q.id,
    score,
    maxScore,
    visibility,
    output,
    ...(parts ? { parts } : {}),
  });
  const zeros = (why: string): TestResult[] => {
    const later = `not graded: see "${names.parses}"`;
    const t = [
      test(names.parses, 0, q.points.parses, why),
      test(names.verdicts, 0, q.points.verdicts, later),
      test(names.semantics, 0, q.points.semantics, later),
    ];
    if (q.goal === 'fix' && q.points.minimal !== undefined) t.push(test(names.minimal, 0, q.points.minimal, later));
    return t;
  };

  if (input.text === undefined) {
    const why = input.host.refused.length ? input.host.refused.join('; ') : `no spec ${input.shown} in the submission`;
    formatErrors.push(why);
    return zeros(why);
  }
  const loaded = parseIsaText(input.text, input.file, input.host);
  if (!loaded.ok) {
    const errs = loaded.diagnostics.filter((d) => d.severity === 'error');
    const shown = errs
      .slice(0, 10)
      .map((d) =>
        renderDiagnostic(
          { ...d, span: d.span && { ...d.span, file: d.span.file === input.file ? input.shown : d.span.file } },
          d.span?.file === input.file ? input.text : undefined,
        ),
      );
    if (errs.length > 10) shown.push(`… and ${errs.length - 10} more errors`);
    for (const r of input.host.refused) shown.push(r);
    formatErrors.push(...shown);
    return zeros(`${input.shown} does not check:\n${shown.join('\n')}`);
  }
  const stu = loaded.isa;
  const tests: TestResult[] = [test(names.parses, q.points.parses, q.points.parses, `${input.shown} parses and checks.`)];

  const { analyzeIsa, getZ3 } = await import('../analysis/index.js');
  const analysis = await analyzeIsa(stu, { timeoutMs: input.solverMs });
  tests.push(verdictTest(q, prep.analysis, analysis, level, (s, o, parts) => test(names.verdicts, s, q.points.verdicts, o, parts)));

  // Semantics, instruction by instruction.
  const z3 = await getZ3();
  const offenders = new Set(prep.analysis.theorem1.offenders.map((o) => o.mnemonic));
  const top = ref.modes[0]?.name;
  const results: { r: EquivResult; credit: boolean; changed: boolean }[] = [];
  for (const ri of ref.instructions) {
    const full = await compareInstruction(z3, ref, stu, ri, { timeoutMs: input.solverMs });
    if (q.goal === 'match' || !offenders.has(ri.mnemonic)) {
      results.push({ r: full, credit: full.status === 'equal', changed: full.status !== 'equal' });
      continue;
    }
    // An offender of the reference: it must now be fine, and keep its behaviour in the most privileged mode.
    const c = analysis.instructions.find((x) => x.mnemonic === ri.mnemonic);
    const still = analysis.theorem1.offenders.some((o) => o.mnemonic === ri.mnemonic);
    if (full.status === 'missing') {
      results.push({
        r: { ...full, message: `${ri.mnemonic} was removed; fix it instead (the machine's programs still use it).` },
        credit: false,
        changed: true,
      });
    } else if (still || !c) {
      results.push({
        r: { mnemonic: ri.mnemonic, status: 'differs', message: `${ri.mnemonic} still breaks Theorem 1: ${c?.reason ?? 'not analysed'}` },
        credit: false,
        changed: full.status !== 'equal',
      });
    } else {
      const kept = await compareInstruction(z3, ref, stu, ri, { timeoutMs: input.solverMs, inMode: top });
      const r =
        kept.status === 'equal'
          ? { ...kept, message: `${ri.mnemonic}: fixed (${c.reason.replace(`${ri.mnemonic}: `, '')}), and in mode ${top} it does what the reference does.` }
          : kept;
      results.push({ r, credit: kept.status === 'equal', changed: true });
    }
  }
  const extra = stu.instructions.filter((i) => !ref.instructions.some((r) => r.mnemonic === i.mnemonic)).map((i) => i.mnemonic);
  const mism = [...stateMismatches(ref, stu).values()];
  const credited = results.filter((x) => x.credit).length;
  const semScore = ref.instructions.length ? (q.points.semantics * credited) / ref.instructions.length : q.points.semantics;
  {
    const L = [`${credited} of ${ref.instructions.length} instructions right.`];
    const wrong = results.filter((x) => !x.credit);
    if (level !== 'score') {
      for (const w of wrong) L.push(level === 'wrong' ? `${w.r.mnemonic}: not right.` : cut(level, clip(w.r.message, 600), w.r.message.split(':')[0]!));
      if (extra.length) L.push(`Instructions the reference does not have (not graded): ${extra.join(', ')}.`);
      if (mism.length && level !== 'wrong') L.push(`State declared differently from the reference: ${mism.join('; ')}.`);
    }
    tests.push(
      test(names.semantics, semScore, q.points.semantics, L.join('\n'), {
        passed: ref.instructions.length ? credited : 1,
        of: Math.max(1, ref.instructions.length),
      }),
    );
  }
  if (q.goal === 'fix' && q.points.minimal !== undefined) {
    const changed = results.filter((x) => x.changed).map((x) => x.r.mnemonic);
    const needed = offenders.size;
    const score = changed.length <= needed ? q.points.minimal : (q.points.minimal * needed) / changed.length;
    const out =
      changed.length <= needed
        ? `You changed ${changed.length} instruction${changed.length === 1 ? '' : 's'}${changed.length ? ` (${changed.join(', ')})` : ''}; ${needed} had to change.`
        : `You changed ${changed.length} instructions (${changed.join(', ')}); only ${needed} had to change (${[...offenders].join(', ')}).`;
    const parts = changed.length <= needed ? { passed: 1, of: 1 } : { passed: needed, of: changed.length };
    tests.push(test(names.minimal, score, q.points.minimal, level === 'score' ? '' : out, parts));
  }
  return tests;
}

/** Verdicts: for `fix`, Theorem 1 must hold; for `match`, the theorems and every instruction's
 *  classification must agree with the reference's (each item an equal share). */
function verdictTest(
  q: SpecQuestion,
  refA: IsaAnalysis,
  stuA: IsaAnalysis,
  level: FeedbackLevel,
  make: (score: number, output: string, parts?: TestResult['parts']) => TestResult,
): TestResult {
  const max = q.points.verdicts;
  if (q.goal === 'fix') {
    const t = stuA.theorem1;
    if (t.value === 'holds') return make(max, 'Theorem 1 holds for your spec: every sensitive instruction is privileged.');
    if (t.value === 'unknown')
      return make(0, `Theorem 1 could not be decided for your spec (undecided: ${t.undecided.join(', ')}); not credited (ask your instructor to review).`);
    const why = t.offenders.map((o) => `- ${o.reason}`).join('\n');
    return make(
      0,
      level === 'score'
        ? ''
        : level === 'wrong'
          ? 'Theorem 1 still fails for your spec.'
          : `Theorem 1 still fails for your spec:\n${why}\nExpected: Theorem 1 holds (every sensitive instruction privileged).`,
    );
  }
  const items: { ok: boolean; text: string }[] = [];
  for (const [n, a, b] of [
    [1, refA.theorem1, stuA.theorem1],
    [3, refA.theorem3, stuA.theorem3],
  ] as const) {
    if (a.value === 'unknown') continue;
    items.push({ ok: a.value === b.value, text: `Theorem ${n} ${a.value} for the reference, ${b.value} for yours` });
  }
  for (const c of refA.instructions) {
    const s = stuA.instructions.find((x) => x.mnemonic === c.mnemonic);
    const diffs: string[] = [];
    for (const p of PROPERTIES) {
      const d = derivedProperty(c, p);
      if (d === 'unknown') continue;
      const e = s ? derivedProperty(s, p) : 'missing';
      if (e !== d) diffs.push(`${p}: reference ${d}, yours ${e}`);
    }
    items.push({ ok: diffs.length === 0, text: `${c.mnemonic}: ${diffs.join('; ')}` });
  }
  const ok = items.filter((i) => i.ok).length;
  const score = items.length ? (max * ok) / items.length : max;
  const bad = items.filter((i) => !i.ok);
  const L = [`${ok} of ${items.length} verdicts agree with the reference.`];
  if (level !== 'score') for (const b of bad) L.push(level === 'wrong' ? b.text.split(':')[0]! + ': differs' : b.text);
  return make(score, L.join('\n'), { passed: items.length ? ok : 1, of: Math.max(1, items.length) });
}
