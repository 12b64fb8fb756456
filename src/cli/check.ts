// `isavirt check <spec-or-folder...>`: analyse specs and report whether each can host a
// trap-and-emulate monitor. Exit 0 when every checked ISA satisfies Theorem 1, 1 when one does not,
// 2 on bad input (reported after every other spec has been analysed).
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { IsaAnalysis } from '../analysis/index.js';
import type { Isa } from '../ir/index.js';
import { failedSpec, renderJson, type FailedSpec, renderMarkdown, renderSarif, renderExplainText, renderSummary, renderText } from '../report/index.js';
import { defineCommand } from './command.js';
import { EXIT, STDIN_ARG, UsageError, paint, type CliIO } from './io.js';
import { outputWidth, startProgress } from './progress.js';
import { loadSpecResult } from './spec.js';
import { editDistance as levenshtein } from '../syntax/index.js';

export const CHECK_FORMATS = ['text', 'json', 'markdown', 'sarif'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

interface CheckArgs {
  spec: string[];
  format: CheckFormat;
  output?: string;
  explain?: string;
  verbose?: boolean;
  summary?: boolean;
}

/** What the analysis stage offers (src/analysis/index.ts). */
interface AnalysisModule {
  analyzeIsa(isa: Isa, options?: { onInstruction?: (done: number, total: number, mnemonic: string) => void }): Promise<IsaAnalysis>;
  /** Several specs on every core; the same results as analyzeIsa on each, in order. */
  analyzeIsas(isas: Isa[], options?: { onInstruction?: (isa: number, done: number, total: number, mnemonic: string) => void }): Promise<IsaAnalysis[]>;
  startWorkers(): void;
}

async function loadAnalysis(): Promise<AnalysisModule> {
  // Loaded on use: the analysis pulls in the Z3 WebAssembly build, which `isavirt --help` should not pay for.
  return (await import('../analysis/index.js')) as AnalysisModule;
}

export function isSpecFile(name: string): boolean {
  return name.endsWith('.isa') || name.endsWith('.isa.json');
}

/**
 * The spec files named on the command line: a folder stands for every *.isa / *.isa.json in it,
 * sorted. Paths that are neither are returned in `bad` with the reason, to be reported, not thrown.
 */
export function expandSpecs(args: string[]): { files: string[]; bad: { path: string; message: string }[]; folders: number } {
  const files: string[] = [];
  const bad: { path: string; message: string }[] = [];
  let folders = 0;
  for (const arg of args) {
    // Standard input: loadSpec reads it.
    if (arg === STDIN_ARG) {
      files.push(arg);
      continue;
    }
    let st;
    try {
      st = statSync(arg);
    } catch {
      bad.push({ path: arg, message: `${arg}: no such file or folder` });
      continue;
    }
    if (st.isDirectory()) {
      folders++;
      const inside = readdirSync(arg, { withFileTypes: true })
        .filter((e) => e.isFile() && isSpecFile(e.name))
        .map((e) => e.name)
        .sort();
      if (inside.length === 0) bad.push({ path: arg, message: `${arg}: no .isa or .isa.json files in this folder` });
      for (const name of inside) files.push(path.join(arg, name));
    } else if (st.isFile()) {
      files.push(arg);
    } else {
      bad.push({ path: arg, message: `${arg}: not a file or folder` });
    }
  }
  return { files, bad, folders };
}

/** Edit distance (insert, delete, substitute), case-insensitive: for did-you-mean. */
export function editDistance(a: string, b: string): number {
  // The one implementation, in the diagnostics catalogue.
  return levenshtein(a.toLowerCase(), b.toLowerCase());
}

/** The known names closest to `name`, all at the best distance found (none if nothing is close). */
export function didYouMean(name: string, known: readonly string[]): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const scored = known.map((k) => ({ k, d: editDistance(name, k) })).filter((x) => x.d <= limit);
  if (scored.length === 0) return [];
  const best = Math.min(...scored.map((x) => x.d));
  return scored
    .filter((x) => x.d === best)
    .map((x) => x.k)
    .sort()
    .slice(0, 3);
}

