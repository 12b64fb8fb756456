// The terminal report, read top-down: the verdicts, each offender once with its reason, and only
// when asked the classification table and the evidence. Fits the width (80 in a pipe) by wrapping,
// never by cutting; colour only when the caller says so. `renderSummary` adds the one line per ISA
// that ends a report over a folder.

import { createColors } from 'picocolors';
import wrapAnsi from 'wrap-ansi';
import type { IsaAnalysis, InstructionClassification, TheoremVerdict } from '../analysis/index.js';
import type { Isa } from '../ir/index.js';
import {
  EVIDENCE_KIND,
  StateModel,
  reasonRich,
  richText,
  splitRich,
  verdictLines,
  verdictList,
  witnessLines,
  witnessView,
  type Paint,
  type VerdictLine,
} from './evidence.js';
import { displayPath, instructionVerdict, offenderMnemonics, spanLocation, theorems, triMark, verdictMark } from './common.js';

export interface TextOptions {
  /** ANSI colour; off unless the caller's colour policy says so. */
  color?: boolean;
  /** Paths in the report are shown relative to this folder (default: the working directory). */
  base?: string;
  /** Line width to fit (default 80). */
  width?: number;
}

type Colors = ReturnType<typeof createColors>;

/** Splits `text` into lines of at most `width` columns, breaking at spaces (hard-breaking a longer
 *  word); runs of white space count as one space (wrap-ansi, as every wrapped text here). */
export function wrapText(text: string, width: number): string[] {
  return wrapAnsi(
    text
      .split(/\s+/)
      .filter((x) => x.length > 0)
      .join(' '),
    Math.max(1, width),
    { hard: true, trim: true },
  ).split('\n');
}

