// The reference document of an ISA: state and roles, modes, traps, translations, an instruction
// table, and per instruction its encoding (bit layout), syntax, doc comment, semantics and derived
// classification with evidence, then the theorem verdicts.
//
// The content is built once as a small block model and rendered to Markdown or to one
// self-contained HTML page, so both formats say the same thing and every string from the spec
// goes through exactly one escaping function per format.

import { type Evidence, type InstructionClassification, type IsaAnalysis, type Verdict, instructionEffects, printExpr, printStmts } from '../analysis/index.js';
import type { Encoding, EncodingBits, Instruction, Isa, Operand, Relative, Stmt } from '../ir/index.js';
import {
  MONITOR_COLUMNS,
  mdTable,
  StateModel,
  reasonRich,
  richHtml,
  richMarkdown,
  splitRich,
  verdictLines,
  witnessTable,
  witnessView,
  type Rich,
} from '../report/index.js';
import { isaIndex } from '../ir/index.js';

export type DocFormat = 'markdown' | 'html';

// ---- the block model ----

/** Inline text: plain, code, bold, a link to an anchor of the document, or evidence (rendered
 *  by src/report/evidence.ts, the one renderer of witnesses); strings are raw spec text, escaped
 *  by the renderer. */
export type Inline = string | { code: string } | { strong: string } | { link: string; to: string } | { rich: Rich };
export type Cell = Inline | Inline[];
/** One field of an encoding: its name (an operand, or the fixed value) over its bit range. */
export interface BitField {
  name: string;
  bits: string;
  width: number;
  operand: boolean;
}
export type Block =
  | { k: 'h'; level: 1 | 2 | 3; text: string; id?: string }
  | { k: 'p'; parts: Inline[] }
  | { k: 'table'; head: string[]; rows: Cell[][]; id?: string; rowIds?: string[]; className?: string }
  | { k: 'bitfield'; fields: BitField[]; width: number }
  | { k: 'pre'; text: string }
  | { k: 'list'; items: Inline[][] };

export interface DocOptions {
  format: DocFormat;
}

const bits = (n: number): string => `${n} bit${n === 1 ? '' : 's'}`;

/** A doc comment's paragraphs, reflowed: a blank line separates paragraphs; a single line break
 *  inside one is where the author's editor wrapped, not a break the reader should see. A line
 *  that starts a list item ("- ", "* ", "1. ") keeps its break. */
export function reflow(doc: string | undefined): string[] {
  if (!doc) return [];
  const out: string[] = [];
  for (const para of doc.split(/\n\s*\n/)) {
    let cur = '';
    for (const raw of para.split('\n')) {
      const line = raw.trim();
      if (!line) continue;
      if (/^([-*]|\d+[.)])\s/.test(line) && cur) {
        out.push(cur);
        cur = line;
      } else cur = cur ? `${cur} ${line}` : line;
    }
    if (cur) out.push(cur);
  }
  return out;
}

/** A short doc (a table cell): its paragraphs, reflowed, on one line. */
const oneLine = (doc: string | undefined): string => reflow(doc).join(' ');

function docParagraphs(doc: string | undefined): Block[] {
  return reflow(doc).map((para) => ({ k: 'p', parts: [para] }));
}

