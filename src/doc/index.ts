// The reference document of an ISA: state and roles, modes, traps, translations, an instruction
// table, and per instruction its encoding (bit layout), syntax, doc comment, semantics and derived
// classification with evidence, then the theorem verdicts.
//
// The content is built once as a small block model and rendered to Markdown or to one
// self-contained HTML page, so both formats say the same thing and every string from the spec
// goes through exactly one escaping function per format.

import type { Evidence, InstructionClassification, IsaAnalysis, Verdict } from '../analysis/types.js';
import { printExpr, printStmts } from '../analysis/print.js';
import type { Encoding, EncodingBits, Instruction, Isa, Operand, Relative, Stmt } from '../ir/types.js';

export type DocFormat = 'markdown' | 'html';

// ---- the block model ----

/** Inline text: plain, code, or bold; strings are raw spec text, escaped by the renderer. */
export type Inline = string | { code: string } | { strong: string };
export type Cell = Inline | Inline[];
export type Block =
  | { k: 'h'; level: 1 | 2 | 3; text: string; id?: string }
  | { k: 'p'; parts: Inline[] }
  | { k: 'table'; head: string[]; rows: Cell[][]; id?: string; rowIds?: string[] }
  | { k: 'pre'; text: string }
  | { k: 'list'; items: Inline[][] };

export interface DocOptions {
  format: DocFormat;
}

const bits = (n: number): string => `${n} bit${n === 1 ? '' : 's'}`;

/** A doc comment as paragraphs: a blank line separates them, single line breaks join. */
function docParagraphs(doc: string | undefined): Block[] {
  if (!doc) return [];
  return doc
    .split(/\n\s*\n/)
    .map((para) => para.replace(/\s*\n\s*/g, ' ').trim())
    .filter(Boolean)
    .map((para) => ({ k: 'p', parts: [para] }));
}

