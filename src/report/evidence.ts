// Evidence as data, rendered in one place per format. Every report that shows why a verdict holds
// (check's text and Markdown, the reference document, explain, the language server's hover) asks
// this module for the same model — the one-line reason of an offender, a witness reduced to what
// differs — and renders it with one of the functions at the end (text, Markdown, HTML, doc inlines).
// Nothing here parses the analysis' prose: the model is computed from the witness' values.

import type { Evidence, InstructionClassification, IsaAnalysis, PrivilegeVerdict, TheoremVerdict, Verdict, Witness } from '../analysis/index.js';
import type { Isa, Role } from '../ir/index.js';
import { isaIndex } from '../ir/index.js';

// ---- rich text: the one model every format renders ----

/** A run of text and what it is: plain words, a name from the spec (element, operand, mode), a
 *  value, or a key value — one of the one or two values that make the difference (highlighted). */
export type Seg = { t: 'text'; s: string } | { t: 'name'; s: string } | { t: 'value'; s: string } | { t: 'key'; s: string };
export type Rich = Seg[];

export const text = (s: string): Seg => ({ t: 'text', s });
export const name = (s: string): Seg => ({ t: 'name', s });
export const value = (s: string): Seg => ({ t: 'value', s });
export const key = (s: string): Seg => ({ t: 'key', s });

/** The plain words of a rich text (no markup): for wrapping, for plain outputs, for tests. */
export function plain(r: Rich): string {
  return r.map((x) => x.s).join('');
}

/** "a, b and c" as rich text. */
function listOf(items: Rich[], and = 'and'): Rich {
  const out: Rich = [];
  items.forEach((it, i) => {
    if (i > 0) out.push(text(i === items.length - 1 ? ` ${and} ` : ', '));
    out.push(...it);
  });
  return out;
}

// ---- what the spec says about each state element: width, fields, role ----

interface ElementInfo {
  width: number;
  role: Role;
  fields: { name: string; hi: number; lo: number; role: Role }[];
  /** For a register file: the assembly names of its registers. */
  names?: string[];
}

/** The state elements of a spec by name, so values print in their natural width. Without a spec
 *  (a report read back from JSON) every value prints as the analysis gave it. */
export class StateModel {
  private readonly elements = new Map<string, ElementInfo>();
  private readonly fieldInfo = new Map<string, { parent: string; hi: number; lo: number; role: Role }>();

  constructor(readonly isa?: Isa) {
    if (!isa) return;
    for (const r of isa.registers) {
      this.elements.set(r.name, { width: r.width, role: r.role, fields: r.fields.map((f) => ({ name: f.name, hi: f.hi, lo: f.lo, role: f.role })) });
      for (const f of r.fields) this.fieldInfo.set(`${r.name}.${f.name}`, { parent: r.name, hi: f.hi, lo: f.lo, role: f.role });
    }
    for (const f of isa.files) this.elements.set(f.name, { width: f.width, role: f.role, fields: [], names: f.names });
    for (const m of isa.memories) this.elements.set(m.name, { width: m.wordWidth, role: m.role, fields: [] });
    for (const v of isa.views) {
      const m = isaIndex(isa).memories.get(v.memory);
      this.elements.set(v.name, { width: m?.wordWidth ?? 8, role: 'plain', fields: [] });
    }
  }

