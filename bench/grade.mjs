// Grading throughput: 200 generated submissions to the 386 assignment (isas/course/x86), each an
// answer file (random claims) and one of several red-pill programs, graded in the worker pool. The
// reference is analysed once (or read from its cache) and shared by every worker. Prints figures;
// the goal is under 30 s for the 200 on a 2-core machine. Run after `npm run build`.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const g = await import(path.join(root, 'dist/grade/index.js'));
const N = Number(process.env.GRADE_BENCH_N ?? 200);

const t0 = performance.now();
const prepared = await g.prepareAssignment(path.join(root, 'isas/course/x86/assignment.json'));
if (!prepared.ok) {
  console.error(prepared.errors.join('\n'));
  process.exit(2);
}
const tPrep = performance.now() - t0;
const prep = prepared.prepared;

// Deterministic pseudo-random answers (a linear congruential generator, seed fixed).
let seed = 12345;
const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
const props = ['privileged', 'control-sensitive', 'behaviour-sensitive', 'innocuous'];
const q = prep.assignment.questions.find((x) => x.kind === 'classification');
const programs = [
  '        .kernel\n        .org 0x1000\nstart:  MOV eax, cs\n        AND eax, 3\n        MOV [0x1100], eax\n        HLT\n',
  '        .kernel\n        .org 0x1000\nstart:  MOV eax, 5\n        ADD eax, eax\n        MOV [0x1100], eax\n        HLT\n',
  '        .kernel\n        .org 0x1000\nstart:  STI\n        PUSHF\n        POP eax\n        AND eax, 0xfffffdff\n        PUSH eax\n        POPF\n        PUSHF\n        POP ebx\n        MOV [0x1100], ebx\n        HLT\n',
];
const dir = mkdtempSync(path.join(os.tmpdir(), 'isavirt-bench-grade-'));
const subs = [];
for (let i = 0; i < N; i++) {
  const s = path.join(dir, `student${String(i).padStart(3, '0')}`);
  mkdirSync(s);
  const instructions = {};
  for (const m of q.instructions) instructions[m] = props.filter(() => rnd() < 0.4);
  const offenders = q.instructions.filter(() => rnd() < 0.4);
  writeFileSync(path.join(s, 'answers.json'), JSON.stringify({ instructions, theorems: { 1: { holds: rnd() < 0.3, offenders } } }));
  writeFileSync(path.join(s, 'redpill.s'), programs[i % programs.length]);
  subs.push(s);
}

const t1 = performance.now();
const grades = await g.gradeInPool(prep, subs);
const tGrade = performance.now() - t1;
rmSync(dir, { recursive: true, force: true });

const gradable = grades.filter((x) => x.gradable).length;
const mean = grades.reduce((s, x) => s + x.score, 0) / grades.length;
console.log(`reference analysis: ${(tPrep / 1000).toFixed(1)} s (${prepared.cached ? 'from the cache' : 'analysed; cached for next time'})`);
console.log(
  `graded ${grades.length} submissions in ${(tGrade / 1000).toFixed(1)} s with ${Math.min(os.availableParallelism(), grades.length)} workers (${(tGrade / grades.length).toFixed(0)} ms each); goal: under 30 s`,
);
console.log(`gradable: ${gradable}; mean score ${mean.toFixed(2)} of ${grades[0]?.maxScore}`);
