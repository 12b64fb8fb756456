// Loading an assignment: validate it against grammar/assignment.schema.json, check it against its
// reference spec (every instruction it names exists), and analyse the reference once. The analysis
// is the answer key: it is derived, never typed, and it is cached beside the assignment (keyed by a
// hash of the reference's IR) so a batch, a pool of workers and a Gradescope container re-use it.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { IsaAnalysis } from '../analysis/index.js';
import { loadIsaFile, renderDiagnostic, type Isa } from '../ir/index.js';
import { PROPERTIES, type Answers, type Assignment, type PreparedAssignment } from './types.js';

const validators = new Map<string, ValidateFunction>();

/** A compiled validator for one of the grammar/ schemas (compiled once per process). */
export function schemaValidator(name: string): ValidateFunction {
  let v = validators.get(name);
  if (!v) {
    const schema = JSON.parse(readFileSync(new URL(`../../grammar/${name}`, import.meta.url), 'utf8')) as object;
    v = new Ajv({ allErrors: true, strict: false }).compile(schema);
    validators.set(name, v);
  }
  return v;
}

/** ajv errors as short sentences: "/questions/0/points: must be number". */
export function schemaErrors(errors: ErrorObject[] | null | undefined, file: string): string[] {
  const out: string[] = [];
  for (const e of errors ?? []) {
    // `if/then` wrappers repeat the real error; keep the specific ones.
    if (e.keyword === 'if') continue;
    const where = e.instancePath || '(top level)';
    let msg = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') msg = `has an unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
    if (e.keyword === 'enum') msg = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    const line = `${file}: ${where}: ${msg}`;
    if (!out.includes(line)) out.push(line);
  }
  return out;
}

/** Parse JSON text, reporting a syntax error as a sentence instead of throwing. */
export function parseJson(text: string, file: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: `${file}: not valid JSON (${(e as Error).message})` };
  }
}

/** Validate an answer file's text; the errors are ready to show a student. */
export function parseAnswers(text: string, file: string): { ok: true; answers: Answers } | { ok: false; errors: string[] } {
  const j = parseJson(text, file);
  if (!j.ok) return { ok: false, errors: [j.error] };
  const v = schemaValidator('answers.schema.json');
  if (!v(j.value)) return { ok: false, errors: schemaErrors(v.errors, file) };
  return { ok: true, answers: j.value as Answers };
}

export type LoadedAssignment = { ok: true; assignment: Assignment; file: string } | { ok: false; errors: string[] };

/** Read and validate an assignment file (schema, unique ids); the reference is not loaded yet. */
export function loadAssignment(file: string): LoadedAssignment {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { ok: false, errors: [`${file}: cannot read the assignment`] };
  }
  const j = parseJson(text, file);
  if (!j.ok) return { ok: false, errors: [j.error] };
  const v = schemaValidator('assignment.schema.json');
  if (!v(j.value)) return { ok: false, errors: schemaErrors(v.errors, file) };
  const a = j.value as Assignment;
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const q of a.questions) {
    if (seen.has(q.id)) errors.push(`${file}: question id '${q.id}' is used twice; test names must be unique`);
    seen.add(q.id);
  }
  return errors.length ? { ok: false, errors } : { ok: true, assignment: a, file: path.resolve(file) };
}

/** Check every instruction the assignment names exists in the reference. */
function checkAgainstReference(a: Assignment, isa: Isa, file: string): string[] {
  const names = new Set(isa.instructions.map((i) => i.mnemonic));
  const errors: string[] = [];
  const need = (m: string, where: string) => {
    if (!names.has(m)) errors.push(`${file}: ${where} names ${m}, which ${isa.name} does not have`);
  };
  for (const q of a.questions) {
    if (q.kind !== 'classification') continue;
    for (const m of q.instructions) need(m, `question ${q.id}`);
    for (const t of q.theorems ?? []) for (const m of t.among ?? []) need(m, `question ${q.id} (theorem ${t.theorem})`);
  }
  return errors;
}

/** Verdicts the analysis could not decide, for the questions that ask about them: the teacher is
 *  told, and the grader leaves those parts out (never grades against a guess). */
function undecided(a: Assignment, analysis: IsaAnalysis): string[] {
  const out: string[] = [];
  for (const q of a.questions) {
    if (q.kind !== 'classification') continue;
    for (const m of q.instructions) {
      const c = analysis.instructions.find((i) => i.mnemonic === m);
      if (!c) continue;
      for (const p of q.properties ?? PROPERTIES) {
        if (derivedProperty(c, p) === 'unknown') out.push(`question ${q.id}: ${m} ${p} is undecided by the analysis; that part is not graded`);
      }
    }
    for (const t of q.theorems ?? []) {
      const v = t.theorem === 1 ? analysis.theorem1 : analysis.theorem3;
      if (v.value === 'unknown') out.push(`question ${q.id}: Theorem ${t.theorem} is undecided (${v.undecided.join(', ')}); it is not graded`);
    }
  }
  return out;
}

