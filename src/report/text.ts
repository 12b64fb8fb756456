// The terminal report: fits 80 columns, colour only when asked. One ISA per call; `renderSummary`
// adds the one-line-per-ISA table that ends a report over a folder.

import { createColors } from 'picocolors';
import type { IsaAnalysis, InstructionClassification, TheoremVerdict } from '../analysis/types.js';
import {
  THEOREM_TITLES,
  displayPath,
  instructionVerdict,
  offenderMnemonics,
  spanLocation,
  theorems,
  triMark,
  verdictMark,
} from './common.js';

export interface TextOptions {
  /** ANSI colour; off unless the caller's colour policy says so. */
  color?: boolean;
  /** Paths in the report are shown relative to this folder (default: the working directory). */
  base?: string;
  /** Line width to fit (default 80). */
  width?: number;
}

type Colors = ReturnType<typeof createColors>;

/** Splits `text` into lines of at most `width` characters, breaking at spaces (hard-breaking a longer word). */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(/\s+/).filter((x) => x.length > 0)) {
    while (word.length > w) {
      if (line) {
        lines.push(line);
        line = '';
      }
      lines.push(word.slice(0, w));
      word = word.slice(w);
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= w) line += ' ' + word;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** Wrapped text, every line indented; the first line may carry a different prefix of the same width. */
function indented(text: string, indent: number, width: number, first?: string): string[] {
  const pad = ' '.repeat(indent);
  return wrapText(text, width - indent).map((l, i) => (i === 0 && first !== undefined ? first : pad) + l);
}

/** "POPF: in user mode ..." printed next to POPF reads better without the repeated mnemonic. */
export function reasonWithoutMnemonic(mnemonic: string, reason: string): string {
  const prefix = `${mnemonic}:`;
  return reason.startsWith(prefix) ? reason.slice(prefix.length).trim() : reason;
}

function theoremWord(t: TheoremVerdict, c: Colors): string {
  if (t.value === 'holds') return c.green('holds');
  if (t.value === 'fails') return c.bold(c.red('FAILS'));
  return c.yellow('UNKNOWN');
}

function markColor(mark: string, c: Colors): (s: string) => string {
  if (mark === '?') return c.yellow;
  if (mark === 'cond') return c.cyan;
  return (s: string) => s;
}

const MARK_COLUMNS = [
  { head: 'priv', full: 'privileged' },
  { head: 'ctrl', full: 'control-sensitive' },
  { head: 'mode', full: 'mode-sensitive' },
  { head: 'loc', full: 'location-sensitive' },
  { head: 'user', full: 'user-sensitive' },
] as const;

function marks(ic: InstructionClassification): string[] {
  return [
    triMark(ic.privileged.value),
    verdictMark(ic.controlSensitive),
    verdictMark(ic.modeSensitive),
    verdictMark(ic.locationSensitive),
    verdictMark(ic.userSensitive),
  ];
}

/** The classification table: instruction | priv | ctrl | mode | loc | user | line | verdict. */
function classificationTable(a: IsaAnalysis, width: number, c: Colors): string[] {
  const GAP = '  ';
  const MARK = 4;
  const longest = Math.max(0, ...a.instructions.map((i) => i.mnemonic.length));
  const nameW = Math.max('instruction'.length, Math.min(longest, 16));
  const where = a.instructions.map((i) => `${i.span.line}:${i.span.col}`);
  const lineW = Math.max('line'.length, ...where.map((w) => w.length));
  const fixed = nameW + MARK_COLUMNS.length * (MARK + GAP.length) + GAP.length + lineW + GAP.length;
  const verdictW = Math.max(10, width - fixed);

  const out: string[] = [];
  const head = [
    'instruction'.padEnd(nameW),
    ...MARK_COLUMNS.map((m) => m.head.padEnd(MARK)),
    'line'.padEnd(lineW),
    'verdict',
  ].join(GAP);
  out.push(c.bold(head));
  out.push('-'.repeat(Math.min(width, fixed + 'verdict'.length)));

  a.instructions.forEach((ic, idx) => {
    const verdict = instructionVerdict(a, ic);
    const offender = verdict.startsWith('breaks');
    let name = ic.mnemonic;
    if (name.length > nameW) {
      // A long mnemonic gets its own line so the marks stay in their columns.
      for (const part of wrapText(name, width)) out.push(c.bold(part));
      name = '';
    }
    const vLines = wrapText(verdict, verdictW);
    const cells = [
      (offender ? c.red : (s: string) => s)(name.padEnd(nameW)),
      ...marks(ic).map((m) => markColor(m, c)(m.padEnd(MARK))),
      where[idx]!.padEnd(lineW),
      (offender ? c.red : verdict === 'unknown' ? c.yellow : (s: string) => s)(vLines[0]!),
    ];
    out.push(cells.join(GAP).trimEnd());
    for (const more of vLines.slice(1)) out.push(' '.repeat(fixed) + more);
  });
  out.push(
    ...indented(
      'priv = privileged, ctrl = control-sensitive, mode = mode-sensitive, loc = location-sensitive, ' +
        'user = user-sensitive; yes / no / cond (privileged under a condition) / ? (unknown); ' +
        'line = line:col in ' +
        displayPath(a.source) +
        '.',
      0,
      width,
    ).map((l) => c.dim(l)),
  );
  return out;
}

function theoremSection(a: IsaAnalysis, width: number, base: string | undefined, c: Colors): string[] {
  // Wrap the plain text first, colour whole lines after, so escape codes never count as columns.
  const out: string[] = [c.bold('Theorems')];
  for (const [label, t] of theorems(a)) {
    const word = t.value === 'holds' ? 'holds' : t.value === 'fails' ? 'FAILS' : 'UNKNOWN';
    out.push(
      ...indented(`${label}  ${THEOREM_TITLES[label]}: ${word}`, 6, width, '  ').map((l) =>
        l.endsWith(word) ? l.slice(0, l.length - word.length) + theoremWord(t, c) : l,
      ),
    );
    out.push(...indented(t.statement, 6, width));
    if (t.offenders.length > 0) {
      out.push('      offenders:');
      for (const o of t.offenders) {
        out.push(...indented(`${o.mnemonic} (${spanLocation(o.span, base)})`, 10, width, '        ').map((l) => c.red(l)));
        out.push(...indented(reasonWithoutMnemonic(o.mnemonic, o.reason), 10, width));
      }
    }
    if (t.undecided.length > 0) {
      out.push(...indented(`undecided (verdict unknown): ${t.undecided.join(', ')}`, 8, width, '      ').map((l) => c.yellow(l)));
    }
  }
  return out;
}

function conclusion(a: IsaAnalysis): string {
  const t1 = a.theorem1;
  if (t1.value === 'holds') {
    return `${a.isa} can host a trap-and-emulate monitor: every sensitive instruction is privileged (Theorem 1 holds).`;
  }
  if (t1.value === 'fails') {
    const who = t1.offenders.map((o) => o.mnemonic).join(', ');
    return `${a.isa} cannot host a trap-and-emulate monitor: Theorem 1 fails (${who}: sensitive but not privileged).`;
  }
  return `${a.isa}: Theorem 1 is undecided; unknown verdicts for ${t1.undecided.join(', ') || 'some instructions'}.`;
}

/** The full terminal report of one analysed ISA. No line is wider than `width` (80) columns. */
export function renderText(a: IsaAnalysis, opts: TextOptions = {}): string {
  const width = opts.width ?? 80;
  const c = createColors(opts.color ?? false);
  const base = opts.base;
  const out: string[] = [];

  out.push(...indented(`ISA ${a.isa} (${displayPath(a.source, base)})`, 4, width, '').map((l) => c.bold(l)));
  out.push(...indented(`guest mode: ${a.guestMode}; most privileged mode: ${a.mostPrivilegedMode}`, 4, width, '  '));
  if (a.assumptions.length === 0) {
    out.push('  assumptions: none');
  } else {
    out.push('  assumptions (kept by the monitor while a guest runs):');
    for (const as of a.assumptions) {
      out.push(...indented(`${as.name}: ${as.text} (${spanLocation(as.span, base)})`, 6, width, '    '));
    }
  }
  out.push(`  ${a.stats.instructions} instructions, ${a.stats.solverQueries} solver queries`);

  if (a.errors.length > 0) {
    out.push('');
    out.push(c.bold(c.red(`!! ANALYSIS ERRORS (${a.errors.length}): these are bugs in isavirt or the spec;`)));
    out.push(c.bold(c.red('!! verdicts below that rest on them are not to be trusted.')));
    // Every line keeps the marker so the block stands out even when a message wraps.
    for (const e of a.errors) out.push(...wrapText(e, width - 5).map((l) => c.red('!!   ' + l)));
  }

  out.push('');
  out.push(c.bold('Classification'));
  out.push(...classificationTable(a, width, c));

  out.push('');
  out.push(...theoremSection(a, width, base, c));

  const findings = a.instructions.flatMap((ic) => ic.claimFindings.map((f) => ({ ic, f })));
  if (findings.length > 0) {
    out.push('');
    out.push(c.bold(`Claim findings (${findings.length})`));
    for (const { ic, f } of findings) {
      const claim = `${f.claim.negated ? 'not ' : ''}${f.claim.claim}`;
      out.push(...indented(`${spanLocation(f.claim.span, base)}  ${ic.mnemonic} claims ${claim}; derived: ${f.derived}`, 6, width, '  '));
      out.push(...indented(f.message, 6, width).map((l) => c.yellow(l)));
    }
  }

  out.push('');
  out.push(...wrapText(conclusion(a), width).map(conclusionColour(a, c)));
  return out.join('\n') + '\n';
}

function conclusionColour(a: IsaAnalysis, c: Colors): (s: string) => string {
  return a.theorem1.value === 'holds' ? c.green : a.theorem1.value === 'fails' ? c.red : c.yellow;
}

export interface SummaryOptions {
  color?: boolean;
  /** Specs that did not load (diagnostics were printed); listed so the summary accounts for every input. */
  failed?: string[];
  base?: string;
}

/** One line per ISA: name, T1/T2/T3, offender count; for `isavirt check <folder>`. */
export function renderSummary(analyses: IsaAnalysis[], opts: SummaryOptions = {}): string {
  const c = createColors(opts.color ?? false);
  const nameW = Math.min(24, Math.max(3, ...analyses.map((a) => a.isa.length)));
  const word = (t: TheoremVerdict) => (t.value === 'holds' ? 'holds' : t.value === 'fails' ? 'fails' : 'unknown');
  const colour = (t: TheoremVerdict) => (t.value === 'holds' ? c.green : t.value === 'fails' ? c.red : c.yellow);
  const out: string[] = [c.bold(`Summary (${analyses.length + (opts.failed?.length ?? 0)} specs)`)];
  for (const a of analyses) {
    const name = a.isa.length > nameW ? a.isa.slice(0, nameW - 1) + '~' : a.isa.padEnd(nameW);
    const cells = theorems(a).map(([label, t]) => `${label} ${colour(t)(word(t).padEnd(7))}`);
    const n = offenderMnemonics(a).length;
    const undecided = new Set(theorems(a).flatMap(([, t]) => t.undecided)).size;
    let tail = `${n} offender${n === 1 ? '' : 's'}`;
    if (undecided > 0) tail += `, ${undecided} unknown`;
    if (a.errors.length > 0) tail += c.red(`, ${a.errors.length} error${a.errors.length === 1 ? '' : 's'}`);
    out.push(`  ${name}  ${cells.join('  ')}  ${tail}`);
  }
  for (const f of opts.failed ?? []) {
    out.push(`  ${c.red('bad spec')}: ${displayPath(f, opts.base)} (see the diagnostics above)`);
  }
  return out.join('\n') + '\n';
}