const anchor = (kind: string, name: string): string => `${kind}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** `:pc`, `:next_pc+2`: the suffix of a PC-relative syntax hole. */
export function relativeText(r: Relative | undefined): string {
  if (!r) return '';
  return `:${r.base}${r.addend > 0 ? `+${r.addend}` : r.addend < 0 ? `${r.addend}` : ''}`;
}

/** Where a state element named in effects ("EFLAGS.IF", "gpr", "SSV[...]") is described. */
function stateAnchor(isa: Isa, element: string): string | undefined {
  const base = element.replace(/\[.*$/, '');
  const dot = base.indexOf('.');
  if (dot > 0) {
    const r = isaIndex(isa).registers.get(base.slice(0, dot));
    if (r?.fields.some((f) => f.name === base.slice(dot + 1))) return anchor('state', base);
    if (r) return anchor('state', r.name);
  }
  const known = [...isa.registers, ...isa.files, ...isa.memories, ...isa.views].some((x) => x.name === base);
  return known ? anchor('state', base) : undefined;
}

/** Links, comma-separated, to the given targets; a name without an anchor stays code. */
function links(items: { text: string; to: string | undefined }[]): Inline[] {
  return items.flatMap((x, i) => [...(i ? [', '] : []), x.to ? { link: x.text, to: x.to } : { code: x.text }]);
}

export function syntaxText(i: Pick<Instruction, 'mnemonic' | 'operands' | 'syntax'>): string {
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

/** The encoding as a bit-field table: each field's name (operand, or fixed value) over its range. */
export function bitFields(e: Encoding): BitField[] {
  // The width from the layout's own range ("31..24", "7"), so a layout that flattens groups of
  // items (little-endian byte groups) still gives each field its span.
  return encodingLayout(e).map((f) => {
    const [hi, lo] = f.bits.split('..').map(Number) as [number, number | undefined];
    return { name: f.value, bits: f.bits, width: lo === undefined ? 1 : Math.abs(hi - lo) + 1, operand: f.operand };
  });
}

/** The encoding as the spec writes it: `0x40:8 0:8 a:16`, `0x05:8 little(imm:32)`. */
export function encodingText(e: Encoding): string {
  const split = splitOperands(e);
  const bitsText = (it: EncodingBits) =>
    it.k === 'fixed'
      ? `${printConstText(BigInt(it.value))}:${it.width}`
      : split.has(it.operand) || (it.lo ?? 0) > 0
        ? sliceText(it)
        : `${it.operand}:${it.width}`;
  return e.items.map((it) => (it.k === 'little' ? `little(${it.items.map(bitsText).join(' ')})` : bitsText(it))).join(' ');
}

function printConstText(v: bigint): string {
  return v < 10n ? v.toString() : `0x${v.toString(16)}`;
}

/** The first sentence of a doc comment, for a table cell. */
export function summaryOf(doc: string | undefined): string {
  if (!doc) return '';
  const para = doc
    .split(/\n\s*\n/)[0]!
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  // A sentence ends at . ! or ? before a capital (or the end): "SDM vol. 2" does not end one.
  const m = /^.*?[.!?](?=\s+[A-Z"(]|$)/.exec(para);
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

/** A verdict's evidence in a table cell: how it is known, in words; a witness says where its
 *  table is (the tables follow the verdict table, one per witness). */
function evidenceCell(e: Evidence, witnessNo: number | undefined): Inline[] {
  const out: Inline[] = [`${EVIDENCE_WORDS[e.k]}: ${e.text}`];
  if (e.k === 'unknown') out.push(` (${e.reason})`);
  if (witnessNo !== undefined) out.push(` (witness ${witnessNo} below)`);
  return out;
}

function verdictRows(c: InstructionClassification, guestMode: string, witnessNo: (e: Evidence) => number | undefined): Cell[][] {
  const row = (name: string, v: Verdict | InstructionClassification['privileged'], extra = ''): Cell[] => [
    name,
    { strong: v.value + extra },
    evidenceCell(v.evidence, witnessNo(v.evidence)),
  ];
  return [
    row('privileged', c.privileged, c.privileged.condition ? ` (when ${c.privileged.condition})` : ''),
    row('control-sensitive', c.controlSensitive),
    row('mode-sensitive', c.modeSensitive),
    row('location-sensitive', c.locationSensitive),
    row(`user-sensitive (mode ${guestMode})`, c.userSensitive),
    row('timing-dependent', c.timingDependent),
    ...(c.breaksMonitor ? [row('breaks the trap-and-emulate monitor', c.breaksMonitor)] : []),
    ...(c.breaksHybrid ? [row('breaks the hybrid monitor', c.breaksHybrid)] : []),
  ];
}

/** The witnesses of an instruction's verdicts, each once, numbered in order of first use. */
function witnessesOf(c: InstructionClassification): { evidence: Extract<Evidence, { k: 'witness' }>; names: string[] }[] {
  const out: { evidence: Extract<Evidence, { k: 'witness' }>; names: string[]; id: string }[] = [];
  const verdicts: [string, Evidence][] = [
    ['privileged', c.privileged.evidence],
    ['control-sensitive', c.controlSensitive.evidence],
    ['mode-sensitive', c.modeSensitive.evidence],
    ['location-sensitive', c.locationSensitive.evidence],
    ['user-sensitive', c.userSensitive.evidence],
    ['timing-dependent', c.timingDependent.evidence],
    ...(c.breaksMonitor ? [['breaks the monitor', c.breaksMonitor.evidence] as [string, Evidence]] : []),
    ...(c.breaksHybrid ? [['breaks the hybrid monitor', c.breaksHybrid.evidence] as [string, Evidence]] : []),
  ];
  for (const [name, e] of verdicts) {
    if (e.k !== 'witness') continue;
    const id = JSON.stringify(e.witness);
    const seen = out.find((x) => x.id === id);
    if (seen) seen.names.push(name);
    else out.push({ evidence: e, names: [name], id });
  }
  return out;
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

/** Which instructions read or write each state element, and which may raise each trap: the
 *  cross-references of the document. From the semantics alone (no solver). */
function usage(isa: Isa): {
  state: Map<string, Set<string>>;
  traps: Map<string, Set<string>>;
  effects: Map<string, { reads: string[]; writes: string[]; traps: string[] }>;
} {
  const state = new Map<string, Set<string>>();
  const traps = new Map<string, Set<string>>();
  const effects = new Map<string, { reads: string[]; writes: string[]; traps: string[] }>();
  const add = (m: Map<string, Set<string>>, k: string, v: string) => {
    if (!m.has(k)) m.set(k, new Set());
    m.get(k)!.add(v);
  };
  for (const i of isa.instructions) {
    let e;
    try {
      e = instructionEffects(isa, i).effects;
    } catch {
      // A spec the effects pass cannot read still gets its document, without cross-references.
      continue;
    }
    const trapNames = [...new Set(e.traps.map((t) => t.trap))];
    effects.set(i.mnemonic, { reads: e.reads, writes: e.writes, traps: trapNames });
    for (const el of [...e.reads, ...e.writes]) {
      const at = stateAnchor(isa, el);
      if (at) add(state, at, i.mnemonic);
    }
    for (const t of trapNames) add(traps, t, i.mnemonic);
  }
  return { state, traps, effects };
}

/** The document's blocks. `analysis` may be absent (then classifications are left out). */
export function buildDoc(isa: Isa, analysis?: IsaAnalysis): Block[] {
  const B: Block[] = [];
  const byMnemonic = new Map((analysis?.instructions ?? []).map((c) => [c.mnemonic, c]));
  const model = new StateModel(isa);
  const used = usage(isa);
  const instrLinks = (names: Iterable<string>): Inline[] => links([...names].map((m) => ({ text: m, to: anchor('instr', m) })));
  const trapAnchor = (t: string) => (isa.traps.some((x) => x.name === t) ? anchor('trap', t) : undefined);

  B.push({ k: 'h', level: 1, text: `${isa.name} — instruction set reference` });
  B.push(...docParagraphs(isa.doc));
  B.push({
    k: 'p',
    parts: [
      'Source ',
      { code: isa.source },
      isa.extends.length ? `, extending ${isa.extends.join(', ')}` : '',
      `; ${isa.endian}-endian; ${isa.instructions.length} instructions; fetch from `,
      { code: isa.fetch.space },
      ' at ',
      { code: isa.fetch.pc },
      ...(isa.console ? ['; console: the byte stored at ', { code: `${isa.console.space}[0x${isa.console.address.toString(16)}]` }] : []),
      '.',
    ],
  });

  // Verdicts first: the question the reader came with.
  B.push({ k: 'h', level: 2, text: 'Verdicts', id: 'verdicts' });
  if (analysis) {
    const theoremOf: Record<string, IsaAnalysis['theorem1'] | undefined> = {
      T1: analysis.theorem1,
      T2: analysis.theorem2,
      T3: analysis.theorem3,
      M: analysis.trapAndEmulate,
      H: analysis.hybridMonitor,
    };
    const rows: Cell[][] = verdictLines(analysis).map((v) => {
      const t = theoremOf[v.label]!;
      const why: Inline[] = t.offenders.length
        ? ['offenders: ', ...instrLinks(t.offenders.map((o) => o.mnemonic))]
        : t.undecided.length
          ? ['undecided: ', ...instrLinks(t.undecided)]
          : [t.statement];
      if (v.note) why.push(` — ${v.note}`);
      return [v.title, { strong: v.word }, why];
    });
    B.push({ k: 'table', head: ['question', 'verdict', 'why'], rows });
  } else {
    B.push({ k: 'p', parts: ['Not analysed.'] });
  }

  B.push({ k: 'h', level: 2, text: 'State', id: 'state' });
  B.push({
    k: 'p',
    parts: [
      'Roles: ',
      { strong: 'mode' },
      ' state decides the processor mode; ',
      { strong: 'control' },
      " state defines the virtual machine's resources and is owned by the monitor; ",
      { strong: 'plain' },
      " state is the guest's own.",
    ],
  });
  const stateRows: Cell[][] = [];
  const stateIds: string[] = [];
  const usedBy = (id: string): Cell => {
    const xs = used.state.get(id);
    return xs && xs.size ? instrLinks(xs) : '';
  };
  const push = (id: string, row: Cell[]) => {
    stateIds.push(id);
    stateRows.push([...row, usedBy(id)]);
  };
  for (const r of isa.registers) {
    push(anchor('state', r.name), [
      { code: r.name },
      `register${r.readonly ? ' (read-only)' : ''}${r.clock ? ', clock' : ''}`,
      bits(r.width),
      { strong: r.role },
      oneLine(r.doc),
    ]);
    for (const f of r.fields)
      push(anchor('state', `${r.name}.${f.name}`), [
        { code: `${r.name}.${f.name}` },
        `field ${f.hi === f.lo ? f.hi : `${f.hi}..${f.lo}`}`,
        bits(f.hi - f.lo + 1),
        { strong: f.role },
        oneLine(f.doc),
      ]);
  }
  for (const f of isa.files)
    push(anchor('state', f.name), [
      { code: `${f.name}[${f.count}]` },
      `register file${f.readonly ? ' (read-only)' : ''}${f.names.length ? `: ${f.names.join(', ')}` : ''}`,
      `${bits(f.width)} each`,
      { strong: f.role },
      oneLine(f.doc),
    ]);
  for (const m of isa.memories)
    push(anchor('state', m.name), [{ code: `${m.name}[${m.size}]` }, 'memory', `${m.wordWidth}-bit words`, { strong: m.role }, oneLine(m.doc)]);
  for (const v of isa.views)
    push(anchor('state', v.name), [
      { code: v.name },
      [`view of `, { link: v.memory, to: anchor('state', v.memory) }, ' via ', { code: v.translation }],
      '',
      { strong: 'plain' },
      oneLine(v.doc),
    ]);
  B.push({ k: 'table', id: 'state-table', head: ['name', 'kind', 'width', 'role', 'description', 'used by'], rows: stateRows, rowIds: stateIds });

  if (isa.translations.length) {
    B.push({ k: 'h', level: 3, text: 'Translations' });
    for (const t of isa.translations) {
      B.push({ k: 'p', parts: [{ code: `translate ${t.name}(${t.param.name} : ${t.param.width}) : ${t.resultWidth}` }, t.doc ? ` — ${oneLine(t.doc)}` : ''] });
      B.push({ k: 'pre', text: `${stmtsText(t.body)}\nreturn ${printExpr(t.result)};` });
    }
  }
  if (isa.functions.length) {
    B.push({ k: 'h', level: 3, text: 'Functions' });
    for (const f of isa.functions) {
      B.push({
        k: 'p',
        parts: [
          { code: `function ${f.name}(${f.params.map((p) => `${p.name} : ${p.width}`).join(', ')}) : ${f.resultWidth}` },
          f.doc ? ` — ${oneLine(f.doc)}` : '',
        ],
      });
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
      oneLine(m.doc),
    ]),
    rowIds: isa.modes.map((m) => anchor('mode', m.name)),
  });
  if (isa.assumptions.length) {
    B.push({ k: 'p', parts: ['A monitor keeps these invariants while a guest runs:'] });
    B.push({ k: 'list', items: isa.assumptions.map((a) => [{ code: a.name }, ': ', { code: printExpr(a.holds) }, a.doc ? ` — ${oneLine(a.doc)}` : '']) });
  }

  B.push({ k: 'h', level: 2, text: 'Traps', id: 'traps' });
  B.push({
    k: 'table',
    id: 'trap-table',
    head: ['trap', 'kind', 'vector', 'description', 'raised by'],
    rowIds: isa.traps.map((t) => anchor('trap', t.name)),
    rows: isa.traps.map((t) => {
      const by = used.traps.get(t.name);
      return [
        { code: t.name },
        t.kind + (t.timer ? ` (every ${t.timer.period} instructions when ${printExpr(t.timer.when)})` : ''),
        String(t.vector),
        oneLine(t.doc),
        by && by.size ? instrLinks(by) : '',
      ];
    }),
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
      { link: i.mnemonic, to: anchor('instr', i.mnemonic) },
      { code: syntaxText(i) },
      { code: encodingText(i.encoding) },
      classificationWord(byMnemonic.get(i.mnemonic)),
      summaryOf(i.doc),
    ]),
  });

  if (isa.pseudos?.length) {
    B.push({ k: 'h', level: 3, text: 'Pseudo-instructions', id: 'pseudo-instructions' });
    B.push({ k: 'p', parts: ["Assembly forms that stand for instructions (the assembler's only): the first expansion whose condition holds is assembled."] });
    B.push({
      k: 'table',
      id: 'pseudo-table',
      head: ['pseudo-instruction', 'syntax', 'expands to', 'summary'],
      rowIds: isa.pseudos.map((p) => anchor('pseudo', p.mnemonic)),
      rows: isa.pseudos.map((p) => [
        { code: p.mnemonic },
        { code: syntaxText(p) },
        p.expansions.flatMap((e, n): Inline[] => [
          n ? '; ' : '',
          e.when ? { code: `when ${printExpr(e.when)}` } : n ? 'otherwise' : '',
          e.when || n ? ': ' : '',
          ...e.instructions.flatMap((x, m): Inline[] => [
            m ? ', ' : '',
            { link: x.mnemonic, to: anchor('instr', x.mnemonic) },
            { code: `(${x.operands.map((o) => printExpr(o)).join(', ')})` },
          ]),
        ]),
        summaryOf(p.doc),
      ]),
    });
  }

  for (const i of isa.instructions) {
    B.push({ k: 'h', level: 3, text: i.mnemonic, id: anchor('instr', i.mnemonic) });
    B.push(...docParagraphs(i.doc));
    B.push({
      k: 'p',
      parts: [
        'Syntax ',
        { code: syntaxText(i) },
        i.operands.length ? '; operands ' : '',
        ...i.operands.flatMap((o, n) => [n ? ', ' : '', { code: operandText(o) }]),
      ],
    });
    B.push({ k: 'bitfield', fields: bitFields(i.encoding), width: i.encoding.width });
    B.push({ k: 'pre', text: stmtsText(i.semantics) });
    const fx = used.effects.get(i.mnemonic);
    if (fx) {
      const uniq = (xs: string[]) => [...new Set(xs.map((x) => x.replace(/\[.*$/, '')))];
      const parts: Inline[] = [];
      if (fx.reads.length) parts.push('Reads ', ...links(uniq(fx.reads).map((x) => ({ text: x, to: stateAnchor(isa, x) }))), '. ');
      if (fx.writes.length) parts.push('Writes ', ...links(uniq(fx.writes).map((x) => ({ text: x, to: stateAnchor(isa, x) }))), '. ');
      if (fx.traps.length) parts.push('May raise ', ...links(fx.traps.map((t) => ({ text: t, to: trapAnchor(t) }))), '.');
      if (parts.length) B.push({ k: 'p', parts });
    }
    if (i.claims.length) B.push({ k: 'p', parts: ['The author claims: ', i.claims.map((c) => (c.negated ? 'not ' : '') + c.claim).join(', '), '.'] });
    const c = byMnemonic.get(i.mnemonic);
    if (c) {
      B.push({ k: 'p', parts: [{ strong: 'Derived:' }, ' ', { rich: reasonRich(c, model, analysis!.guestMode) }] });
      const split = splitRich(c);
      if (split) B.push({ k: 'p', parts: [{ strong: 'Instances:' }, ' ', { rich: split }] });
      const ws = witnessesOf(c);
      const witnessNo = (e: Evidence) => {
        const n = ws.findIndex((w) => w.evidence === e || JSON.stringify(w.evidence.witness) === (e.k === 'witness' ? JSON.stringify(e.witness) : ''));
        return n < 0 ? undefined : n + 1;
      };
      B.push({ k: 'table', head: ['verdict', 'value', 'evidence'], rows: verdictRows(c, analysis!.guestMode, witnessNo) });
      for (const [n, w] of ws.entries()) {
        const monitor = w.names.every((x) => x.startsWith('breaks'));
        const t = witnessTable(witnessView(w.evidence.witness, model, monitor ? MONITOR_COLUMNS : undefined));
        B.push({ k: 'p', parts: [{ strong: `Witness ${n + 1}` }, ` (${w.names.join(', ')}): ${t.note}.`] });
        if (t.rows.length) B.push({ k: 'table', className: 'witness', head: t.head, rows: t.rows.map((r) => r.cells.map((cell) => ({ rich: cell }))) });
      }
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
  if ('link' in x) return `[${mdText(x.link)}](#${x.to})`;
  if ('rich' in x) return richMarkdown(x.rich, inTable);
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
        out.push(
          ...mdTable(
            b.head.map(mdText),
            b.rows.map((r) => r.map((c) => mdCell(c, true))),
          ),
          '',
        );
        break;
      case 'bitfield':
        // GFM has no column spans: the field names head the columns, their bit ranges below.
        out.push(
          ...mdTable(
            b.fields.map((f) => (f.operand ? `**${mdText(f.name)}**` : mdInline({ code: f.name }, true))),
            [b.fields.map((f) => f.bits)],
          ),
          '',
        );
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
  if ('link' in x) return `<a href="#${htmlEscape(x.to)}">${htmlEscape(x.link)}</a>`;
  if ('rich' in x) return richHtml(x.rich);
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
code{background:#f5f5f5;padding:0 .2em;border-radius:3px}pre code{padding:0;background:none}pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.6rem;overflow-x:auto}
nav a{margin-right:1rem}
a{color:#0b57d0}a:target,tr:target{background:#fff3bf}
table.bitfield{table-layout:fixed;text-align:center}table.bitfield td{text-align:center;padding:.2rem 0}
table.bitfield caption{caption-side:top;text-align:left;font-size:.85em;color:#666}
table.bitfield tr.names td.operand{background:#e8f0fe}table.bitfield tr.names td.fixed{background:#f3f3f3}
table.bitfield tr.bits td{font:12px ui-monospace,Menlo,Consolas,monospace;color:#555}
strong.key code{background:#ffe08a;color:#000;font-weight:700}
@media (prefers-color-scheme:dark){body{background:#1e1e1e;color:#ddd}th{background:#2a2a2a}code,pre{background:#2a2a2a}th,td{border-color:#444}a{color:#8ab4f8}table.bitfield tr.names td.operand{background:#1f3a5f}table.bitfield tr.names td.fixed{background:#2a2a2a}a:target,tr:target{background:#5c4b00}}
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
        const rows = b.rows.map(
          (r, i) => `<tr${b.rowIds?.[i] ? ` id="${htmlEscape(b.rowIds[i]!)}"` : ''}>${r.map((c) => `<td>${htmlCell(c)}</td>`).join('')}</tr>`,
        );
        const attrs = `${b.id ? ` id="${htmlEscape(b.id)}"` : ''}${b.className ? ` class="${htmlEscape(b.className)}"` : ''}`;
        body.push(`<table${attrs}><thead><tr>${b.head.map((h) => `<th>${htmlEscape(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`);
        break;
      }
      case 'bitfield': {
        // One column per bit, so each field's cell is as wide as its bits: the datasheet picture.
        const cells = (f: (x: BitField) => string, cls: (x: BitField) => string) =>
          b.fields.map((x) => `<td colspan="${x.width}" class="${cls(x)}">${f(x)}</td>`).join('');
        const pct = Math.min(100, Math.max(12, b.width * 3));
        body.push(
          `<table class="bitfield" style="width:${pct}%"><caption>encoding, ${b.width} bits</caption><colgroup>${'<col>'.repeat(b.width)}</colgroup><tbody>` +
            `<tr class="names">${cells(
              (x) => (x.operand ? `<strong>${htmlEscape(x.name)}</strong>` : `<code>${htmlEscape(x.name)}</code>`),
              (x) => (x.operand ? 'operand' : 'fixed'),
            )}</tr>` +
            `<tr class="bits">${cells(
              (x) => htmlEscape(x.bits),
              () => 'range',
            )}</tr></tbody></table>`,
        );
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
