// `isavirt grade --assignment A.json <submission-or-folder>`: grade coursework against what isavirt
// derives from the assignment's reference spec. Each submission is graded in an isolated worker.
// Exit 0 when every submission earned every point, 1 when some did not (or could not be graded, or
// an entry of the batch was skipped), 2 when the assignment or the arguments are bad.
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { classroomEnvironment, SubmissionGrade } from '../grade/index.js';
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
  allowRoot?: string[];
  single: boolean;
}

const write = writeOutputFile;

export default defineCommand<GradeArgs>({
  command: 'grade <submission>',
  describe: 'grade coursework (answers, specs, red-pill programs) against the derived verdicts',
  builder: (y) =>
    y
      .positional('submission', { type: 'string', describe: 'a submission (file or folder), or a folder with one sub-folder or file per student' })
      .option('assignment', {
        alias: 'a',
        type: 'string',
        demandOption: true,
        requiresArg: true,
        describe: 'the assignment file (JSON, grammar/assignment.schema.json)',
      })
      .option('format', { alias: 'f', requiresArg: true, choices: FORMATS, default: 'text' as Format, describe: 'output format' })
      .option('output', {
        alias: 'o',
        type: 'string',
        requiresArg: true,
        describe: 'write to this file (a batch in a JSON format: this folder, one file per submission and index.json)',
      })
      .option('workers', { type: 'number', requiresArg: true, describe: 'grading workers at once (default: one per core)' })
      .option('cache', { type: 'boolean', default: true, describe: 'keep the reference analysis beside the assignment (--no-cache: analyse every time)' })
      .option('single', {
        type: 'boolean',
        default: false,
        describe: 'the target is one submission, never a batch (an uploaded folder inside it is the submission)',
      })
      .option('allow-root', { type: 'string', array: true, requiresArg: true, describe: 'a folder that symbolic links in a batch may lead into (repeatable)' }),
  examples: [
    ['isavirt grade -a isas/course/x86/assignment.json isas/course/x86/submissions/alice', 'grade one submission, feedback on the terminal'],
    [
      'isavirt grade -a isas/course/x86/assignment.json isas/course/x86/submissions/bob -f gradescope -o results/results.json',
      "Gradescope's results.json (in the autograder: /autograder/submission, /autograder/results)",
    ],
    ['isavirt grade -a isas/course/toy/assignment.json isas/course/toy/submissions -f csv -o grades.csv', 'a whole class, one CSV row per student'],
    [
      'isavirt grade -a isas/course/x86/assignment.json isas/course/x86/submissions/alice -f classroom',
      'GitHub Classroom: runner results for the autograding reporter (see isas/course/classroom/)',
    ],
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
          bar = new SingleBar(
            { format: 'analysing the reference [{bar}] {value}/{total} {m}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
            Presets!.shades_classic,
          );
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

    const listed = g.listSubmissions(args.submission, prep.assignment, { allowedRoots: args.allowRoot, single: args.single });
    if (!listed.ok) throw new UsageError(listed.error);
    if (args.workers !== undefined && !(Number.isInteger(args.workers) && args.workers >= 1))
      throw new UsageError('--workers must be a whole number of at least 1');
    if (SingleBar && listed.batch) {
      bar = new SingleBar(
        { format: 'grading [{bar}] {value}/{total} {student}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
        Presets!.shades_classic,
      );
      bar.start(listed.entries.filter((e) => e.gradable).length, 0, { student: '' });
    }
    const grades = await g.gradeEntries(prep, listed.entries, {
      workers: args.workers,
      onGraded: (grade, done) => bar?.update(done, { student: grade.student }),
    });
    bar?.stop();

    const out = args.output;
    const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
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
          const text = json(g.renderOne(fmt, grades[0]!));
          if (out) {
            mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
            write(out, text);
          } else io.write(text);
          if (fmt === 'classroom') handToClassroom(io.env, grades[0]!, g.classroomEnvironment);
        } else if (out) {
          // One file per submission, and an index that maps each submission to its file.
          mkdirSync(out, { recursive: true });
          const files = g.batchFileNames(grades);
          grades.forEach((grade, i) => write(path.join(out, files[i]!), json(g.renderOne(fmt, grade))));
          write(path.join(out, 'index.json'), json(grades.map((grade, i) => ({ submission: grade.student, gradable: grade.gradable, file: files[i]! }))));
        } else {
          io.write(json(g.renderBatch(fmt, grades)));
        }
      }
    }
    const summary = g.summarise(grades);
    if (listed.batch) io.err(g.summaryLine(summary));
    return grades.every((x) => x.gradable && x.score >= x.maxScore) ? EXIT.ok : EXIT.finding;
  },
});

/** Inside a GitHub Actions job ($GITHUB_ENV and $GITHUB_OUTPUT are set), hand the runner results
 *  to the steps after this one: the reporter reads `<ID>_RESULTS` from its environment and its
 *  `runners` input from this step's output (isas/course/classroom/classroom.yml). */
function handToClassroom(env: NodeJS.ProcessEnv, grade: SubmissionGrade, make: typeof classroomEnvironment): void {
  const envFile = env.GITHUB_ENV;
  const outFile = env.GITHUB_OUTPUT;
  if (!envFile || !outFile) return;
  const { env: lines, output } = make(grade);
  try {
    appendFileSync(envFile, lines);
    appendFileSync(outFile, output);
  } catch (e) {
    throw new UsageError(`cannot hand the results to the workflow (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