/** Wrapped text, every line indented; the first line may carry a different prefix of the same width. */
function indented(text: string, indent: number, width: number, first?: string): string[] {
  const pad = ' '.repeat(indent);
  return wrapText(text, width - indent).map((l, i) => (i === 0 && first !== undefined ? first : pad) + l);
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
  if (fixed + 10 > width) {
    // Too narrow for columns: each instruction as a short paragraph, marks by name.
    for (const [idx, ic] of a.instructions.entries()) {
      out.push(...hang(`${ic.mnemonic} (${where[idx]}): ${instructionVerdict(a, ic)}`, width, 2, ''));
      const m = marks(ic);
      out.push(...hang(MARK_COLUMNS.map((col, i) => `${col.head} ${m[i]}`).join(', '), width, 2));
    }
    return out;
  }
  const head = ['instruction'.padEnd(nameW), ...MARK_COLUMNS.map((m) => m.head.padEnd(MARK)), 'line'.padEnd(lineW), 'verdict'].join(GAP);
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

/** Lines of `text` (may hold colour) wrapped at `width`, hanging under `indent` columns after a
 *  first line that starts with `first` (same width as the indent). wrap-ansi counts columns without
 *  escape codes, so a highlighted value can sit anywhere in a wrapped line. */
function hang(textIn: string, width: number, indent: number, first = ' '.repeat(indent)): string[] {
  const body = wrapAnsi(textIn, Math.max(10, width - indent), { hard: true, trim: true }).split('\n');
  return body.map((l, i) => (i === 0 ? first : ' '.repeat(indent)) + l);
}

function painter(c: Colors): Paint {
  return { name: (s) => s, value: (s) => s, key: (s) => c.bold(c.yellow(s)) };
}

function verdictWordColour(v: VerdictLine, c: Colors): string {
  const upper = v.label.startsWith('T') ? v.word.toUpperCase() : v.word;
  const good = v.value === 'holds';
  const word = v.label.startsWith('T') && good ? 'holds' : upper;
  return good ? c.green(word) : v.value === 'fails' ? c.bold(c.red(word)) : c.yellow(word);
}

/** One line per theorem, then the exact monitor verdicts: what the reader came for. */
function verdictSection(a: IsaAnalysis, width: number, c: Colors): string[] {
  const out: string[] = [];
  for (const v of verdictLines(a)) {
    const line = `${v.title}: ${verdictWordColour(v, c)}${v.detail ? ` — ${v.detail}` : ''}`;
    out.push(...hang(line, width, 4, '  '));
    if (v.note) out.push(...hang(c.dim(v.note), width, 4));
  }
  return out;
}

/** Every instruction that breaks something, in spec order, each once. */
export function offenders(a: IsaAnalysis): { ic: InstructionClassification; labels: string[] }[] {
  const out: { ic: InstructionClassification; labels: string[] }[] = [];
  const sets: [string, TheoremVerdict | undefined][] = [...theorems(a), ['M', a.trapAndEmulate], ['H', a.hybridMonitor]];
  for (const ic of a.instructions) {
    const labels = sets.filter(([, t]) => t?.offenders.some((o) => o.mnemonic === ic.mnemonic)).map(([l]) => l);
    if (labels.length) out.push({ ic, labels });
  }
  return out;
}

/** What the marks beside an offender mean; M and H only where the exact verdicts were decided. */
export function offenderLegend(a: IsaAnalysis): string {
  const exact = [a.trapAndEmulate ? 'M: the trap-and-emulate monitor' : '', a.hybridMonitor ? 'H: the hybrid monitor' : ''].filter(Boolean);
  return `T1-T3: the theorems it breaks${exact.length ? `; ${exact.join(', ')}` : ''}`;
}

/** Offender lines: name, what it breaks, the reason in words; the reason wraps under itself. */
function offenderSection(a: IsaAnalysis, model: StateModel, width: number, c: Colors): string[] {
  const list = offenders(a);
  if (list.length === 0) return [];
  const nameW = Math.min(16, Math.max(...list.map((o) => o.ic.mnemonic.length)));
  const labelW = Math.max(...list.map((o) => o.labels.join(' ').length));
  const indent = 2 + nameW + 2 + labelW + 2;
  const out: string[] = hang(c.bold(`Offenders (${list.length})`) + c.dim(` — ${offenderLegend(a)}`), width, 2, '');
  const paint = painter(c);
  for (const { ic, labels } of list) {
    const reason = richText(reasonRich(ic, model, a.guestMode), paint);
    const head = `  ${c.red(ic.mnemonic.padEnd(nameW))}  ${labels.join(' ').padEnd(labelW)}  `;
    if (ic.mnemonic.length > nameW || indent > width - 20) {
      // A long name or a narrow terminal: the reason goes on its own lines.
      out.push(...hang(`${c.red(ic.mnemonic)} ${labels.join(' ')}`, width, 4, '  '));
      out.push(...hang(reason, width, 6));
      continue;
    }
    out.push(...hang(reason, width, indent, head));
  }
  return out;
}

/** The evidence of one instruction: every verdict and how it is known, witnesses reduced to what differs. */
export function evidenceText(
  a: IsaAnalysis,
  ic: InstructionClassification,
  model: StateModel,
  width: number,
  c: Colors,
  base?: string,
  extra: string[] = [],
): string[] {
  const paint = painter(c);
  const out: string[] = [];
  out.push(...hang(`${c.bold(ic.mnemonic)} (${spanLocation(ic.span, base)}): ${richText(reasonRich(ic, model, a.guestMode), paint)}`, width, 4, '  '));
  out.push(...extra);
  const split = splitRich(ic);
  if (split) out.push(...hang(`instances: ${richText(split, paint)}`, width, 6, '    '));
  const shown = new Set<string>();
  for (const v of verdictList(ic, a.guestMode)) {
    const ev = v.evidence;
    out.push(...hang(`${v.name}: ${v.value} — ${EVIDENCE_KIND[ev.k]}: ${ev.text}${ev.k === 'unknown' ? ` (${ev.reason})` : ''}`, width, 6, '    '));
    if (ev.k === 'witness') {
      // User sensitivity often rests on the very witness shown just above: say so, once.
      const id = JSON.stringify(ev.witness);
      if (shown.has(id)) {
        out.push('      (the witness above)');
        continue;
      }
      shown.add(id);
      for (const l of witnessLines(witnessView(ev.witness, model, v.columns))) out.push(...hang(richText(l, paint), width, 8, '      '));
    }
  }
  return out;
}

function conclusion(a: IsaAnalysis): string {
  // The exact verdict when the analysis decided it: Theorem 1 is only sufficient.
  const exact = a.trapAndEmulate;
  if (exact && exact.value !== 'unknown') {
    if (exact.value === 'holds') {
      return a.theorem1.value === 'holds'
        ? `${a.isa} can host a trap-and-emulate monitor: every sensitive instruction is privileged (Theorem 1 holds).`
        : `${a.isa} can host a trap-and-emulate monitor, although Theorem 1 fails${exact.note ? `: ${exact.note}` : '.'}`;
    }
    const who = exact.offenders.map((o) => o.mnemonic);
    return `${a.isa} cannot host a trap-and-emulate monitor: ${who.length <= 3 ? who.join(', ') : `${who.length} instructions`} ${who.length === 1 ? 'breaks' : 'break'} it.`;
  }
  const t1 = a.theorem1;
  if (t1.value === 'holds') {
    return `${a.isa} can host a trap-and-emulate monitor: every sensitive instruction is privileged (Theorem 1 holds).`;
  }
  if (t1.value === 'fails') {
    const n = t1.offenders.length;
    return `${a.isa} cannot host a trap-and-emulate monitor: Theorem 1 fails (${n} sensitive instruction${n === 1 ? ' is' : 's are'} not privileged).`;
  }
  return `${a.isa}: Theorem 1 is undecided; unknown verdicts for ${t1.undecided.join(', ') || 'some instructions'}.`;
}

export interface TextReportOptions extends TextOptions {
  /** The classification table and the evidence of every offender (check --verbose). */
  verbose?: boolean;
  /** The spec, so values print in their natural width and fields by name (optional). */
  isa?: Isa;
}

/**
 * The terminal report of one analysed ISA, top-down: one line per theorem and monitor verdict, each
 * offender once with its reason in words, then (verbose) the classification table and the
 * evidence. No line is wider than `width`; nothing is cut short: long text wraps.
 */
export function renderText(a: IsaAnalysis, opts: TextReportOptions = {}): string {
  const width = opts.width ?? 80;
  const c = createColors(opts.color ?? false);
  const base = opts.base;
  const model = new StateModel(opts.isa);
  const out: string[] = [];

  const assumed = a.assumptions.length ? `; the monitor keeps ${a.assumptions.map((x) => x.text).join(', ')}` : '';
  out.push(
    ...hang(
      `${c.bold(`ISA ${a.isa}`)} (${displayPath(a.source, base)}): ${a.stats.instructions} instructions; guest mode ${a.guestMode}, most privileged ${a.mostPrivilegedMode}${assumed}`,
      width,
      2,
      '',
    ),
  );

  if (a.errors.length > 0) {
    out.push('');
    const head = `ANALYSIS ERRORS (${a.errors.length}): these are bugs in isavirt or the spec; verdicts below that rest on them are not to be trusted.`;
    out.push(...wrapText(head, width - 3).map((l) => c.bold(c.red('!! ' + l))));
    // Every line keeps the marker so the block stands out even when a message wraps.
    for (const e of a.errors) out.push(...wrapText(e, width - 5).map((l) => c.red('!!   ' + l)));
  }

  out.push(...verdictSection(a, width, c));

  const offs = offenderSection(a, model, width, c);
  if (offs.length) out.push('', ...offs);
  const undecided = [...new Set([...theorems(a), ['M', a.trapAndEmulate] as const].flatMap(([, t]) => t?.undecided ?? []))];
  if (undecided.length) out.push('', ...hang(c.yellow(`Undecided (verdict unknown, never guessed): ${undecided.join(', ')}`), width, 2, ''));

  const findings = a.instructions.flatMap((ic) => ic.claimFindings.map((f) => ({ ic, f })));
  if (findings.length > 0) {
    out.push('');
    out.push(c.bold(`Claim findings (${findings.length})`));
    for (const { ic, f } of findings) {
      const claim = `${f.claim.negated ? 'not ' : ''}${f.claim.claim}`;
      out.push(...hang(`${spanLocation(f.claim.span, base)} ${ic.mnemonic} claims ${claim}; derived: ${f.derived}`, width, 4, '  '));
      out.push(...hang(c.yellow(f.message), width, 4));
    }
  }

  if (opts.verbose) {
    out.push('');
    out.push(c.bold('Classification'));
    out.push(...classificationTable(a, width, c));
    const shown = a.instructions.filter((ic) => ic.sensitive !== 'no' || ic.privileged.value !== 'no' || ic.timingDependent.value !== 'no');
    if (shown.length) {
      out.push('');
      out.push(...hang(c.bold('Evidence') + c.dim(' (sensitive, privileged, timing-dependent and undecided instructions)'), width, 2, ''));
      for (const ic of shown) out.push(...evidenceText(a, ic, model, width, c, base));
    }
  }

  out.push('');
  out.push(...wrapText(conclusion(a), width).map(conclusionColour(a, c)));
  if (!opts.verbose && offenders(a).length > 0) {
    const first = offenders(a)[0]!.ic.mnemonic;
    out.push(...hang(c.dim(`The classification table and every witness: --verbose; one instruction: --explain ${first}`), width, 0, ''));
  }
  return out.join('\n') + '\n';
}

/** `check --explain M`: one instruction's verdicts with their evidence. */
export function renderExplainText(a: IsaAnalysis, ic: InstructionClassification, opts: TextReportOptions = {}): string {
  const width = opts.width ?? 80;
  const c = createColors(opts.color ?? false);
  const model = new StateModel(opts.isa);
  const e = ic.effects;
  const touches: string[] = [];
  if (e.modeReads.length || e.modeWrites.length)
    touches.push(`mode state: reads ${e.modeReads.join(', ') || 'none'}; writes ${e.modeWrites.join(', ') || 'none'}`);
  if (e.controlReads.length || e.controlWrites.length)
    touches.push(`control state: reads ${e.controlReads.join(', ') || 'none'}; writes ${e.controlWrites.join(', ') || 'none'}`);
  if (e.clockReads.length) touches.push(`clocks read: ${e.clockReads.join(', ')}`);
  if (e.halts) touches.push('may halt the machine');
  for (const t of e.traps) touches.push(`trap ${t.trap} (${t.kind}) when ${t.condition}`);
  const out = evidenceText(
    a,
    ic,
    model,
    width,
    c,
    opts.base,
    touches.flatMap((t) => hang(t, width, 6, '    ')),
  );
  const broken = offenders(a).find((o) => o.ic.mnemonic === ic.mnemonic)?.labels ?? [];
  out.push(`    breaks: ${broken.length ? broken.join(', ') : 'nothing'}`);
  return out.join('\n') + '\n';
}

function conclusionColour(a: IsaAnalysis, c: Colors): (s: string) => string {
  const v = a.trapAndEmulate?.value ?? a.theorem1.value;
  return v === 'holds' ? c.green : v === 'fails' ? c.red : c.yellow;
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
