// The Markdown report, in the order the text report reads: the verdicts, each offender once with
// its reason in words, then the classification table and the evidence (witnesses as small tables
// of what differs, the deciding values in bold). The summary mode folds the table and the evidence
// into <details> so the whole fits a pull-request comment.

import type { InstructionClassification, IsaAnalysis } from '../analysis/index.js';
import type { Isa } from '../ir/index.js';
import { displayPath, instructionVerdict, spanLocation, triMark } from './common.js';
import { EVIDENCE_KIND, StateModel, reasonRich, richMarkdown, splitRich, verdictLines, verdictList, witnessTable, witnessView } from './evidence.js';
import { offenderLegend, offenders } from './text.js';

export interface MarkdownOptions {
  /** Paths are shown relative to this folder (default: the working directory). */
  base?: string;
  /** Fold the classification table and the evidence into <details> (a pull-request comment). */
  summary?: boolean;
  /** The specs, by ISA name, so values print in their natural width (optional). */
  isas?: Isa[];
}

/** Text safe inside a table cell or a line: pipes, backslashes and markup characters escaped. */
export function mdEscape(s: string): string {
  return s.replace(/[\\`*_[\]<>|]/g, (ch) => '\\' + ch).replace(/\r?\n/g, ' ');
}

/** Inline code; in a table cell a pipe must be escaped even inside code (GFM). */
function code(s: string, inTable = false): string {
  const text = inTable ? s.replace(/\|/g, '\\|') : s;
  return s.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** A GFM table: the head, the delimiter row, the rows (cells already escaped for a table). */
export function mdTable(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** A folded block: GitHub renders Markdown inside <details> only after a blank line. */
function details(summary: string, body: string[]): string[] {
  return ['<details>', `<summary>${summary}</summary>`, '', ...body, '', '</details>', ''];
}

function htmlText(s: string): string {
  return s.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);
}

/** One instruction's verdicts and evidence. `compact` (the summary) keeps the verdicts that make it
 *  an offender — privilege and every `yes` — and lets the witness tables speak for themselves. */
function instructionEvidence(a: IsaAnalysis, ic: InstructionClassification, model: StateModel, base?: string, compact = false): string[] {
  const out: string[] = [];
  out.push(`${richMarkdown(reasonRich(ic, model, a.guestMode))} — ${instructionVerdict(a, ic)}, ${code(spanLocation(ic.span, base))}`, '');
  const split = splitRich(ic);
  if (split) out.push(`Instances: ${richMarkdown(split)}.`, '');
  const seen = new Set<string>();
  let tables = 0;
  for (const [n, v] of verdictList(ic, a.guestMode).entries()) {
    const ev = v.evidence;
    if (compact && n > 0 && v.value === 'no') continue;
    // User sensitivity often rests on the witness just shown: point to it instead of repeating it.
    const id = ev.k === 'witness' ? JSON.stringify(ev.witness) : '';
    if (id && seen.has(id)) {
      out.push(`- **${mdEscape(v.name)}: ${mdEscape(v.value)}** (${EVIDENCE_KIND[ev.k]}): the witness above`);
      continue;
    }
    if (id) seen.add(id);
    const words = compact && ev.k === 'witness' ? '' : `: ${mdEscape(ev.text)}`;
    out.push(`- **${mdEscape(v.name)}: ${mdEscape(v.value)}** (${EVIDENCE_KIND[ev.k]})${words}${ev.k === 'unknown' ? ` — ${mdEscape(ev.reason)}` : ''}`);
    // The summary shows one witness table per offender (the one its reason rests on); the others
    // are named with their verdict, their tables are in the full report.
    if (ev.k === 'witness' && compact && tables > 0) continue;
    if (ev.k === 'witness') {
      tables++;
      const t = witnessTable(witnessView(ev.witness, model, v.columns));
      out.push('');
      if (t.rows.length > 0)
        out.push(
          ...mdTable(
            t.head.map(mdEscape),
            t.rows.map((r) => r.cells.map((c) => richMarkdown(c, true))),
          ).map((l) => '  ' + l),
          '',
        );
      out.push(`  _${mdEscape(t.note)}._`, '');
    }
  }
  for (const f of ic.claimFindings) out.push(`- **Claim contradicted** at ${code(spanLocation(f.claim.span, base))}: ${mdEscape(f.message)}`);
  out.push('');
  return out;
}

function conclusion(a: IsaAnalysis): string {
  const exact = a.trapAndEmulate;
  const name = mdEscape(a.isa);
  if (exact && exact.value === 'holds' && a.theorem1.value !== 'holds') {
    return `**${name} can host a trap-and-emulate monitor**, although Theorem 1 fails${exact.note ? `: ${mdEscape(exact.note)}` : '.'}`;
  }
  const v = exact?.value ?? a.theorem1.value;
  if (v === 'holds') return `**${name} can host a trap-and-emulate monitor**: every sensitive instruction is privileged.`;
  if (v === 'fails') {
    const who = (exact ?? a.theorem1).offenders.length;
    return `**${name} cannot host a trap-and-emulate monitor**: ${who} instruction${who === 1 ? '' : 's'} ${exact ? 'break it' : 'are sensitive but not privileged'}.`;
  }
  return `**Undecided**: the verdicts of ${a.theorem1.undecided.map(mdEscape).join(', ')} are unknown.`;
}

function renderOne(a: IsaAnalysis, opts: MarkdownOptions): string[] {
  const base = opts.base;
  const model = new StateModel(opts.isas?.find((i) => i.name === a.isa));
  const out: string[] = [`# ${mdEscape(a.isa)}: virtualization analysis`, ''];
  const assumed = a.assumptions.length ? `; the monitor keeps ${a.assumptions.map((x) => code(x.text)).join(', ')}` : '';
  out.push(
    `${code(displayPath(a.source, base))}: ${a.stats.instructions} instructions; guest mode ${code(a.guestMode)}, most privileged ${code(a.mostPrivilegedMode)}${assumed}.`,
    '',
  );
  if (a.errors.length > 0) {
    out.push('> **Analysis errors.** These are bugs in isavirt or the spec; verdicts that rest on them are not to be trusted.');
    for (const e of a.errors) out.push(`> - ${mdEscape(e)}`);
    out.push('');
  }

  out.push('## Verdicts', '');
  for (const v of verdictLines(a)) {
    out.push(`- ${mdEscape(v.title)}: **${v.word}**${v.detail ? ` (${mdEscape(v.detail)})` : ''}`);
    if (v.note) out.push(`  ${mdEscape(v.note)}`);
  }
  out.push('', conclusion(a), '');

  const offs = offenders(a);
  if (offs.length) {
    out.push(`## Offenders (${offs.length})`, '');
    out.push(
      ...mdTable(
        ['instruction', 'breaks', 'why'],
        offs.map(({ ic, labels }) => [`**${mdEscape(ic.mnemonic)}**`, labels.join(' '), richMarkdown(reasonRich(ic, model, a.guestMode), true)]),
      ),
    );
    out.push('', `_${mdEscape(offenderLegend(a))}._`, '');
  }
  const undecided = [...new Set([a.theorem1, a.theorem2, a.theorem3, a.trapAndEmulate].flatMap((t) => t?.undecided ?? []))];
  if (undecided.length) out.push(`Undecided (verdict unknown, never guessed): ${undecided.map(mdEscape).join(', ')}`, '');

  const findings = a.instructions.flatMap((ic) => ic.claimFindings.map((f) => ({ ic, f })));
  if (findings.length) {
    out.push(`## Claim findings (${findings.length})`, '');
    for (const { ic, f } of findings) out.push(`- ${code(spanLocation(f.claim.span, base))} **${mdEscape(ic.mnemonic)}**: ${mdEscape(f.message)}`);
    out.push('');
  }

  const classification = [
    ...mdTable(
      ['instruction', 'privileged', 'control', 'mode', 'location', 'user', 'verdict', 'line'],
      a.instructions.map((ic) => [
        mdEscape(ic.mnemonic),
        triMark(ic.privileged.value),
        triMark(ic.controlSensitive.value),
        triMark(ic.modeSensitive.value),
        triMark(ic.locationSensitive.value),
        triMark(ic.userSensitive.value),
        instructionVerdict(a, ic),
        `${ic.span.line}:${ic.span.col}`,
      ]),
    ),
    '',
    '_control, mode, location, user: control-, mode-, location-, user-sensitive; cond: privileged only under a condition; ?: unknown._',
  ];
  const shown = a.instructions.filter(
    (ic) => ic.sensitive !== 'no' || ic.privileged.value !== 'no' || ic.timingDependent.value !== 'no' || ic.claimFindings.length > 0,
  );
  if (opts.summary) {
    out.push(...details(`Classification of all ${a.instructions.length} instructions`, classification));
    // The offenders' evidence only: it is what a reviewer opens; the rest is in the full report.
    if (offs.length) {
      out.push('## Evidence', '');
      for (const { ic } of offs) {
        out.push(...details(`<b>${htmlText(ic.mnemonic)}</b>: ${htmlText(instructionVerdict(a, ic))}`, instructionEvidence(a, ic, model, base, true)));
      }
      out.push('_The evidence of every other verdict: the full report (`--format markdown` without `--summary`)._', '');
    }
  } else {
    out.push('## Classification', '', ...classification, '');
    if (shown.length) {
      out.push('## Evidence', '');
      out.push('For every sensitive, privileged, timing-dependent or undecided instruction: each verdict and how it is known.', '');
      for (const ic of shown) out.push(`### ${mdEscape(ic.mnemonic)}`, '', ...instructionEvidence(a, ic, model, base));
    }
  }
  return out;
}

/** A Markdown report for one or more analysed ISAs. */
export function renderMarkdown(analyses: IsaAnalysis[], opts: MarkdownOptions = {}): string {
  const parts = analyses.map((a) => renderOne(a, opts).join('\n').trimEnd());
  return parts.join('\n\n---\n\n') + '\n';
}
