// The Markdown handout: per ISA the classification table, the theorem verdicts with offenders and
// reasons, and the evidence for every sensitive (or undecided) instruction, witness states as
// small tables, so a class can read why each verdict holds.

import type {
  Evidence,
  InstructionClassification,
  IsaAnalysis,
  Witness,
} from '../analysis/types.js';
import { THEOREM_TITLES, displayPath, instructionVerdict, spanLocation, theorems, triMark } from './common.js';
import { reasonWithoutMnemonic } from './text.js';

export interface MarkdownOptions {
  /** Paths are shown relative to this folder (default: the working directory). */
  base?: string;
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

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

const EVIDENCE_KIND: Record<Evidence['k'], string> = {
  syntactic: 'syntactic argument',
  proof: 'proof (solver, all states)',
  witness: 'witness',
  unknown: 'unknown',
};

function witnessTable(w: Witness): string[] {
  const out: string[] = [];
  const ops = Object.entries(w.operands);
  if (ops.length > 0) out.push(`Operands: ${ops.map(([k, v]) => `${code(k)} = ${code(v)}`).join(', ')}`, '');
  // One row per state element, one column per state (before) and per outcome (after).
  const elements = new Set<string>();
  for (const s of w.states) for (const k of Object.keys(s.values)) elements.add(k);
  for (const o of w.outcomes) for (const k of Object.keys(o.values)) elements.add(k);
  const head = ['element'];
  w.states.forEach((s, i) => head.push(`state ${w.states.length > 1 ? i + 1 + ' ' : ''}(${mdEscape(s.mode)})`));
  w.outcomes.forEach((o, i) => {
    const label = w.outcomes.length > 1 ? `after ${i + 1}` : 'after';
    head.push(o.kind === 'done' ? label : `${label} (${o.kind}${o.trap ? ' ' + mdEscape(o.trap) : ''})`);
  });
  const rows = [...elements].map((el) => {
    const mark = w.differs.includes(el) ? ' **differs**' : '';
    return [
      code(el, true) + mark,
      ...w.states.map((s) => (s.values[el] !== undefined ? code(s.values[el]!, true) : '')),
      ...w.outcomes.map((o) => (o.values[el] !== undefined ? code(o.values[el]!, true) : '')),
    ];
  });
  out.push(...table(head, rows));
  out.push('');
  out.push(w.replayed ? '_Replayed on the reference interpreter._' : '**Not confirmed by replay.**');
  return out;
}

function evidenceBlock(name: string, value: string, ev: Evidence): string[] {
  const out = [`- **${name}: ${value}** (${EVIDENCE_KIND[ev.k]}): ${mdEscape(ev.text)}`];
  if (ev.k === 'unknown') out.push(`  Reason: ${mdEscape(ev.reason)}`);
  if (ev.k === 'witness') {
    out.push('');
    out.push(...witnessTable(ev.witness).map((l) => (l ? '  ' + l : '')));
    out.push('');
  }
  return out;
}

/** Which mode, control and clock elements the semantics touch: what the verdicts are about. */
function effectsLine(ic: InstructionClassification): string {
  const e = ic.effects;
  const parts: string[] = [];
  const list = (xs: string[] | undefined) => (xs ?? []).map((x) => code(x)).join(', ');
  if (e.modeReads?.length) parts.push(`reads mode ${list(e.modeReads)}`);
  if (e.modeWrites?.length) parts.push(`writes mode ${list(e.modeWrites)}`);
  if (e.controlReads?.length) parts.push(`reads control ${list(e.controlReads)}`);
  if (e.controlWrites?.length) parts.push(`writes control ${list(e.controlWrites)}`);
  if (e.clockReads?.length) parts.push(`reads clock ${list(e.clockReads)}`);
  if (e.halts) parts.push('may halt the machine');
  for (const t of e.traps) parts.push(`traps ${code(t.trap)} (${t.kind}) when ${code(t.condition)}`);
  return parts.join('; ');
}

function instructionEvidence(a: IsaAnalysis, ic: InstructionClassification, base?: string): string[] {
  const out = [`### ${mdEscape(ic.mnemonic)}`, ''];
  out.push(`${mdEscape(reasonWithoutMnemonic(ic.mnemonic, ic.reason))} — ${instructionVerdict(a, ic)}, ` +
    `${code(spanLocation(ic.span, base))}`);
  out.push('');
  const touches = effectsLine(ic);
  if (touches) out.push(`Touches: ${touches}.`, '');
  const p = ic.privileged;
  const pValue = p.value === 'conditional' ? `conditional (traps when ${code(p.condition ?? '?')})` : p.value;
  out.push(...evidenceBlock('privileged', pValue, p.evidence));
  out.push(...evidenceBlock('control-sensitive', ic.controlSensitive.value, ic.controlSensitive.evidence));
  out.push(...evidenceBlock('mode-sensitive', ic.modeSensitive.value, ic.modeSensitive.evidence));
  out.push(...evidenceBlock('location-sensitive', ic.locationSensitive.value, ic.locationSensitive.evidence));
  out.push(...evidenceBlock('user-sensitive', ic.userSensitive.value, ic.userSensitive.evidence));
  if (ic.timingDependent.value !== 'no') {
    out.push(...evidenceBlock('timing-dependent', ic.timingDependent.value, ic.timingDependent.evidence));
  }
  for (const f of ic.claimFindings) {
    out.push(`- **Claim contradicted** at ${code(spanLocation(f.claim.span, base))}: ${mdEscape(f.message)}`);
  }
  out.push('');
  return out;
}

function renderOne(a: IsaAnalysis, opts: MarkdownOptions): string[] {
  const base = opts.base;
  const out: string[] = [`# ${mdEscape(a.isa)}: virtualization analysis`, ''];
  out.push(`- Spec: ${code(displayPath(a.source, base))}`);
  out.push(`- Guest mode: ${code(a.guestMode)}; most privileged mode: ${code(a.mostPrivilegedMode)}`);
  if (a.assumptions.length === 0) out.push('- Assumptions: none');
  else {
    out.push('- Assumptions the monitor keeps while a guest runs:');
    for (const as of a.assumptions) out.push(`  - ${code(as.name)}: ${code(as.text)} (${code(spanLocation(as.span, base))})`);
  }
  out.push(`- ${a.stats.instructions} instructions, ${a.stats.solverQueries} solver queries`);
  out.push('');
  if (a.errors.length > 0) {
    out.push('> **Analysis errors.** These are bugs in isavirt or the spec; verdicts that rest on them are not to be trusted.');
    for (const e of a.errors) out.push(`> - ${mdEscape(e)}`);
    out.push('');
  }

  const t1 = a.theorem1;
  out.push(
    t1.value === 'holds'
      ? `**${mdEscape(a.isa)} can host a trap-and-emulate monitor**: every sensitive instruction is privileged.`
      : t1.value === 'fails'
        ? `**${mdEscape(a.isa)} cannot host a trap-and-emulate monitor**: ${t1.offenders.map((o) => mdEscape(o.mnemonic)).join(', ')} ` +
          `${t1.offenders.length === 1 ? 'is' : 'are'} sensitive but not privileged.`
        : `**Undecided**: the verdicts of ${t1.undecided.map(mdEscape).join(', ')} are unknown.`,
  );
  out.push('');

  out.push('## Classification', '');
  out.push(
    ...table(
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
  );
  out.push('');
  out.push('_control, mode, location, user: control-, mode-, location-, user-sensitive; cond: privileged only under a condition; ?: unknown._');
  out.push('');

  out.push('## Theorems', '');
  for (const [label, t] of theorems(a)) {
    const word = t.value === 'holds' ? 'holds' : t.value === 'fails' ? '**fails**' : '**unknown**';
    out.push(`### ${THEOREM_TITLES[label]}: ${word}`, '');
    out.push(/[.!?]$/.test(t.statement) ? mdEscape(t.statement) : `${mdEscape(t.statement)}.`, '');
    if (t.offenders.length > 0) {
      out.push('Offenders:', '');
      for (const o of t.offenders) {
        out.push(`- **${mdEscape(o.mnemonic)}** (${code(spanLocation(o.span, base))}): ${mdEscape(reasonWithoutMnemonic(o.mnemonic, o.reason))}`);
      }
      out.push('');
    }
    if (t.undecided.length > 0) out.push(`Undecided (verdict unknown): ${t.undecided.map(mdEscape).join(', ')}`, '');
  }

  const shown = a.instructions.filter(
    (ic) => ic.sensitive !== 'no' || ic.privileged.value !== 'no' || ic.timingDependent.value !== 'no' || ic.claimFindings.length > 0,
  );
  if (shown.length > 0) {
    out.push('## Evidence', '');
    out.push('For every sensitive, privileged, timing-dependent or undecided instruction: each verdict and how it is known.', '');
    for (const ic of shown) out.push(...instructionEvidence(a, ic, base));
  }
  return out;
}

/** A Markdown handout for one or more analysed ISAs. */
export function renderMarkdown(analyses: IsaAnalysis[], opts: MarkdownOptions = {}): string {
  const parts = analyses.map((a) => renderOne(a, opts).join('\n').trimEnd());
  return parts.join('\n\n---\n\n') + '\n';
}
