// The course kit's sample submissions get the marks the README says they get ("Grading
// coursework"): alice (x86) and dana (toy) every point; bob and erin fewer, with feedback; carol and
// frank not gradable (an answer file that is not JSON, a spec that does not parse).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeFolder, type SubmissionGrade } from '../../src/index.js';

const COURSE = path.resolve(import.meta.dirname, '../../isas/course');

async function gradeCourse(name: string): Promise<Map<string, SubmissionGrade>> {
  const r = await gradeFolder(path.join(COURSE, name, 'assignment.json'), path.join(COURSE, name, 'submissions'), { cache: false, workers: 2 });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return new Map(r.grades.map((g) => [g.student, g]));
}

const full = (g: SubmissionGrade) => g.gradable && g.tests.every((t) => t.score === t.maxScore);

describe('the course kit samples', () => {
  it('toy: dana every point, erin fewer with feedback, frank not gradable', async () => {
    const g = await gradeCourse('toy');
    expect([...g.keys()]).toEqual(['dana', 'erin', 'frank']);
    expect(full(g.get('dana')!)).toBe(true);
    const erin = g.get('erin')!;
    expect(erin.gradable).toBe(true);
    expect(erin.score).toBeLessThan(erin.maxScore);
    for (const t of erin.tests.filter((x) => x.score < x.maxScore)) expect(t.output.length, t.name).toBeGreaterThan(20);
    expect(g.get('frank')!.gradable).toBe(false);
  }, 180_000);

  it('x86: alice every point, bob fewer with feedback, carol not gradable', async () => {
    const g = await gradeCourse('x86');
    expect([...g.keys()]).toEqual(['alice', 'bob', 'carol']);
    const alice = g.get('alice')!;
    // DESIGN.md: halting is control-sensitive (HLT), and a privileged instruction is
    // behaviour-sensitive (it traps in ring 3 and runs in ring 0): alice has every point.
    expect(alice.tests.filter((t) => t.score < t.maxScore).map((t) => `${t.name}: ${t.output}`)).toEqual([]);
    expect(full(alice)).toBe(true);
    const bob = g.get('bob')!;
    expect(bob.gradable).toBe(true);
    expect(bob.score).toBeLessThan(bob.maxScore);
    expect(g.get('carol')!.gradable).toBe(false);
  }, 300_000);
});