const anchor = (kind: string, name: string): string => `${kind}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** `:pc`, `:next_pc+2`: the suffix of a PC-relative syntax hole. */
export function relativeText(r: Relative | undefined): string {
  if (!r) return '';
  return `:${r.base}${r.addend > 0 ? `+${r.addend}` : r.addend < 0 ? `${r.addend}` : ''}`;
}

export function syntaxText(i: Instruction): string {
  if (i.syntax.length === 0) return [i.mnemonic, i.operands.map((o) => `{${o.name}}`).join(', ')].filter(Boolean).join(' ');
  return i.syntax.map((p) => (p.k === 'text' ? p.text : `{${p.name}${relativeText(p.relative)}}`)).join('');
}

/** The encoding as fields from the most significant bit, as written (a `little` group's items as the
 *  manual draws them, numbered within the group): `[{bits: "31..24", value: "0x40"}, ...]`. */
export function encodingLayout(e: Encoding): { bits: string; value: string; operand: boolean }[] {
  const out: { bits: string; value: string; operand: boolean }[] = [];
  const add = (it: EncodingBits, hi: number) => {
    const lo = hi - it.width + 1;
    const bits = it.width === 1 ? `${hi}` : `${hi}..${lo}`;
    if (it.k === 'fixed') {
      const v = BigInt(it.value);
      // Binary for narrow fields reads like a datasheet; hex for wide ones stays short.
      const value = it.width <= 4 ? `0b${v.toString(2).padStart(it.width, '0')}` : `0x${v.toString(16)}`;
      out.push({ bits, value, operand: false });
    } else out.push({ bits, value: split.has(it.operand) ? sliceText(it) : it.operand, operand: true });
    return lo - 1;
  };
  // An operand in one field is named; one split over several shows which bits each holds.
  const split = splitOperands(e);
  let hi = e.width - 1;
  for (const it of e.items) {
    if (it.k !== 'little') {
      hi = add(it, hi);
      continue;
    }
    let g = it.width - 1;
    for (const sub of it.items) g = add(sub, g);
    hi -= it.width;
  }
  return out;
}

/** Operands placed in more than one field. */
function splitOperands(e: Encoding): Set<string> {
  const names = e.items.flatMap((it) => (it.k === 'little' ? it.items : [it])).flatMap((it) => (it.k === 'field' ? [it.operand] : []));
  return new Set(names.filter((n, i) => names.indexOf(n) !== i));
}

/** `off[10..5]`, `off[11]`, `off[4..0]`. */
function sliceText(it: Extract<EncodingBits, { k: 'field' }>): string {
  const lo = it.lo ?? 0;
  return it.width === 1 ? `${it.operand}[${lo}]` : `${it.operand}[${lo + it.width - 1}..${lo}]`;
}

/** The encoding as the spec writes it: `0x40:8 0:8 a:16`, `0x05:8 little(imm:32)`. */
export function encodingText(e: Encoding): string {
  const split = splitOperands(e);
  const bitsText = (it: EncodingBits) =>
    it.k === 'fixed' ? `${printConstText(BigInt(it.value))}:${it.width}` : split.has(it.operand) || (it.lo ?? 0) > 0 ? sliceText(it) : `${it.operand}:${it.width}`;
  return e.items.map((it) => (it.k === 'little' ? `little(${it.items.map(bitsText).join(' ')})` : bitsText(it))).join(' ');
}

function printConstText(v: bigint): string {
  return v < 10n ? v.toString() : `0x${v.toString(16)}`;
}

/** The first sentence of a doc comment, for a table cell. */
export function summaryOf(doc: string | undefined): string {
  if (!doc) return '';
  const para = doc.split(/\n\s*\n/)[0]!.replace(/\s*\n\s*/g, ' ').trim();
  const m = /^.*?[.!?](?=\s|$)/.exec(para);
  return m ? m[0] : para;
}

function operandText(o: Operand): string {
  return o.kind === 'reg' ? `${o.name} : reg ${o.file ?? ''}` : `${o.name} : ${o.kind} ${o.width}`;
}

function stmtsText(body: Stmt[]): string {
  return body.length ? printStmts(body) : '(nothing)';
}

const EVIDENCE_WORDS: Record<Evidence['k'], string> = {
  syntactic: 'by the semantics, for every state',
  proof: 'proved by the solver for every bit pattern',
  witness: 'witness, replayed on the reference interpreter',
  unknown: 'undecided',
};

function evidenceInline(e: Evidence): Inline[] {
  const out: Inline[] = [`${EVIDENCE_WORDS[e.k]}: ${e.text}`];
  if (e.k === 'unknown') out.push(` (${e.reason})`);
  if (e.k === 'witness') {
    const w = e.witness;
    const ops = Object.entries(w.operands).map(([k, v]) => `${k} = ${v}`).join(', ');
    if (ops) out.push('; operands ', { code: ops });
    w.states.forEach((s, i) => {
      const vals = Object.entries(s.values).map(([k, v]) => `${k} = ${v}`).join(', ');
      const o = w.outcomes[i];
      const res = o ? (o.kind === 'trap' ? `trap ${o.trap}` : o.kind) + (Object.keys(o.values).length ? `: ${Object.entries(o.values).map(([k, v]) => `${k} = ${v}`).join(', ')}` : '') : '';
      out.push(`; ${w.states.length > 1 ? `state ${i === 0 ? 'A' : 'B'}` : 'state'} (mode ${s.mode}) `, { code: vals || '(all zero)' }, res ? ` → ${res}` : '');
    });
    if (w.differs.length) out.push(`; differs: ${w.differs.join('; ')}`);
  }
  return out;
}

function verdictRows(c: InstructionClassification, guestMode: string): Cell[][] {
  const row = (name: string, v: Verdict | InstructionClassification['privileged'], extra = ''): Cell[] => [name, { strong: v.value + extra }, evidenceInline(v.evidence)];
  return [
    row('privileged', c.privileged, c.privileged.condition ? ` (when ${c.privileged.condition})` : ''),
    row('control-sensitive', c.controlSensitive),
    row('mode-sensitive', c.modeSensitive),
    row('location-sensitive', c.locationSensitive),
    row(`user-sensitive (mode ${guestMode})`, c.userSensitive),
    row('timing-dependent', c.timingDependent),
  ];
}

/** One word for a table cell: what the instruction is. */
export function classificationWord(c: InstructionClassification | undefined): string {
  if (!c) return 'not analysed';
  const parts: string[] = [];
  if (c.sensitive === 'yes') parts.push('sensitive');
  else if (c.sensitive === 'unknown') parts.push('sensitivity unknown');
  else parts.push('innocuous');
  if (c.privileged.value === 'yes') parts.push('privileged');
  else if (c.privileged.value === 'conditional') parts.push('conditionally privileged');
  else if (c.privileged.value === 'unknown') parts.push('privilege unknown');
  return parts.join(', ');
}

/** The document's blocks. `analysis` may be absent (then classifications are left out). */
export function buildDoc(isa: Isa, analysis?: IsaAnalysis): Block[] {
  const B: Block[] = [];
  const byMnemonic = new Map((analysis?.instructions ?? []).map((c) => [c.mnemonic, c]));
  B.push({ k: 'h', level: 1, text: `${isa.name} — instruction set reference` });
  B.push(...docParagraphs(isa.doc));
  B.push({
    k: 'p',
    parts: [
      'Source ', { code: isa.source }, isa.extends.length ? `, extending ${isa.extends.join(', ')}` : '',
      `; ${isa.endian}-endian; ${isa.instructions.length} instructions; fetch from `, { code: isa.fetch.space }, ' at ', { code: isa.fetch.pc }, '.',
    ],
  });

  // Verdicts first: the question the reader came with.
  B.push({ k: 'h', level: 2, text: 'Verdicts', id: 'verdicts' });
  if (analysis) {
    const rows: Cell[][] = [
      ['Theorem 1 (trap-and-emulate monitor)', analysis.theorem1],
      ['Theorem 2 (recursive virtualization)', analysis.theorem2],
      ['Theorem 3 (hybrid monitor)', analysis.theorem3],
    ].map(([title, t]) => {
      const tv = t as IsaAnalysis['theorem1'];
      const offenders = tv.offenders.map((o) => o.mnemonic).join(', ');
      return [title as string, { strong: tv.value }, offenders ? `offenders: ${offenders}` : tv.undecided.length ? `undecided: ${tv.undecided.join(', ')}` : tv.statement];
    });
    B.push({ k: 'table', head: ['theorem', 'verdict', 'why'], rows });
  } else {
    B.push({ k: 'p', parts: ['Not analysed.'] });
  }

  B.push({ k: 'h', level: 2, text: 'State', id: 'state' });
  B.push({
    k: 'p',
    parts: ['Roles: ', { strong: 'mode' }, ' state decides the processor mode; ', { strong: 'control' }, ' state defines the virtual machine\'s resources and is owned by the monitor; ', { strong: 'plain' }, ' state is the guest\'s own.'],
  });
  const stateRows: Cell[][] = [];
  for (const r of isa.registers) {
    stateRows.push([{ code: r.name }, `register${r.readonly ? ' (read-only)' : ''}${r.clock ? ', clock' : ''}`, bits(r.width), { strong: r.role }, r.doc ?? '']);
    for (const f of r.fields) stateRows.push([{ code: `${r.name}.${f.name}` }, `field ${f.hi === f.lo ? f.hi : `${f.hi}..${f.lo}`}`, bits(f.hi - f.lo + 1), { strong: f.role }, f.doc ?? '']);
  }
  for (const f of isa.files) stateRows.push([{ code: `${f.name}[${f.count}]` }, `register file${f.readonly ? ' (read-only)' : ''}${f.names.length ? `: ${f.names.join(', ')}` : ''}`, `${bits(f.width)} each`, { strong: f.role }, f.doc ?? '']);
  for (const m of isa.memories) stateRows.push([{ code: `${m.name}[${m.size}]` }, 'memory', `${m.wordWidth}-bit words`, { strong: m.role }, m.doc ?? '']);
  for (const v of isa.views) stateRows.push([{ code: v.name }, [`view of `, { code: v.memory }, ' via ', { code: v.translation }], '', { strong: 'plain' }, v.doc ?? '']);
  B.push({ k: 'table', head: ['name', 'kind', 'width', 'role', 'description'], rows: stateRows });

  if (isa.translations.length) {
    B.push({ k: 'h', level: 3, text: 'Translations' });
    for (const t of isa.translations) {
      B.push({ k: 'p', parts: [{ code: `translate ${t.name}(${t.param.name} : ${t.param.width}) : ${t.resultWidth}` }, t.doc ? ` — ${t.doc}` : ''] });
      B.push({ k: 'pre', text: `${stmtsText(t.body)}\nreturn ${printExpr(t.result)};` });
    }
  }
  if (isa.functions.length) {
    B.push({ k: 'h', level: 3, text: 'Functions' });
    for (const f of isa.functions) {
      B.push({ k: 'p', parts: [{ code: `function ${f.name}(${f.params.map((p) => `${p.name} : ${p.width}`).join(', ')}) : ${f.resultWidth}` }, f.doc ? ` — ${f.doc}` : ''] });
      B.push({ k: 'pre', text: `${f.body.length ? printStmts(f.body) + '\n' : ''}return ${printExpr(f.result)};` });
    }
  }

  B.push({ k: 'h', level: 2, text: 'Modes', id: 'modes' });
  B.push({
    k: 'table',
    head: ['mode', 'holds when', 'description'],
    rows: isa.modes.map((m, i) => [
      [{ code: m.name }, i === 0 ? ' (most privileged)' : '', m.name === isa.guestMode ? ' (guest mode)' : ''],
      { code: printExpr(m.when) },
      m.doc ?? '',
    ]),
  });
  if (isa.assumptions.length) {
    B.push({ k: 'p', parts: ['A monitor keeps these invariants while a guest runs:'] });
    B.push({ k: 'list', items: isa.assumptions.map((a) => [{ code: a.name }, ': ', { code: printExpr(a.holds) }, a.doc ? ` — ${a.doc}` : '']) });
  }

  B.push({ k: 'h', level: 2, text: 'Traps', id: 'traps' });
  B.push({
    k: 'table',
    head: ['trap', 'kind', 'vector', 'description'],
    rows: isa.traps.map((t) => [
      { code: t.name },
      t.kind + (t.timer ? ` (every ${t.timer.period} instructions when ${printExpr(t.timer.when)})` : ''),
      String(t.vector),
      t.doc ?? '',
    ]),
  });
  B.push({ k: 'p', parts: ['Trap entry:'] });
  B.push({ k: 'pre', text: isa.trapEntry.length ? printStmts(isa.trapEntry) : '(none: taking a trap stops the machine)' });
  if (isa.reset.length) {
    B.push({ k: 'p', parts: ['Reset:'] });
    B.push({ k: 'pre', text: printStmts(isa.reset) });
  }

  B.push({ k: 'h', level: 2, text: 'Instructions', id: 'instructions' });
  B.push({
    k: 'table',
    id: 'instruction-table',
    head: ['mnemonic', 'syntax', 'encoding', 'classification', 'summary'],
    rowIds: isa.instructions.map((i) => anchor('row', i.mnemonic)),
    rows: isa.instructions.map((i) => [
      { strong: i.mnemonic },
      { code: syntaxText(i) },
      { code: encodingText(i.encoding) },
      classificationWord(byMnemonic.get(i.mnemonic)),
      summaryOf(i.doc),
    ]),
  });

  for (const i of isa.instructions) {
    B.push({ k: 'h', level: 3, text: i.mnemonic, id: anchor('instr', i.mnemonic) });
    B.push(...docParagraphs(i.doc));
    B.push({ k: 'p', parts: ['Syntax ', { code: syntaxText(i) }, i.operands.length ? '; operands ' : '', ...i.operands.flatMap((o, n) => [n ? ', ' : '', { code: operandText(o) }])] });
    const layout = encodingLayout(i.encoding);
    B.push({ k: 'table', head: layout.map((f) => `bits ${f.bits}`), rows: [layout.map((f) => (f.operand ? { strong: f.value } : { code: f.value }))] });
    B.push({ k: 'pre', text: stmtsText(i.semantics) });
    if (i.claims.length) B.push({ k: 'p', parts: ['The author claims: ', i.claims.map((c) => (c.negated ? 'not ' : '') + c.claim).join(', '), '.'] });
    const c = byMnemonic.get(i.mnemonic);
    if (c) {
      B.push({ k: 'p', parts: [{ strong: 'Derived:' }, ' ', c.reason] });
      B.push({ k: 'table', head: ['verdict', 'value', 'evidence'], rows: verdictRows(c, analysis!.guestMode) });
      for (const f of c.claimFindings) B.push({ k: 'p', parts: [{ strong: 'Claim contradicted:' }, ' ', f.message] });
    }
  }
  return B;
}

// ---- Markdown ----

function mdText(s: string): string {
  return s.replace(/[\\`*_[\]<>|#]/g, (ch) => '\\' + ch).replace(/\r?\n/g, ' ');
}