/** What the analysis says of one property: yes, no, or unknown. */
export function derivedProperty(c: IsaAnalysis['instructions'][number], p: (typeof PROPERTIES)[number]): 'yes' | 'no' | 'unknown' {
  switch (p) {
    case 'privileged':
      // Trapping only under a condition is not privileged in Popek and Goldberg's sense.
      return c.privileged.value === 'unknown' ? 'unknown' : c.privileged.value === 'yes' ? 'yes' : 'no';
    case 'control-sensitive':
      return c.controlSensitive.value;
    case 'behaviour-sensitive': {
      const m = c.modeSensitive.value;
      const l = c.locationSensitive.value;
      if (m === 'yes' || l === 'yes') return 'yes';
      if (m === 'no' && l === 'no') return 'no';
      return 'unknown';
    }
    case 'innocuous':
      return c.innocuous;
  }
}

let analysisCodeHash: string | undefined;

/** A hash of the analysis stage's own code, so a cached answer key never outlives a change to how
 *  answers are derived. */
function analysisCode(): string {
  if (analysisCodeHash === undefined) {
    const h = createHash('sha256');
    try {
      const dir = fileURLToPath(new URL('../analysis/', import.meta.url));
      const ext = path.extname(fileURLToPath(import.meta.url));
      for (const f of readdirSync(dir)
        .filter((n) => n.endsWith(ext))
        .sort())
        h.update(f).update(readFileSync(path.join(dir, f)));
    } catch {
      h.update('unknown');
    }
    analysisCodeHash = h.digest('hex');
  }
  return analysisCodeHash;
}

/** Cache key of an analysis: the reference's IR without source positions, the solver bound, and
 *  the analysis code. */
function cacheKey(isa: Isa, solverMs: number): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(isa, (k, v) => (k === 'span' || k === 'source' ? undefined : v)));
  h.update(`|solver ${solverMs}|${analysisCode()}`);
  return h.digest('hex');
}

export interface PrepareOptions {
  /** The cache file of the reference analysis; false: no cache (default: beside the assignment). */
  cache?: string | false;
  /** Progress while the reference is analysed. */
  onInstruction?: (done: number, total: number, mnemonic: string) => void;
}

export type Prepared = { ok: true; prepared: PreparedAssignment; cached: boolean } | { ok: false; errors: string[] };

export function defaultCacheFile(assignmentFile: string): string {
  return assignmentFile.replace(/(\.json)?$/, '.analysis.json');
}

/** Load an assignment, its reference spec, and the reference's analysis (from cache when fresh). */
export async function prepareAssignment(file: string, options: PrepareOptions = {}): Promise<Prepared> {
  const la = loadAssignment(file);
  if (!la.ok) return la;
  const a = la.assignment;
  const refPath = path.resolve(path.dirname(la.file), a.reference);
  const loaded = loadIsaFile(refPath);
  if (!loaded.ok) {
    let text: string | undefined;
    try {
      text = readFileSync(refPath, 'utf8');
    } catch {
      text = undefined;
    }
    return {
      ok: false,
      errors: [
        `${file}: the reference spec ${a.reference} does not load:`,
        ...loaded.diagnostics.map((d) => renderDiagnostic(d, d.span?.file === refPath ? text : undefined)),
      ],
    };
  }
  const isa = loaded.isa;
  const errors = checkAgainstReference(a, isa, file);
  if (errors.length) return { ok: false, errors };

  const solverMs = a.limits?.solverMs ?? 2000;
  const key = cacheKey(isa, solverMs);
  const cacheFile = options.cache === false ? undefined : (options.cache ?? defaultCacheFile(la.file));
  let analysis: IsaAnalysis | undefined;
  let cached = false;
  if (cacheFile) {
    try {
      const c = JSON.parse(readFileSync(cacheFile, 'utf8')) as { key?: string; analysis?: IsaAnalysis };
      if (c.key === key && c.analysis) {
        analysis = c.analysis;
        cached = true;
      }
    } catch {
      // No cache or an unreadable one: analyse.
    }
  }
  if (!analysis) {
    const { analyzeIsa } = await import('../analysis/index.js');
    analysis = await analyzeIsa(isa, { timeoutMs: solverMs, onInstruction: options.onInstruction });
    if (cacheFile) {
      try {
        writeFileSync(cacheFile, JSON.stringify({ key, analysis }));
      } catch {
        // A read-only course folder still grades; it just analyses each time.
      }
    }
  }
  return { ok: true, cached, prepared: { assignment: a, assignmentFile: la.file, reference: isa, analysis, warnings: undecided(a, analysis) } };
}
