// isavirt as a library: the stage APIs, re-exported from one place (`import … from 'isavirt'`), and
// a few entry points that do what a command does. Each stage's own index is the source of truth;
// add a line here when a stage gains a public entry point. The package's `exports` map also offers
// each stage on its own: 'isavirt/analysis', 'isavirt/report', 'isavirt/vmm', 'isavirt/grade', …
//
// Load and check:   loadIsaFile, parseIsaText, checkFile (load and analyse), formatSpec
// Analyse:          analyzeIsa, analyzeIsas, explainInstruction
// Report:           renderText, renderSummary, renderMarkdown, renderJson, renderSarif (and build*)
// Run and monitor:  assemble, runGuest, GuestSession, MONITORS, patchProgram
// Demo:             demoIsa, renderDemoText, demoJson
// Grade:            prepareAssignment, listSubmissions, gradeEntries, gradeSubmission, gradeFolder,
//                   toGradescope, toPrairieLearn, toClassroom, toCsv, gradesToText

import { type IsaAnalysis, analyzeIsa, type AnalyzeOptions } from './analysis/index.js';
import {
  gradeEntries,
  listSubmissions,
  prepareAssignment,
  summarise,
  type BatchSummary,
  type ListOptions,
  type PoolOptions,
  type PrepareOptions,
  type SubmissionGrade,
} from './grade/index.js';
import { loadIsaFile, type Isa } from './ir/index.js';
import { failedSpec, type FailedSpec } from './report/index.js';

// ---- load and check ----
export * from './ir/index.js';
export type * from './syntax/index.js';
export { formatSpec, printExpr, printSpec, type FormatResult } from './ir/index.js';

// ---- analyse ----
export { analyzeIsa, analyzeIsas, explainInstruction, type AnalyzeOptions } from './analysis/index.js';
export type * from './analysis/index.js';

// ---- report (each format) ----
export { renderText, renderSummary, type TextOptions, type SummaryOptions } from './report/index.js';
export { renderMarkdown, type MarkdownOptions } from './report/index.js';
export { renderJson, buildJsonReport, failedSpec, toolVersion, type JsonReport, type FailedSpec } from './report/index.js';
export { renderSarif, buildSarif, SARIF_RULES, type SarifOptions } from './report/index.js';

// ---- run, monitor, demo ----
export { assemble, disassembleProgram, formatAsmDiagnostic, type AssembleResult, type Program, type AsmDiagnostic } from './asm/index.js';
export {
  runGuest,
  GuestSession,
  VmmError,
  MONITORS,
  DEFAULT_GUEST_STEPS,
  patchProgram,
  type MonitorKind,
  type GuestOptions,
  type GuestImage,
  type GuestRun,
  type PatchResult,
} from './vmm/index.js';
export { demoIsa, renderDemoText, demoJson, type DemoOptions, type DemoResult, type OffenderDemo } from './demo/index.js';

// ---- grade ----
export {
  prepareAssignment,
  loadAssignment,
  parseAnswers,
  gradeSubmission,
  gradeInPool,
  gradeEntries,
  listSubmissions,
  summarise,
  summaryLine,
  GRADE_FORMATS,
  toGradescope,
  toPrairieLearn,
  toClassroom,
  toClassroomRunners,
  classroomEnvironment,
  toCsv,
  toText as gradesToText,
  renderOne,
  renderBatch,
  type Assignment,
  type PreparedAssignment,
  type SubmissionGrade,
  type SubmissionEntry,
  type TestResult,
  type GradeFormat,
  type BatchSummary,
  type ClassroomRunner,
} from './grade/index.js';

/** A spec loaded and analysed, or why it could not be (its diagnostics, as the reports carry them). */
export type Checked = { ok: true; isa: Isa; analysis: IsaAnalysis } | { ok: false; failed: FailedSpec };

/**
 * What `isavirt check` does for one spec: load it (`.isa` or `.isa.json`, `extends` resolved beside
 * it), type-check it, and analyse it. Never throws for a bad spec.
 *
 * ```ts
 * const r = await checkFile('isas/pg.isa');
 * if (r.ok) console.log(r.analysis.theorem1.value); // 'holds'
 * ```
 */
export async function checkFile(file: string, options: AnalyzeOptions = {}): Promise<Checked> {
  const loaded = await loadIsaFile(file);
  if (!loaded.ok) return { ok: false, failed: failedSpec(file, loaded.diagnostics.length ? loaded.diagnostics : `${file}: does not load`) };
  return { ok: true, isa: loaded.isa, analysis: await analyzeIsa(loaded.isa, options) };
}

export type Graded = { ok: true; batch: boolean; grades: SubmissionGrade[]; summary: BatchSummary; warnings: string[] } | { ok: false; errors: string[] };

/**
 * What `isavirt grade` does: prepare the assignment (its reference analysed once, cached beside it
 * unless `cache: false`), find the submissions at `target` (one, or a batch folder: one result per
 * entry, in name order, each under its exact name), and grade each in an isolated worker.
 *
 * ```ts
 * const r = await gradeFolder('isas/course/toy/assignment.json', 'isas/course/toy/submissions');
 * if (r.ok) for (const g of r.grades) console.log(g.student, g.score, '/', g.maxScore);
 * ```
 */
export async function gradeFolder(assignmentFile: string, target: string, options: PrepareOptions & ListOptions & PoolOptions = {}): Promise<Graded> {
  const prepared = await prepareAssignment(assignmentFile, options);
  if (!prepared.ok) return prepared;
  const listed = listSubmissions(target, prepared.prepared.assignment, options);
  if (!listed.ok) return { ok: false, errors: [listed.error] };
  const grades = await gradeEntries(prepared.prepared, listed.entries, options);
  return { ok: true, batch: listed.batch, grades, summary: summarise(grades), warnings: prepared.prepared.warnings };
}
