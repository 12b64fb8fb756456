// Grading classification answers: each claim a student makes about an instruction (privileged,
// control-sensitive, behaviour-sensitive, innocuous) and about Theorems 1 and 3 is compared with
// what the analysis derived for the reference spec. A wrong claim's feedback is built from the
// evidence behind the derived verdict (the witness, the proof, the syntactic argument).

import type { Evidence, InstructionClassification, IsaAnalysis, TheoremVerdict } from '../analysis/index.js';
import { derivedProperty, parseAnswers } from './assignment.js';
import { clip, points, resolveFeedback, resolveVisibility, showsAnswer } from './common.js';
import type { Answers, ClassificationQuestion, FeedbackLevel, InstructionAnswer, PreparedAssignment, Property, TestResult } from './types.js';
import { PROPERTIES } from './types.js';

/** The student's claim for one property: true, false, or undefined (no answer). */
function claimOf(a: InstructionAnswer | undefined, p: Property): boolean | undefined {
  if (a === undefined) return undefined;
  if (Array.isArray(a)) return a.includes(p);
  return a[p];
}

/** The answer for `mnemonic` (exact name first, then ignoring case). */
function answerFor(answers: Answers, mnemonic: string): InstructionAnswer | undefined {
  const ins = answers.instructions ?? {};
  if (Object.prototype.hasOwnProperty.call(ins, mnemonic)) return ins[mnemonic];
  const key = Object.keys(ins).find((k) => k.toLowerCase() === mnemonic.toLowerCase());
  return key === undefined ? undefined : ins[key];
}

function evidenceText(e: Evidence): string {
  switch (e.k) {
    case 'syntactic':
      return `by its semantics, for every state: it ${e.text}`;
    case 'proof':
      return `proved for every state: it ${e.text}`;
    case 'witness':
      return `witness: ${e.text}`;
    case 'unknown':
      return `undecided: ${e.reason}`;
  }
}

/** Why property `p` has the derived value for instruction `c`, in words. */
export function whyProperty(c: InstructionClassification, p: Property, analysis: IsaAnalysis): string {
  switch (p) {
    case 'privileged':
      if (c.privileged.value === 'conditional') {
        return `in mode ${analysis.guestMode} it traps for privilege only when ${clip(c.privileged.condition ?? '?', 240)}, so in other ${analysis.guestMode}-mode states it runs without trapping`;
      }
      return evidenceText(c.privileged.evidence);
    case 'control-sensitive':
      return evidenceText(c.controlSensitive.evidence);
    case 'behaviour-sensitive': {
      if (c.modeSensitive.value === 'yes') return evidenceText(c.modeSensitive.evidence);
      if (c.locationSensitive.value === 'yes') return evidenceText(c.locationSensitive.evidence);
      return `mode: ${evidenceText(c.modeSensitive.evidence)}; location: ${evidenceText(c.locationSensitive.evidence)}`;
    }
    case 'innocuous':
      return c.reason.replace(new RegExp(`^${c.mnemonic}: `), '');
  }
}

const PHRASE: Record<Property, string> = {
  privileged: 'privileged',
  'control-sensitive': 'control-sensitive',
  'behaviour-sensitive': 'behaviour-sensitive',
  innocuous: 'innocuous',
};

/** One sentence about a wrong or missing claim, cut to the feedback level. */
function claimFeedback(
  c: InstructionClassification,
  p: Property,
  derived: boolean,
  claim: boolean | undefined,
  level: FeedbackLevel,
  analysis: IsaAnalysis,
): string {
  const said = claim === undefined ? `you gave no answer for ${p}` : `you said it is ${claim ? '' : 'not '}${PHRASE[p]}`;
  if (level === 'score') return '';
  if (level === 'wrong') return `${c.mnemonic}, ${p}: ${said}; that is not right.`;
  const truth = `${c.mnemonic} is ${derived ? '' : 'not '}${PHRASE[p]}`;
  if (level === 'answer') return `${truth} (${said}).`;
  return `${truth} (${said}): ${whyProperty(c, p, analysis)}.`;
}

function theoremName(n: 1 | 3): string {
  return n === 1
    ? 'Theorem 1 (sensitive ⊆ privileged: a trap-and-emulate monitor can be built)'
    : 'Theorem 3 (user-sensitive ⊆ privileged: a hybrid monitor can be built)';
}

export interface ClassificationInput {
  /** The answer file's text, or undefined when the submission has none. */
  text: string | undefined;
  file: string;
}

/** Grade one classification question. `formatErrors` collects problems that make the submission
 *  not gradable (a missing or malformed answer file). */
