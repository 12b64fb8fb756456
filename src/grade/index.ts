// The public API of grading: prepare an assignment once, grade submissions (in isolated workers, or
// in this thread), and render the grades for Gradescope, PrairieLearn, GitHub Classroom or a CSV.

export type * from './types.js';
export { PROPERTIES } from './types.js';
export { prepareAssignment, loadAssignment, parseAnswers, defaultCacheFile, derivedProperty, type PrepareOptions, type Prepared } from './assignment.js';
export { gradeSubmission, zeroGrade, studentName } from './grade.js';
export { gradeInPool, workerScript, type PoolOptions } from './pool.js';
export { compareInstruction, stateMismatches, type EquivResult } from './equiv.js';
export { confinedHost, MAX_SUBMISSION_FILE, type ConfinedHost } from './host.js';
export {
  submissionFiles,
  listSubmissions,
  gradeEntries,
  summarise,
  summaryLine,
  type SubmissionEntry,
  type Listing,
  type ListOptions,
  type BatchSummary,
} from './batch.js';
export {
  GRADE_FORMATS,
  toGradescope,
  toPrairieLearn,
  toClassroom,
  toClassroomRunners,
  classroomEnvironment,
  toCsv,
  toText,
  renderOne,
  renderBatch,
  batchFileNames,
  type GradeFormat,
  type ClassroomRunner,
  type ClassroomResult,
  type ClassroomTest,
} from './formats.js';