  /** "gpr[3]" -> gpr, "EFLAGS.IF" -> its field, "SSV[0x10]" -> SSV. */
  private base(element: string): string {
    const i = element.search(/[[.]/);
    return i < 0 ? element : element.slice(0, i);
  }

  width(element: string): number | undefined {
    const f = this.fieldInfo.get(element);
    if (f) return f.hi - f.lo + 1;
    return this.elements.get(this.base(element))?.width;
  }

  role(element: string): Role | undefined {
    return this.fieldInfo.get(element)?.role ?? this.elements.get(this.base(element))?.role;
  }

  /** A field's value taken from its register's value, when the state holds the register. */
  fieldFrom(element: string, values: Record<string, string>): bigint | undefined {
    const direct = values[element];
    if (direct !== undefined) return parseHex(direct);
    const f = this.fieldInfo.get(element);
    if (!f) return undefined;
    const whole = values[f.parent];
    if (whole === undefined) return undefined;
    return (parseHex(whole) >> BigInt(f.lo)) & ((1n << BigInt(f.hi - f.lo + 1)) - 1n);
  }

  /** The fields of a register whose values differ between a and b, when they account for every
   *  differing bit (then "EFLAGS.IOPL 0 vs 3" says more than "EFLAGS 0x0 vs 0x3000"). */
  differingFields(element: string, a: bigint, b: bigint): string[] | undefined {
    const info = this.elements.get(element);
    if (!info || info.fields.length === 0 || element !== this.base(element)) return undefined;
    let covered = 0n;
    const out: string[] = [];
    for (const f of info.fields) {
      const mask = ((1n << BigInt(f.hi - f.lo + 1)) - 1n) << BigInt(f.lo);
      if ((a & mask) !== (b & mask)) {
        out.push(`${element}.${f.name}`);
        covered |= mask;
      }
    }
    return ((a ^ b) & ~covered) === 0n ? out : undefined;
  }

  /** The assembly name of register `index` of the file an operand indexes ("eax"), if it has one. */
  registerName(file: string | undefined, index: bigint): string | undefined {
    if (!file) return undefined;
    const names = this.elements.get(file)?.names;
    if (!names || names.length === 0) return `${file}[${index}]`;
    return names[Number(index % BigInt(names.length))];
  }
}

/** A witness value is a number (hex or decimal); the analysis may also report how a run ended
 *  under a pseudo-element ("outcome": "completes"), which the endings already say. */
export function isNumber(s: string | undefined): s is string {
  return s !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(s.trim());
}

export function parseHex(s: string): bigint {
  try {
    return BigInt(s);
  } catch {
    return 0n;
  }
}

/** A number in its element's natural width and base: one bit as 0/1, a small field (≤ 3 bits: a
 *  ring, a privilege level) in decimal, anything wider in hex with as many digits as the width. */
export function formatNumber(v: bigint, width: number | undefined): string {
  if (width === undefined) return `0x${v.toString(16)}`;
  if (width <= 3) return v.toString(10);
  return `0x${v.toString(16).padStart(Math.ceil(width / 4), '0')}`;
}

export function formatElementValue(model: StateModel, element: string, hex: string): string {
  return formatNumber(parseHex(hex), model.width(element));
}

// ---- a witness reduced to what differs ----

export interface WitnessRow {
  element: string;
  /** One cell per column; undefined where the witness does not say. */
  cells: (string | undefined)[];
  /** Per cell: is it one of the values that make the difference (highlight)? */
  keys: boolean[];
}

export interface WitnessView {
  /** The instance: operand name, value, and the register it names for a register operand. */
  operands: { name: string; value: string; register?: string }[];
  /** Column titles: "ring3" and "ring2" (two states), or "before" and "after" (one state). */
  columns: string[];
  /** The mode of each run. */
  modes: string[];
  /** The inputs that differ between the two states (empty for a one-state witness). */
  inputs: WitnessRow[];
  /** What differs in the outcome: results per run (two states) or before/after (one state). */
  results: WitnessRow[];
  /** How each run ends, in words: "no trap", "traps privileged_trap", "halts". */
  endings: string[];
  /** Elements the witness fixes that are equal in every state and not among the results. */
  othersEqual: number;
  /** Elements that differ (or are fixed in one state only) but the instruction does not read. */
  othersUnread?: number;
  replayed: boolean;
}

function ending(o: Witness['outcomes'][number] | undefined): string {
  if (!o) return '';
  if (o.kind === 'trap') return `traps ${o.trap ?? ''}`.trim();
  if (o.kind === 'halt') return 'halts';
  return 'no trap';
}

/** Registers and fields first (in the witness' order), then memory words by address: a student
 *  reads "gpr[4], then the stack bytes upwards". */
function sortElements(els: string[]): string[] {
  const address = (el: string) => {
    const m = /^(\w+)\[(0x[0-9a-f]+|\d+)\]$/i.exec(el);
    return m ? { space: m[1]!, at: BigInt(m[2]!) } : undefined;
  };
  const regs = els.filter((e) => !address(e) || /^\w+\[\d+\]$/.test(e));
  const mem = els.filter((e) => !regs.includes(e));
  mem.sort((a, b) => {
    const x = address(a)!;
    const y = address(b)!;
    return x.space !== y.space ? (x.space < y.space ? -1 : 1) : x.at < y.at ? -1 : x.at > y.at ? 1 : 0;
  });
  return [...regs, ...mem];
}

/** At most this many rows of inputs and of results; the rest are counted ("and 18 more"). A
 *  witness that rewrites a whole stack frame is still read from its first few words. */
export const MAX_ROWS = 6;

/** The witness as rows a student can follow. `columns` names the two runs when the caller knows
 *  better (the monitor pair: "virtual", "real"). */
export function witnessView(w: Witness, model: StateModel, columns?: string[]): WitnessView {
  const fmt = (el: string, hex: string | undefined) => (hex === undefined ? undefined : isNumber(hex) ? formatElementValue(model, el, hex) : hex);
  const instrOperands = model.isa?.instructions.flatMap((i) => i.operands) ?? [];
  const operands = Object.entries(w.operands).map(([n, hex]) => {
    const decl = instrOperands.find((o) => o.name === n);
    const v = parseHex(hex);
    const reg = decl?.kind === 'reg' ? model.registerName(decl.file, v) : undefined;
    return { name: n, value: decl && decl.kind !== 'reg' ? formatNumber(v, decl.width) : v.toString(10), ...(reg ? { register: reg } : {}) };
  });
  const modes = w.states.map((s) => s.mode);
  // Only state elements: a non-numeric "result" is how the run ended, shown as its ending.
  const resultEls = [
    ...new Set(
      w.outcomes.flatMap((o) =>
        Object.entries(o.values)
          .filter(([, v]) => isNumber(v))
          .map(([k]) => k),
      ),
    ),
  ];
  const endings = w.outcomes.map(ending);

  if (w.states.length >= 2) {
    const [a, b] = w.states as [Witness['states'][0], Witness['states'][0]];
    const inputs: WitnessRow[] = [];
    const keys = new Set([...Object.keys(a.values), ...Object.keys(b.values)]);
    // What the instruction reads (the analysis' `relevant`, when it gives it): a difference
    // elsewhere (storage outside what the guest sees, fixed in one state only) does not matter.
    const rel = (w as Witness & { relevant?: string[] }).relevant;
    const matters = (el: string) => !rel || rel.includes(el) || rel.includes(el.replace(/[[.].*$/, ''));
    let equal = 0;
    let unread = 0;
    for (const el of keys) {
      const va = a.values[el];
      const vb = b.values[el];
      if (va !== undefined && vb !== undefined && parseHex(va) === parseHex(vb)) {
        if (!resultEls.includes(el)) equal++;
        continue;
      }
      if (va === undefined || vb === undefined || !matters(el)) {
        if (!resultEls.includes(el)) unread++;
        continue;
      }
      const fields = va !== undefined && vb !== undefined ? model.differingFields(el, parseHex(va), parseHex(vb)) : undefined;
      if (fields && fields.length > 0) {
        for (const f of fields) {
          const fa = model.fieldFrom(f, a.values)!;
          const fb = model.fieldFrom(f, b.values)!;
          inputs.push({ element: f, cells: [formatNumber(fa, model.width(f)), formatNumber(fb, model.width(f))], keys: [false, false] });
        }
      } else {
        inputs.push({ element: el, cells: [fmt(el, va), fmt(el, vb)], keys: [false, false] });
      }
    }
    const results: WitnessRow[] = sortElements(resultEls).map((el) => {
      const cells = w.outcomes.slice(0, 2).map((o) => fmt(el, o.values[el]));
      const differ = cells[0] !== cells[1];
      return { element: el, cells, keys: cells.map(() => differ) };
    });
    const cols = columns ?? (modes[0] !== modes[1] ? [`mode ${modes[0]}`, `mode ${modes[1]}`] : ['state A', 'state B']);
    return { operands, columns: cols, modes, inputs, results, endings, othersEqual: equal, othersUnread: unread, replayed: w.replayed };
  }

  // One state: what the run changes, before and after; and, when the analysis says which
  // elements matter (`relevant`: what the instance reads), those values going in.
  const s = w.states[0] ?? { mode: '', values: {} };
  const o = w.outcomes[0];
  const results: WitnessRow[] = sortElements(resultEls).map((el) => {
    const before = model.fieldFrom(el, s.values);
    const after = o?.values[el];
    return { element: el, cells: [before === undefined ? undefined : formatNumber(before, model.width(el)), fmt(el, after)], keys: [false, true] };
  });
  const relevant = (w as Witness & { relevant?: string[] }).relevant ?? [];
  const inputs: WitnessRow[] = sortElements(relevant.filter((el) => !resultEls.includes(el) && model.fieldFrom(el, s.values) !== undefined)).map((el) => ({
    element: el,
    cells: [formatNumber(model.fieldFrom(el, s.values)!, model.width(el))],
    keys: [false],
  }));
  const fixed = Object.keys(s.values).filter((el) => !resultEls.includes(el) && !relevant.includes(el)).length;
  return { operands, columns: columns ?? ['before', 'after'], modes, inputs, results, endings, othersEqual: fixed, replayed: w.replayed };
}

// ---- witness in lines (text, explain, hover) and as tables (Markdown, HTML) ----

/** The operands of the instance, by name: "rd = 0 (eax), imm = 0x0010". */
export function operandsRich(v: WitnessView): Rich {
  return listOf(
    v.operands.map((o) => [name(o.name), text(' = '), value(o.value), ...(o.register ? [text(' ('), name(o.register), text(')')] : [])]),
    'and',
  );
}

/** A witness as short lines: the instance, what differs going in, what differs coming out (the key
 *  values highlighted), how each run ends, and one line for everything else. */
export function witnessLines(v: WitnessView): Rich[] {
  const out: Rich[] = [];
  if (v.operands.length) out.push([text('instance: '), ...operandsRich(v)]);
  const two = v.columns.length === 2 && v.inputs.length + v.results.length > 0 && v.modes.length >= 2;
  if (two) {
    const [c0, c1] = v.columns as [string, string];
    for (const r of v.inputs.slice(0, MAX_ROWS))
      out.push([text('given '), name(r.element), text(' '), value(r.cells[0] ?? '?'), text(` (${c0}) vs `), value(r.cells[1] ?? '?'), text(` (${c1})`)]);
    if (v.inputs.length > MAX_ROWS) out.push([text(`and ${v.inputs.length - MAX_ROWS} more elements differ going in`)]);
    for (const r of v.results.slice(0, MAX_ROWS)) {
      const mk = (i: number) => (r.keys[i] ? key(r.cells[i] ?? '?') : value(r.cells[i] ?? '?'));
      out.push([text('result '), name(r.element), text(' '), mk(0), text(` (${c0}) vs `), mk(1), text(` (${c1})`)]);
    }
    if (v.results.length > MAX_ROWS) out.push([text(`and ${v.results.length - MAX_ROWS} more results differ`)]);
    out.push([text(`ends: ${v.endings[0] ?? '?'} (${c0}), ${v.endings[1] ?? '?'} (${c1})`)]);
  } else {
    if (v.inputs.length) {
      const shown = v.inputs.slice(0, MAX_ROWS).map((r) => [name(r.element), text(' = '), value(r.cells[0] ?? '?')]);
      out.push([text('given '), ...listOf(shown), text(v.inputs.length > MAX_ROWS ? ` and ${v.inputs.length - MAX_ROWS} more` : '')]);
    }
    if (v.modes[0])
      out.push([
        text('in a '),
        name(v.modes[0]),
        text(`-mode state it ${v.endings[0] === 'no trap' ? 'does not trap' : v.endings[0] === 'halts' ? 'halts the machine' : v.endings[0] || 'runs'}`),
      ]);
    for (const r of v.results.slice(0, MAX_ROWS)) {
      out.push([text('changes '), name(r.element), text(' '), value(r.cells[0] ?? '?'), text(' → '), key(r.cells[1] ?? '?')]);
    }
    if (v.results.length > MAX_ROWS) out.push([text(`and ${v.results.length - MAX_ROWS} more elements change`)]);
  }
  if (v.othersEqual > 0)
    out.push([
      text(two ? `all other state equal (${v.othersEqual} more elements)${unreadWords(v)}` : `all other state as given (${v.othersEqual} more elements)`),
    ]);
  else if (two && v.othersUnread) out.push([text(`nothing else the instruction reads differs${unreadWords(v)}`)]);
  if (!v.replayed) out.push([key('NOT confirmed by replay on the reference interpreter (a bug; please report it)')]);
  return out;
}

function unreadWords(v: WitnessView): string {
  return v.othersUnread ? `, apart from ${v.othersUnread} element${v.othersUnread === 1 ? '' : 's'} it does not read` : '';
}

/** A witness as one table: element | run 1 | run 2 (inputs, then results). */
export function witnessTable(v: WitnessView): { head: string[]; rows: { cells: Rich[] }[]; note: string } {
  const head = ['element', ...v.columns];
  const rows: { cells: Rich[] }[] = [];
  const two = v.modes.length >= 2;
  // A one-state witness's inputs have a value before and none after (they do not change).
  for (const r of v.inputs.slice(0, MAX_ROWS))
    rows.push({ cells: [[name(r.element)], ...v.columns.map((_, i) => (r.cells[i] === undefined ? [] : [value(r.cells[i]!)]))] });
  if (v.inputs.length > MAX_ROWS) rows.push({ cells: [[text(`${v.inputs.length - MAX_ROWS} more differ`)], ...v.columns.map(() => [])] });
  for (const r of v.results.slice(0, MAX_ROWS)) {
    rows.push({ cells: [[name(r.element), text(two ? ' (result)' : '')], ...r.cells.map((c, i) => (c === undefined ? [] : [r.keys[i] ? key(c) : value(c)]))] });
  }
  if (v.results.length > MAX_ROWS) rows.push({ cells: [[text(`${v.results.length - MAX_ROWS} more results`)], ...v.columns.map(() => [])] });
  if (two) rows.push({ cells: [[text('ends')], ...v.endings.slice(0, 2).map((e) => [text(e)])] });
  const note = [
    v.operands.length ? `instance: ${plain(operandsRich(v))}` : '',
    two
      ? `all other state equal${v.othersEqual ? ` (${v.othersEqual} more elements)` : ''}${unreadWords(v)}`
      : `in a ${v.modes[0] ?? '?'}-mode state; ${v.endings[0] ?? ''}${v.othersEqual ? `; ${v.othersEqual} more elements as given` : ''}`,
    v.replayed ? 'replayed on the reference interpreter' : 'NOT confirmed by replay',
  ]
    .filter(Boolean)
    .join('; ');
  return { head, rows, note };
}

// ---- the one-line reason of an offender, in words ----

const names = (els: string[], max = 3): Rich => {
  const shown = els.slice(0, max).map((e) => [name(e)]);
  if (els.length > max) shown.push([text(`${els.length - max} more`)]);
  return listOf(shown);
};

function witnessOf(v: Verdict | PrivilegeVerdict): Witness | undefined {
  return v.evidence.k === 'witness' ? v.evidence.witness : undefined;
}

/** Mode-sensitive: "in ring3 EFLAGS.IF stays 1 (in ring2 it becomes 0)". */
function modePhrase(w: Witness, model: StateModel, guest: string | undefined): Rich | undefined {
  const v = witnessView(w, model);
  const r = v.results.find((x) => x.keys[0]) ?? v.results[0];
  if (v.modes.length < 2) return undefined;
  const [ma, mb] = v.modes as [string, string];
  if (!r) {
    // The runs differ only in how they end: one traps, the other completes.
    if (v.endings[0] === v.endings[1]) return undefined;
    const word = (e: string | undefined) => (e === 'no trap' ? 'completes' : e === 'halts' ? 'halts the machine' : (e ?? '?'));
    return [text('in '), name(ma), text(` it ${word(v.endings[0])}, in `), name(mb), text(` it ${word(v.endings[1])}`)];
  }
  const before = w.states.map((s) => model.fieldFrom(r.element, s.values));
  const unchanged = (i: number) => before[i] !== undefined && r.cells[i] !== undefined && formatNumber(before[i]!, model.width(r.element)) === r.cells[i];
  // Tell it from the side of the guest mode when that is one of the two, else of the less
  // privileged one (the spec lists modes from the most privileged down).
  const order = model.isa?.modes.map((m) => m.name) ?? [];
  const bLess = guest === mb || (guest !== ma && order.indexOf(mb) > order.indexOf(ma));
  const [i, j] = bLess ? [1, 0] : [0, 1];
  const mi = i === 0 ? ma : mb;
  const mj = j === 0 ? ma : mb;
  // "Stays" states what the witness shows (before = after) without guessing why (a dropped write,
  // or a value that happened to be there already).
  if (unchanged(i) && !unchanged(j)) {
    return [
      text('in '),
      name(mi),
      text(' '),
      name(r.element),
      text(' stays '),
      key(r.cells[i] ?? '?'),
      text(' (in '),
      name(mj),
      text(' it becomes '),
      key(r.cells[j] ?? '?'),
      text(')'),
    ];
  }
  if (unchanged(j) && !unchanged(i)) {
    return [
      text('in '),
      name(mi),
      text(' '),
      name(r.element),
      text(' becomes '),
      key(r.cells[i] ?? '?'),
      text(' (in '),
      name(mj),
      text(' it stays '),
      key(r.cells[j] ?? '?'),
      text(')'),
    ];
  }
  return [name(r.element), text(' is '), key(r.cells[i] ?? '?'), text(' in '), name(mi), text(' but '), key(r.cells[j] ?? '?'), text(' in '), name(mj)];
}

/** Location-sensitive: "in ring3 gpr[0] depends on CR0, which is control state". */
function locationPhrase(w: Witness, model: StateModel): Rich | undefined {
  const v = witnessView(w, model);
  const results = v.results.filter((x) => x.keys[0]).map((x) => x.element);
  // Name the control-state causes (every cause when the spec is not at hand).
  const causes = v.inputs.map((x) => x.element).filter((el) => model.role(el) === undefined || model.role(el) === 'control');
  if (results.length === 0) {
    // The two runs differ only in how they end: whether it traps is what the owned state decides.
    const trapping = v.endings.find((e) => e.startsWith('traps'));
    if (!trapping || v.endings[0] === v.endings[1] || causes.length === 0) return undefined;
    return [text('in '), name(v.modes[0] ?? '?'), text(` whether it ${trapping} depends on `), ...names(causes, 3), text(', which is control state')];
  }
  const out: Rich = [text('in '), name(v.modes[0] ?? '?'), text(' '), ...names(results, 2), text(results.length > 1 ? ' depend on ' : ' depends on ')];
  if (causes.length === 0) out.push(text('control state'));
  else out.push(...names(causes, 3), text(', which is control state'));
  return out;
}

/** Control-sensitive: "in ring3 it changes SS_desc". */
function controlPhrase(w: Witness, model: StateModel, writes: string[] = []): Rich | undefined {
  const v = witnessView(w, model);
  let changed = v.results.filter((r) => r.cells[0] !== r.cells[1]).map((r) => r.element);
  // A witness whose values do not show the change (it may rewrite what was there): the mode and
  // control state the instruction writes, as its effects name them.
  if (changed.length === 0) changed = v.results.map((r) => r.element).filter((el) => writes.includes(el));
  const halts = w.outcomes[0]?.kind === 'halt';
  if (changed.length === 0 && !halts) return undefined;
  const out: Rich = [text('in '), name(v.modes[0] ?? '?'), text(' it ')];
  if (changed.length) out.push(text('changes '), ...names(changed, 2));
  if (halts) out.push(text(changed.length ? ' and halts' : 'halts the machine'));
  return out;
}

function privilegePhrase(p: PrivilegeVerdict, guest: string | undefined): Rich {
  // Conditional: only under a condition (on the state, or on the operands: then the split says which).
  if (p.value === 'conditional') return [text('does not always trap')];
  if (p.value === 'unknown') return [text('privilege undecided')];
  if (p.value === 'yes') return guest ? [text('privileged: it traps in every '), name(guest), text(' state')] : [text('privileged')];
  // Not "no trap": the witness before it may show a trap (a GP in one mode), and privileged is
  // about every guest-mode state.
  return [text('not privileged')];
}

/** The instances of a split instruction that are sensitive and not privileged (none when not split). */
function offendingInstances(c: InstructionClassification): InstructionClassification['instances'] {
  const xs = c.instances ?? [];
  if (xs.length <= 1) return [];
  return xs.filter((x) => x.sensitive === 'yes' && x.privileged !== 'yes');
}

/** "privileged where n != 0; innocuous where n == 0", or undefined when not split. */
export function splitRich(c: InstructionClassification): Rich | undefined {
  const xs = c.instances ?? [];
  if (xs.length <= 1) return undefined;
  const out: Rich = [];
  xs.forEach((x, i) => {
    if (i > 0) out.push(text('; '));
    out.push(text(`${x.summary} where `), name(x.condition));
  });
  return out;
}

/** Why an instruction is an offender, in one line of words built from its witnesses: the
 *  behaviour a guest sees, then what the monitor sees ("not privileged"). */
export function reasonRich(c: InstructionClassification, model: StateModel, guest: string | undefined = model.isa?.guestMode): Rich {
  const candidates: (Rich | undefined)[] = [];
  const mw = witnessOf(c.modeSensitive);
  const lw = witnessOf(c.locationSensitive);
  const cw = witnessOf(c.controlSensitive);
  const inGuest = (w: Witness | undefined) => w !== undefined && (guest === undefined || w.states.some((s) => s.mode === guest));
  // A privileged instruction differs between modes at least by trapping; what makes it sensitive
  // is better told by what it changes or reads.
  const writes = [...c.effects.modeWrites, ...c.effects.controlWrites];
  if (c.privileged.value === 'yes') {
    if (c.controlSensitive.value === 'yes' && cw) candidates.push(controlPhrase(cw, model, writes));
    if (c.locationSensitive.value === 'yes' && lw) candidates.push(locationPhrase(lw, model));
  }
  if (c.modeSensitive.value === 'yes' && mw && inGuest(mw)) candidates.push(modePhrase(mw, model, guest));
  if (c.controlSensitive.value === 'yes' && cw && inGuest(cw)) candidates.push(controlPhrase(cw, model, writes));
  if (c.locationSensitive.value === 'yes' && lw) candidates.push(locationPhrase(lw, model));
  if (c.modeSensitive.value === 'yes' && mw) candidates.push(modePhrase(mw, model, guest));
  if (c.controlSensitive.value === 'yes' && cw) candidates.push(controlPhrase(cw, model, writes));
  if (c.sensitive !== 'yes' && c.timingDependent.value === 'yes') {
    candidates.push([
      text('reads the clock '),
      ...names(c.effects.clockReads.length ? c.effects.clockReads : ['?']),
      text(', so a guest can time the monitor'),
    ]);
  }
  let phrase = candidates.find((x) => x !== undefined);
  // The analysis' own sentence when the witnesses give none, unless it was cut short.
  if (!phrase && !c.reason.includes('…')) phrase = [text(c.reason.startsWith(`${c.mnemonic}:`) ? c.reason.slice(c.mnemonic.length + 1).trim() : c.reason)];
  const tail = c.sensitive === 'yes' ? privilegePhrase(c.privileged, guest) : [];
  const out: Rich = phrase
    ? [...phrase, ...(tail.length ? [text('; '), ...tail] : [])]
    : [text(c.sensitive === 'unknown' ? 'sensitivity undecided' : 'sensitive'), text('; '), ...privilegePhrase(c.privileged, guest)];
  // A split instruction: where it offends (sensitive, not privileged) is what the sentence is
  // about; otherwise which instances are which says more than the whole's verdict.
  const offending = offendingInstances(c);
  if (offending.length) {
    out.push(text(' where '));
    offending.forEach((x, i) => out.push(...(i ? [text(' or ')] : []), name(x.condition)));
  } else {
    const split = splitRich(c);
    if (split) out.push(text(' — '), ...split);
  }
  return out;
}

// ---- verdict words ----

export function theoremWord(t: TheoremVerdict): string {
  return t.value === 'holds' ? 'holds' : t.value === 'fails' ? 'fails' : 'unknown';
}

export function existsWord(t: TheoremVerdict): string {
  return t.value === 'holds' ? 'yes' : t.value === 'fails' ? 'no' : 'unknown';
}

/** The theorem lines, then the exact monitor verdicts when the analysis decided them. */
export interface VerdictLine {
  label: string;
  title: string;
  word: string;
  value: TheoremVerdict['value'];
  detail: string;
  note?: string;
}

const offenderWord = (t: TheoremVerdict) => (t.offenders.length === 1 ? 'offender' : 'offenders');

export function verdictLines(a: IsaAnalysis): VerdictLine[] {
  const count = (t: TheoremVerdict, what: string) => {
    const n = t.offenders.length;
    const u = t.undecided.length;
    const parts: string[] = [];
    if (n) parts.push(`${n} ${what}`);
    if (u) parts.push(`${u} undecided`);
    return parts.join(', ');
  };
  const out: VerdictLine[] = [
    {
      label: 'T1',
      title: 'Theorem 1 (sensitive ⊆ privileged)',
      word: theoremWord(a.theorem1),
      value: a.theorem1.value,
      detail: count(a.theorem1, offenderWord(a.theorem1)),
    },
    {
      label: 'T2',
      title: 'Theorem 2 (recursive: Theorem 1, no clock)',
      word: theoremWord(a.theorem2),
      value: a.theorem2.value,
      detail: count(a.theorem2, offenderWord(a.theorem2)),
    },
    {
      label: 'T3',
      title: 'Theorem 3 (user-sensitive ⊆ privileged)',
      word: theoremWord(a.theorem3),
      value: a.theorem3.value,
      detail: count(a.theorem3, offenderWord(a.theorem3)),
    },
  ];
  const exact: [string, string, (TheoremVerdict & { note?: string }) | undefined][] = [
    ['M', 'a trap-and-emulate monitor exists', a.trapAndEmulate],
    ['H', 'a hybrid monitor exists', a.hybridMonitor],
  ];
  for (const [label, title, t] of exact) {
    if (!t) continue;
    const line: VerdictLine = {
      label,
      title,
      word: existsWord(t),
      value: t.value,
      detail: count(t, t.offenders.length === 1 ? 'instruction breaks it' : 'instructions break it'),
    };
    if (t.note) line.note = t.note;
    out.push(line);
  }
  return out;
}

/** Evidence kinds in words, for every format. */
export const EVIDENCE_KIND: Record<Evidence['k'], string> = {
  syntactic: 'by the semantics, for every state',
  proof: 'proved by the solver for every bit pattern',
  witness: 'witness',
  unknown: 'undecided',
};

export const MONITOR_COLUMNS = ['virtual', 'real'];

/** The verdicts of one instruction, each with how it is known, in order. */
export function verdictList(c: InstructionClassification, guestMode: string): { name: string; value: string; evidence: Evidence; columns?: string[] }[] {
  return [
    {
      name: 'privileged',
      value: c.privileged.value + (c.privileged.condition ? ` (traps when ${c.privileged.condition})` : ''),
      evidence: c.privileged.evidence,
    },
    { name: 'control-sensitive', value: c.controlSensitive.value, evidence: c.controlSensitive.evidence },
    { name: 'mode-sensitive', value: c.modeSensitive.value, evidence: c.modeSensitive.evidence },
    { name: 'location-sensitive', value: c.locationSensitive.value, evidence: c.locationSensitive.evidence },
    { name: `user-sensitive (mode ${guestMode})`, value: c.userSensitive.value, evidence: c.userSensitive.evidence },
    { name: 'timing-dependent', value: c.timingDependent.value, evidence: c.timingDependent.evidence },
    // A monitor witness is a pair: the virtual state, and the real state that corresponds to it.
    ...(c.breaksMonitor
      ? [{ name: 'breaks the trap-and-emulate monitor', value: c.breaksMonitor.value, evidence: c.breaksMonitor.evidence, columns: MONITOR_COLUMNS }]
      : []),
    ...(c.breaksHybrid
      ? [{ name: 'breaks the hybrid monitor', value: c.breaksHybrid.value, evidence: c.breaksHybrid.evidence, columns: MONITOR_COLUMNS }]
      : []),
  ];
}

// ---- the renderers: one per format ----

export interface Paint {
  name(s: string): string;
  value(s: string): string;
  key(s: string): string;
}

export const NO_PAINT: Paint = { name: (s) => s, value: (s) => s, key: (s) => s };

/** Terminal text; `paint` colours names and key values (only on a TTY: the caller decides). */
export function richText(r: Rich, paint: Paint = NO_PAINT): string {
  return r.map((x) => (x.t === 'text' ? x.s : x.t === 'name' ? paint.name(x.s) : x.t === 'value' ? paint.value(x.s) : paint.key(x.s))).join('');
}

function mdEscapeText(s: string): string {
  return s.replace(/[\\`*_[\]<>|]/g, (ch) => '\\' + ch).replace(/\r?\n/g, ' ');
}

function mdCode(s: string, inTable: boolean): string {
  const t = (inTable ? s.replace(/\|/g, '\\|') : s).replace(/\r?\n/g, ' ');
  return s.includes('`') ? `\`\` ${t} \`\`` : `\`${t}\``;
}

/** Markdown: names and values as code, key values bold. */
export function richMarkdown(r: Rich, inTable = false): string {
  return r.map((x) => (x.t === 'text' ? mdEscapeText(x.s) : x.t === 'key' ? `**${mdCode(x.s, inTable)}**` : mdCode(x.s, inTable))).join('');
}

export function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** HTML: names and values as code, key values in <strong> (class "key"). */
export function richHtml(r: Rich): string {
  return r
    .map((x) =>
      x.t === 'text' ? htmlEscape(x.s) : x.t === 'key' ? `<strong class="key"><code>${htmlEscape(x.s)}</code></strong>` : `<code>${htmlEscape(x.s)}</code>`,
    )
    .join('');
}
