// Fixtures for the grading tests: a temporary course folder with the toy machine as reference,
// assignments written as literals, and submissions written file by file.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareAssignment } from '../../src/grade/index.js';
import type { Assignment, PreparedAssignment } from '../../src/grade/index.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TOY = readFileSync(path.join(ROOT, 'isas/course/toy/toy.isa'), 'utf8');

/** toy.isa with GETMODE made privileged: the intended fix. */
export const TOY_FIXED = TOY.replace(
  '  semantics {\n    r[rd] = zext(M, 16);',
  '  semantics {\n    if M == 0 {\n      trap privileged_trap;\n    }\n    r[rd] = zext(M, 16);',
);

export function tempDir(tag: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `isavirt-grade-${tag}-`));
}

/** Write files under `dir` (names may contain one level of folder). */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
}

/** A course folder holding `reference` as ref.isa and the assignment; prepared (analysis cached in the folder). */
export async function course(
  tag: string,
  assignment: Omit<Assignment, 'reference'>,
  reference = TOY,
): Promise<{ dir: string; file: string; prep: PreparedAssignment }> {
  const dir = tempDir(tag);
  writeFiles(dir, { 'ref.isa': reference, 'assignment.json': JSON.stringify({ ...assignment, reference: 'ref.isa' }, null, 2) });
  const file = path.join(dir, 'assignment.json');
  const r = await prepareAssignment(file);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return { dir, file, prep: r.prepared };
}

/** A submission folder with these files. */
export function submission(root: string, name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFiles(dir, files);
  return dir;
}