export function gradeClassification(prep: PreparedAssignment, q: ClassificationQuestion, input: ClassificationInput, formatErrors: string[]): TestResult[] {
  const { analysis } = prep;
  const level = resolveFeedback(prep.assignment, q);
  const visibility = resolveVisibility(prep.assignment, q);
  const asked = q.properties ?? [...PROPERTIES];
  let answers: Answers | undefined;
  let failure: string | undefined;
  if (input.text === undefined) {
    failure = `no answer file ${input.file} in the submission`;
  } else {
    const parsed = parseAnswers(input.text, input.file);
    if (parsed.ok) answers = parsed.answers;
    else failure = parsed.errors.join('\n');
  }
  if (failure !== undefined) formatErrors.push(failure);

  const tests: TestResult[] = [];
  const per = asked.length > 0 ? q.pointsPerInstruction / asked.length : 0;
  for (const m of q.instructions) {
    const c = analysis.instructions.find((i) => i.mnemonic === m)!;
    let score = 0;
    let max = 0;
    let graded = 0;
    let right = 0;
    const lines: string[] = [];
    const expected: string[] = [];
    const ans = answers ? answerFor(answers, m) : undefined;
    for (const p of asked) {
      const d = derivedProperty(c, p);
      if (d === 'unknown') continue; // never graded against a guess (the teacher was warned)
      max += per;
      graded++;
      expected.push(`${d === 'yes' ? '' : 'not '}${PHRASE[p]}`);
      const claim = claimOf(ans, p);
      if (claim === (d === 'yes')) {
        score += per;
        right++;
      } else if (answers) lines.push(claimFeedback(c, p, d === 'yes', claim, level, analysis));
    }
    let output: string;
    if (!answers) output = `not graded: ${failure}`;
    else if (lines.length === 0) output = `${m}: every claim is right.`;
    else if (level === 'score') output = `${m}: ${points(score)} of ${points(max)} points.`;
    else {
      if (showsAnswer(level)) lines.push(`Expected: ${m} is ${expected.join(', ')}.`);
      output = lines.join('\n');
    }
    tests.push({ name: `${q.id}: ${m}`, question: q.id, score, maxScore: max, visibility, output, parts: { passed: answers ? right : 0, of: graded } });
  }

  for (const t of q.theorems ?? []) {
    const v: TheoremVerdict = t.theorem === 1 ? analysis.theorem1 : analysis.theorem3;
    if (v.value === 'unknown') continue;
    const ans = answers?.theorems?.[String(t.theorem)];
    const holds = v.value === 'holds';
    // Verdict.
    {
      let output: string;
      let score = 0;
      if (!answers) output = `not graded: ${failure}`;
      else if (ans?.holds === holds) {
        score = t.verdictPoints;
        output = `${theoremName(t.theorem)}: right, it ${holds ? 'holds' : 'fails'}.`;
      } else {
        const said = ans?.holds === undefined ? 'you gave no verdict' : `you said it ${ans.holds ? 'holds' : 'fails'}`;
        output =
          level === 'score'
            ? `0 of ${points(t.verdictPoints)} points.`
            : level === 'wrong'
              ? `${theoremName(t.theorem)}: ${said}; that is not right.`
              : `${theoremName(t.theorem)} ${holds ? 'holds' : 'fails'} for ${analysis.isa} (${said})` +
                (level === 'evidence'
                  ? holds
                    ? ': every sensitive instruction is privileged.'
                    : `: ${v.offenders.length} instruction${v.offenders.length === 1 ? ' breaks' : 's break'} it, e.g. ${v.offenders[0]!.reason}.`
                  : '.') +
                `\nExpected: "holds": ${holds}.`;
      }
      tests.push({ name: `${q.id}: Theorem ${t.theorem} verdict`, question: q.id, score, maxScore: t.verdictPoints, visibility, output });
    }
    // Offenders: the overlap (Jaccard index) of the student's set with the derived one.
    if (t.offendersPoints !== undefined) {
      const among = t.among ? new Set(t.among) : undefined;
      const byName = new Map(v.offenders.map((o) => [o.mnemonic, o]));
      const truth = new Set(v.offenders.map((o) => o.mnemonic).filter((m) => !among || among.has(m)));
      const known = new Map(analysis.instructions.map((i) => [i.mnemonic.toLowerCase(), i.mnemonic]));
      const claimed = new Set((ans?.offenders ?? []).map((m) => known.get(m.toLowerCase()) ?? m).filter((m) => !among || among.has(m)));
      const right = [...claimed].filter((m) => truth.has(m));
      const extra = [...claimed].filter((m) => !truth.has(m)).sort();
      const missed = [...truth].filter((m) => !claimed.has(m)).sort();
      const union = truth.size + extra.length;
      const score = !answers ? 0 : union === 0 ? t.offendersPoints : (t.offendersPoints * right.length) / union;
      let output: string;
      if (!answers) output = `not graded: ${failure}`;
      else if (extra.length === 0 && missed.length === 0)
        output = `Theorem ${t.theorem} offenders: right (${truth.size === 0 ? 'none' : [...truth].sort().join(', ')}).`;
      else if (level === 'score') output = `${points(score)} of ${points(t.offendersPoints)} points.`;
      else {
        const L = [`Theorem ${t.theorem} offenders: ${right.length} of ${truth.size} right${among ? ` (among ${[...among].join(', ')})` : ''}.`];
        if (level === 'wrong') {
          if (extra.length) L.push(`${extra.length} you named ${extra.length === 1 ? 'is' : 'are'} not offenders.`);
          if (missed.length) L.push(`${missed.length} offender${missed.length === 1 ? ' is' : 's are'} missing.`);
        } else {
          for (const m of extra) {
            const c = analysis.instructions.find((i) => i.mnemonic === m);
            const why = !c ? `${analysis.isa} has no instruction ${m}` : level === 'evidence' ? c.reason : `${m} is not an offender`;
            L.push(`not an offender: ${why}`);
          }
          for (const m of missed) L.push(`missing: ${level === 'evidence' ? byName.get(m)!.reason : m}`);
          L.push(`Expected offenders: ${truth.size === 0 ? 'none' : [...truth].sort().join(', ')}.`);
        }
        output = L.join('\n');
      }
      const parts = !answers ? { passed: 0, of: Math.max(1, union) } : union === 0 ? { passed: 1, of: 1 } : { passed: right.length, of: union };
      tests.push({ name: `${q.id}: Theorem ${t.theorem} offenders`, question: q.id, score, maxScore: t.offendersPoints, visibility, output, parts });
    }
  }
  return tests;
}