interface RenderOptions {
  color: boolean;
  /** Several specs: end with one line per ISA. */
  summary: boolean;
  failed: string[];
  verbose: boolean;
  /** Markdown folded for a pull-request comment. */
  mdSummary: boolean;
  width: number;
  /** Specs that failed to load (JSON and SARIF carry them). */
  failedSpecs: FailedSpec[];
}

function render(analyses: IsaAnalysis[], isas: Isa[], format: CheckFormat, o: RenderOptions): string {
  switch (format) {
    // A spec that failed to load is in the report with its diagnostics, never an empty all-clear.
    case 'json':
      return renderJson(analyses, undefined, o.failedSpecs);
    case 'markdown':
      return renderMarkdown(analyses, { summary: o.mdSummary, isas });
    case 'sarif':
      return renderSarif(analyses, { failed: o.failedSpecs });
    case 'text': {
      const parts = analyses.map((a, i) => renderText(a, { color: o.color, verbose: o.verbose, isa: isas[i], width: o.width }));
      if (o.summary) parts.push(renderSummary(analyses, { color: o.color, failed: o.failed }));
      return parts.join('\n');
    }
  }
}

/** Explanations of `mnemonic` in every analysis that has it; a did-you-mean error if none does. */
function explain(analyses: IsaAnalysis[], isas: Isa[], mnemonic: string, io: CliIO, color: boolean, width: number): string | undefined {
  const texts: string[] = [];
  for (const [n, a] of analyses.entries()) {
    const ic = a.instructions.find((i) => i.mnemonic === mnemonic) ?? a.instructions.find((i) => i.mnemonic.toLowerCase() === mnemonic.toLowerCase());
    if (!ic) continue;
    const text = renderExplainText(a, ic, { isa: isas[n], color, width });
    texts.push(analyses.length > 1 ? `${a.isa}: ${text}` : text);
  }
  if (texts.length > 0) return texts.map((t) => (t.endsWith('\n') ? t : t + '\n')).join('\n');
  if (analyses.length === 0) return undefined;
  const p = paint(io.colorErr);
  const known = [...new Set(analyses.flatMap((a) => a.instructions.map((i) => i.mnemonic)))];
  const where = analyses.length === 1 ? analyses[0]!.isa : 'any checked ISA';
  const close = didYouMean(mnemonic, known);
  let msg = `${p.error('error:')} no instruction ${mnemonic} in ${where}`;
  if (close.length > 0) msg += `; did you mean ${close.join(', ')}?`;
  io.err(msg);
  return undefined;
}