function mdInline(x: Inline, inTable: boolean): string {
  if (typeof x === 'string') return mdText(x);
  if ('code' in x) {
    const t = (inTable ? x.code.replace(/\|/g, '\\|') : x.code).replace(/\r?\n/g, ' ');
    return x.code.includes('`') ? `\`\` ${t} \`\`` : `\`${t}\``;
  }
  return `**${mdText(x.strong)}**`;
}

function mdCell(c: Cell, inTable: boolean): string {
  return (Array.isArray(c) ? c : [c]).map((x) => mdInline(x, inTable)).join('');
}

export function renderMarkdownDoc(blocks: Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.k) {
      case 'h':
        out.push(`${'#'.repeat(b.level)} ${mdText(b.text)}`, '');
        break;
      case 'p':
        out.push(mdCell(b.parts, false), '');
        break;
      case 'table':
        out.push(`| ${b.head.map(mdText).join(' | ')} |`, `|${b.head.map(() => '---').join('|')}|`);
        for (const r of b.rows) out.push(`| ${r.map((c) => mdCell(c, true)).join(' | ')} |`);
        out.push('');
        break;
      case 'pre': {
        // A fence longer than any backtick run inside, so spec text cannot close it.
        const run = Math.max(2, ...[...b.text.matchAll(/`+/g)].map((m) => m[0].length));
        const fence = '`'.repeat(run + 1);
        out.push(`${fence}isa`, b.text, fence, '');
        break;
      }
      case 'list':
        for (const it of b.items) out.push(`- ${mdCell(it, false)}`);
        out.push('');
        break;
    }
  }
  return out.join('\n');
}

// ---- HTML ----

export function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

function htmlInline(x: Inline): string {
  if (typeof x === 'string') return htmlEscape(x).replace(/\n/g, '<br>');
  if ('code' in x) return `<code>${htmlEscape(x.code)}</code>`;
  return `<strong>${htmlEscape(x.strong)}</strong>`;
}

function htmlCell(c: Cell): string {
  return (Array.isArray(c) ? c : [c]).map(htmlInline).join('');
}

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1d1f21;background:#fff}
h1{font-size:1.8rem;border-bottom:2px solid #ccc}h2{margin-top:2.5rem;border-bottom:1px solid #ddd}h3{margin-top:2rem}
table{border-collapse:collapse;margin:.75rem 0;width:auto}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}code,pre{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.9em}
code{background:#f5f5f5;padding:0 .2em;border-radius:3px}pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.6rem;overflow-x:auto}
nav a{margin-right:1rem}
@media (prefers-color-scheme:dark){body{background:#1e1e1e;color:#ddd}th{background:#2a2a2a}code,pre{background:#2a2a2a}th,td{border-color:#444}}
`;

export function renderHtmlDoc(blocks: Block[], title: string): string {
  const body: string[] = [];
  const toc = blocks.filter((b): b is Extract<Block, { k: 'h' }> => b.k === 'h' && b.level === 2 && b.id !== undefined);
  let navDone = false;
  for (const b of blocks) {
    switch (b.k) {
      case 'h':
        body.push(`<h${b.level}${b.id ? ` id="${htmlEscape(b.id)}"` : ''}>${htmlEscape(b.text)}</h${b.level}>`);
        if (b.level === 1 && !navDone) {
          body.push(`<nav>${toc.map((h) => `<a href="#${htmlEscape(h.id!)}">${htmlEscape(h.text)}</a>`).join('')}</nav>`);
          navDone = true;
        }
        break;
      case 'p':
        body.push(`<p>${htmlCell(b.parts)}</p>`);
        break;
      case 'table': {
        const rows = b.rows.map((r, i) => `<tr${b.rowIds?.[i] ? ` id="${htmlEscape(b.rowIds[i]!)}"` : ''}>${r.map((c) => `<td>${htmlCell(c)}</td>`).join('')}</tr>`);
        body.push(`<table${b.id ? ` id="${htmlEscape(b.id)}"` : ''}><thead><tr>${b.head.map((h) => `<th>${htmlEscape(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`);
        break;
      }
      case 'pre':
        body.push(`<pre><code>${htmlEscape(b.text)}</code></pre>`);
        break;
      case 'list':
        body.push(`<ul>${b.items.map((it) => `<li>${htmlCell(it)}</li>`).join('')}</ul>`);
        break;
    }
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing external may load: the page must work offline and from a mail attachment.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${htmlEscape(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The reference document of `isa` in the given format. */
export function renderIsaDoc(isa: Isa, analysis: IsaAnalysis | undefined, opts: DocOptions): string {
  const blocks = buildDoc(isa, analysis);
  return opts.format === 'html' ? renderHtmlDoc(blocks, `${isa.name} — instruction set reference`) : renderMarkdownDoc(blocks);
}
