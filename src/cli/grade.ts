// `isavirt grade --assignment A.json <submission-or-folder>`: grade coursework against what isavirt
// derives from the assignment's reference spec. Each submission is graded in an isolated worker.
// Exit 0 when every submission earned every point, 1 when some did not (or could not be graded),
// 2 when the assignment or the arguments are bad.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { defineCommand } from './command.js';
import { EXIT, UsageError, paint, writeOutputFile } from './io.js';

const FORMATS = ['text', 'gradescope', 'prairielearn', 'classroom', 'csv'] as const;
type Format = (typeof FORMATS)[number];

interface GradeArgs {
  submission: string;
  assignment: string;
  format: Format;
  output?: string;
  workers?: number;
  cache: boolean;
}

const write = writeOutputFile;

export default defineCommand<GradeArgs>({
  command: 'grade <submission>',
  describe: 'grade coursework (answers, specs, red-pill programs) against the derived verdicts',
  builder: (y) =>
    y
      .positional('submission', { type: 'string', describe: 'a submission (file or folder), or a folder with one sub-folder or file per student' })
      .option('assignment', { alias: 'a', type: 'string', demandOption: true, requiresArg: true, describe: 'the assignment file (JSON, grammar/assignment.schema.json)' })
      .option('format', { alias: 'f', choices: FORMATS, default: 'text' as Format, describe: 'output format' })
      .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'write to this file (a batch in a JSON format: this folder, one <student>.json each)' })
      .option('workers', { type: 'number', requiresArg: true, describe: 'grading workers at once (default: one per core)' })
      .option('cache', { type: 'boolean', default: true, describe: 'keep the reference analysis beside the assignment (--no-cache: analyse every time)' }),
  examples: [
    ['isavirt grade -a isas/course/x86/assignment.json isas/course/x86/submissions/alice', 'grade one submission, feedback on the terminal'],
    ['isavirt grade -a isas/course/x86/assignment.json isas/course/x86/submissions/bob -f gradescope -o results/results.json', "Gradescope's results.json (in the autograder: /autograder/submission, /autograder/results)"],
    ['isavirt grade -a isas/course/toy/assignment.json isas/course/toy/submissions -f csv -o grades.csv', 'a whole class, one CSV row per student'],
  ],
  async run(args, io) {
    const p = paint(io.colorErr);
    const g = await import('../grade/index.js');
    const tty = process.stderr.isTTY === true && io.env.CI === undefined;
    const { SingleBar, Presets } = tty ? await import('cli-progress') : { SingleBar: undefined, Presets: undefined };

    let bar: InstanceType<NonNullable<typeof SingleBar>> | undefined;
    const prepared = await g.prepareAssignment(args.assignment, {
      cache: args.cache ? undefined : false,
      onInstruction: (done, total, m) => {
        if (!SingleBar) return;
        if (!bar) {
          bar = new SingleBar({ format: 'analysing the reference [{bar}] {value}/{total} {m}', stream: process.stderr, hideCursor: true, clearOnComplete: true }, Presets!.shades_classic);
          bar.start(total, 0, { m });
        }
        bar.update(done, { m });
      },
    });
    bar?.stop();
    bar = undefined;
    if (!prepared.ok) {
      for (const e of prepared.errors) io.err(`${p.error('error:')} ${e}`);
      return EXIT.badInput;
    }
    const prep = prepared.prepared;
    for (const w of prep.warnings) io.err(`${p.warn('warning:')} ${w}`);

    const listed = g.listSubmissions(args.submission, prep.assignment);
    if (!listed.ok) throw new UsageError(listed.error);
    if (args.workers !== undefined && !(Number.isInteger(args.workers) && args.workers >= 1)) throw new UsageError('--workers must be a whole number of at least 1');
    if (SingleBar && listed.batch) {
      bar = new SingleBar({ format: 'grading [{bar}] {value}/{total} {student}', stream: process.stderr, hideCursor: true, clearOnComplete: true }, Presets!.shades_classic);
      bar.start(listed.submissions.length, 0, { student: '' });
    }
    const grades = await g.gradeInPool(prep, listed.submissions, {
      workers: args.workers,
      onGraded: (grade, done) => bar?.update(done, { student: grade.student }),
    });
    bar?.stop();

    const out = args.output;
    switch (args.format) {
      case 'text': {
        const text = g.toText(grades);
        if (out) write(out, text);
        else io.write(text);
        break;
      }
      case 'csv': {
        const text = g.toCsv(grades);
        if (out) write(out, text);
        else io.write(text);
        break;
      }
      default: {
        const fmt = args.format;
        if (!listed.batch) {
          const text = JSON.stringify(g.renderOne(fmt, grades[0]!), null, 2) + '\n';
          if (out) {
            mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
            write(out, text);
          } else io.write(text);
        } else if (out) {
          mkdirSync(out, { recursive: true });
          for (const grade of grades) write(path.join(out, `${grade.student}.json`), JSON.stringify(g.renderOne(fmt, grade), null, 2) + '\n');
        } else {
          const all: Record<string, object> = {};
          for (const grade of grades) all[grade.student] = g.renderOne(fmt, grade);
          io.write(JSON.stringify(all, null, 2) + '\n');
        }
      }
    }
    const notGradable = grades.filter((x) => !x.gradable).length;
    if (listed.batch) io.err(`${grades.length} graded; ${grades.filter((x) => x.gradable && x.score >= x.maxScore).length} with every point${notGradable ? `; ${notGradable} not gradable` : ''}`);
    return grades.every((x) => x.gradable && x.score >= x.maxScore) ? EXIT.ok : EXIT.finding;
  },
});