export default defineCommand<CheckArgs>({
  command: 'check <spec...>',
  describe: 'analyse specs: classify every instruction, decide the theorems (exit 1 if not virtualizable)',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', array: true, describe: '.isa / .isa.json files, or folders of them' })
      .option('format', { alias: 'f', type: 'string', requiresArg: true, choices: CHECK_FORMATS, default: 'text' as CheckFormat, describe: 'report format' })
      .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'write the report to this file instead of stdout' })
      .option('explain', { type: 'string', requiresArg: true, describe: 'the verdicts of one instruction with their evidence' })
      .option('verbose', { type: 'boolean', default: false, describe: 'text: add the classification table and the evidence of every verdict' })
      .option('summary', {
        type: 'boolean',
        default: false,
        describe: 'markdown: fold the table and the evidence into <details> (fits a pull-request comment)',
      }),
  examples: [
    ['isavirt check isas/pg.isa', 'the verdicts of Theorems 1-3, then each offender with its reason'],
    ['isavirt check isas/x86-386.isa --verbose', 'also the classification table and every witness'],
    ['isavirt check isas/pg.isa isas/x86-vt.isa', 'several specs; ends with one line per ISA'],
    ['isavirt check isas/x86-386.isa --format markdown --summary -o report.md', 'Markdown for a pull-request comment'],
    ['isavirt check isas/pg.isa --format sarif -o pg.sarif', 'SARIF 2.1.0 for code scanning'],
    ['isavirt check isas/x86-386.isa --explain POPF', 'why POPF is (or is not) privileged and sensitive'],
  ],
  async run(args, io) {
    const p = paint(io.colorErr);
    if (args.summary && args.format !== 'markdown') throw new UsageError('--summary goes with --format markdown');
    const { files, bad, folders } = expandSpecs(args.spec);
    for (const b of bad) io.err(`${p.error('error:')} ${b.message}`);
    const failed = bad.map((b) => b.path);
    const failedSpecs: FailedSpec[] = bad.map((b) => failedSpec(b.path, b.message));

    const analysis = await loadAnalysis();
    // Several specs: the workers start their solvers while the specs are read.
    if (files.length > 1) analysis.startWorkers();
    const isas: Isa[] = [];
    // Load every spec, reporting the bad ones, then analyse every good one, so one run reports everything.
    for (const file of files) {
      let loaded;
      try {
        // loadSpecResult, not loadIsaFile: it reads `-` from standard input and applies the
        // command line's front-end options (--allow-extends-outside).
        loaded = await loadSpecResult(file, io);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        io.err(`${p.error('error:')} ${e.message}`);
        failed.push(file);
        failedSpecs.push(failedSpec(file, e.message));
        continue;
      }
      if (!loaded.ok) {
        failed.push(file);
        failedSpecs.push(failedSpec(file, loaded.diagnostics));
        continue;
      }
      isas.push(loaded.isa);
    }
    // Several specs: in worker threads, one Z3 each; one spec: here, without the workers' start-up.
    // A bar on a terminal (instructions of all specs together), nothing in a pipe.
    const progress = await startProgress(isas.length === 1 ? `analysing ${isas[0]!.name}` : `analysing ${isas.length} specs`, io);
    const totals = isas.map((i) => i.instructions.length);
    const done = isas.map(() => 0);
    const all = totals.reduce((x, y) => x + y, 0);
    const tick = (n: number, mnemonic: string) => {
      done[n] = (done[n] ?? 0) + 1;
      progress.update(
        done.reduce((x, y) => x + y, 0),
        all,
        isas.length > 1 ? `${isas[n]!.name} ${mnemonic}` : mnemonic,
      );
    };
    let analyses: IsaAnalysis[];
    try {
      analyses =
        files.length > 1
          ? await analysis.analyzeIsas(isas, { onInstruction: (n, _d, _t, m) => tick(n, m) })
          : await Promise.all(isas.map((isa) => analysis.analyzeIsa(isa, { onInstruction: (_d, _t, m) => tick(0, m) })));
    } finally {
      progress.stop();
    }
    const toFile = args.output !== undefined;
    const width = toFile ? 80 : outputWidth();

    let out: string;
    if (args.explain !== undefined) {
      const text = explain(analyses, isas, args.explain, io, !toFile && io.colorOut, width);
      if (text === undefined) return EXIT.badInput;
      out = text;
    } else {
      const summary = folders > 0 || args.spec.length > 1 || files.length > 1;
      out = render(analyses, isas, args.format, {
        color: !toFile && io.colorOut,
        summary,
        failed,
        verbose: args.verbose === true,
        mdSummary: args.summary === true,
        width,
        failedSpecs,
      });
    }

    if (args.output !== undefined) {
      try {
        writeFileSync(args.output, out);
      } catch (e) {
        throw new UsageError(`${args.output}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    } else {
      io.write(out);
    }

    if (failed.length > 0) return EXIT.badInput;
    // Virtualizable means a trap-and-emulate monitor exists (the exact verdict); Theorem 1 is the
    // paper's sufficient condition and may fail where the monitor exists (the report says why).
    return analyses.every((a) => a.trapAndEmulate.value === 'holds') ? EXIT.ok : EXIT.finding;
  },
});
