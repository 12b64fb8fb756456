// The assembler generated from a spec: each instruction's `syntax` is matched token by token against
// a program line, each `encoding` turns the operands into words of the fetch memory. See
// grammar/ASSEMBLY.md for the language of `.s` files.
//
// Passes: the lines are read once (tokens, labels, which instructions' syntax fits); then layout
// passes run until every label keeps its address (labels may be used before their definition, and
// where several instructions share a mnemonic the operand values may pick a longer one); the last
// pass is the one whose words and diagnostics are kept.

import { type Span, type Isa, assertNever } from '../ir/index.js';
import { ASM, asmError, didYouMean, type AsmDiagnostic } from './diagnostics.js';
import { evalExpr, exprSymbols, parseExpr, usesHere, type AsmExpr, type EvalResult } from './expr.js';
import { lexLine, tokSpan, type Tok } from './lex.js';
import {
  chosenExpansion,
  encodeInstr,
  getTables,
  isPseudo,
  lookupRegister,
  mask,
  mnemonicText,
  pseudoEvaluator,
  type AsmForm,
  type AsmPseudo,
  type AsmTables,
  type OperandInfo,
} from './tables.js';

export type Section = 'kernel' | 'user';

export interface Segment {
  address: number;
  words: bigint[];
  section: Section;
}

export interface Program {
  segments: Segment[];
  /** Where the run begins: `.entry`, else the first instruction of `.kernel`. */
  entry: number;
  /** Labels (addresses) and `.equ` constants. */
  symbols: Record<string, number>;
  /** The labels alone. */
  labels: Record<string, number>;
  /** Source line of each statement that emitted words, with its first address and word count
   *  (one entry per instruction: a pseudo-instruction has one per instruction it expands to). */
  lines: { address: number; line: number; length: number; instruction?: true }[];
  /** The file name given to `assemble`. */
  file: string;
}

export type AssembleResult = { ok: true; program: Program } | { ok: false; diagnostics: AsmDiagnostic[] };

export const DIRECTIVES = ['.word', '.ascii', '.space', '.org', '.equ', '.entry', '.kernel', '.user'] as const;

/** Most words one program may emit (a `.space` of a billion words is a mistake, not a program). */
export const MAX_PROGRAM_WORDS = 1 << 22;
const MAX_PASSES = 16;

type Bind = { k: 'reg'; index: number; tok: Tok } | { k: 'expr'; expr: AsmExpr; from: Tok; to: Tok };

interface Match {
  a: AsmForm;
  binds: Map<string, Bind>;
}

type Stmt = { k: 'dir'; name: string; nameTok: Tok; args: Tok[]; first: Tok; last: Tok } | { k: 'ins'; matches: Match[]; first: Tok; last: Tok };

interface Line {
  no: number;
  labels: Tok[];
  stmt?: Stmt;
}

interface Emission {
  address: number;
  words: bigint[];
  section: Section;
  line: number;
  span: Span;
  isInstr: boolean;
  /** The `.org` that placed this region (undefined: the start of the program). */
  region: number;
  regionSpan: Span;
}

/**
 * Assemble `sourceText` (named `file` in diagnostics) for `isa`. Never throws: every problem in the
 * program, and any failure of the assembler itself, comes back as a diagnostic.
 */
export function assemble(isa: Isa, sourceText: string, file: string): AssembleResult {
  try {
    return assembleUnchecked(isa, sourceText, file);
  } catch (e) {
    const span = { file, line: 1, col: 1, endLine: 1, endCol: 2 };
    return { ok: false, diagnostics: [asmError(ASM.internal, [e instanceof Error ? e.message : String(e)], span)] };
  }
}

function assembleUnchecked(isa: Isa, sourceText: string, file: string): AssembleResult {
  const tr = getTables(isa);
  if (!tr.ok) {
    return { ok: false, diagnostics: [asmError(ASM.badSpec, [isa.name, tr.message], { file, line: 1, col: 1, endLine: 1, endCol: 2 })] };
  }
  const t = tr.tables;
  const diags: AsmDiagnostic[] = [];
  const lines = readLines(t, sourceText, file, diags);

  const equs = equDefinitions(t, lines, file);
  let prev = new Map<string, bigint>();
  let pass: PassResult | undefined;
  for (let n = 0; n < MAX_PASSES; n++) {
    pass = layoutPass(t, lines, file, prev, equs);
    if (sameSymbols(pass.symbols, prev)) break;
    prev = pass.symbols;
    if (n === MAX_PASSES - 1) {
      diags.push(
        asmError(ASM.unsettled, [MAX_PASSES], { file, line: 1, col: 1, endLine: 1, endCol: 2 }, 'an instruction whose size depends on a label it moves'),
      );
    }
  }
  const p = pass!;
  diags.push(...p.diagnostics);
  if (diags.length === 0) diags.push(...overlaps(p.emissions));
  if (diags.length > 0) {
    diags.sort((a, b) => a.span.line - b.span.line || a.span.col - b.span.col);
    return { ok: false, diagnostics: diags };
  }
  const symbols: Record<string, number> = {};
  for (const [k, v] of p.symbols) symbols[k] = Number(v);
  const labels: Record<string, number> = {};
  for (const l of lines) for (const tok of l.labels) if (p.symbols.has(tok.text)) labels[tok.text] = Number(p.symbols.get(tok.text));
  const sorted = [...p.emissions].sort((a, b) => a.address - b.address);
  const segments: Segment[] = [];
  for (const e of sorted) {
    const last = segments[segments.length - 1];
    if (last && last.section === e.section && last.address + last.words.length === e.address) last.words.push(...e.words);
    else if (e.words.length > 0) segments.push({ address: e.address, words: [...e.words], section: e.section });
  }
  const firstKernel = p.emissions.find((e) => e.isInstr && e.section === 'kernel') ?? p.emissions.find((e) => e.isInstr) ?? sorted[0];
  const entry = p.entry ?? firstKernel?.address ?? 0;
  return {
    ok: true,
    program: {
      segments,
      entry,
      symbols,
      labels,
      lines: p.emissions.map((e) =>
        e.isInstr
          ? { address: e.address, line: e.line, length: e.words.length, instruction: true }
          : { address: e.address, line: e.line, length: e.words.length },
      ),
      file,
    },
  };
}

function sameSymbols(a: Map<string, bigint>, b: Map<string, bigint>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

// ---- reading lines ----

function readLines(t: AsmTables, src: string, file: string, diags: AsmDiagnostic[]): Line[] {
  const out: Line[] = [];
  const defined = new Map<string, Tok>();
  const define = (tok: Tok, what: string) => {
    if (t.regs.has(tok.text.toLowerCase())) {
      diags.push(asmError(ASM.registerAsSymbol, [tok.text, what], tokSpan(file, tok)));
      return;
    }
    const first = defined.get(tok.text);
    if (first) {
      diags.push(asmError(ASM.duplicateSymbol, [tok.text, first.line], tokSpan(file, tok)));
      return;
    }
    defined.set(tok.text, tok);
  };
  const texts = src.split(/\r\n|\n|\r/);
  texts.forEach((text, idx) => {
    const no = idx + 1;
    const lx = lexLine(text, no, file, { hash: t.hashIsPunct ? 'spaced' : 'comment' });
    const toks = lx.toks;
    let i = 0;
    const labels: Tok[] = [];
    while (toks[i]?.k === 'ident' && toks[i + 1]?.k === 'punct' && toks[i + 1]!.text === ':') {
      labels.push(toks[i]!);
      define(toks[i]!, 'label');
      i += 2;
    }
    const line: Line = { no, labels };
    out.push(line);
    if (lx.diagnostics.length > 0) {
      // A malformed literal: report it alone rather than the confusion it causes downstream.
      diags.push(...lx.diagnostics);
      return;
    }
    if (i >= toks.length) return;
    const first = toks[i]!;
    const last = toks[toks.length - 1]!;
    const second = toks[i + 1];
    if (first.k === 'punct' && first.text === '.' && second?.k === 'ident' && second.col === first.endCol) {
      const name = '.' + second.text.toLowerCase();
      const args = toks.slice(i + 2);
      const dirTok: Tok = { ...first, k: 'ident', text: '.' + second.text, endCol: second.endCol };
      if (!(DIRECTIVES as readonly string[]).includes(name)) {
        const dym = didYouMean(name, DIRECTIVES);
        diags.push(
          asmError(ASM.unknownDirective, [dirTok.text], tokSpan(file, dirTok), dym ? `did you mean '${dym}'?` : `directives: ${DIRECTIVES.join(' ')}`),
        );
        return;
      }
      if (name === '.equ' && args[0]?.k === 'ident') define(args[0], 'constant');
      line.stmt = { k: 'dir', name, nameTok: dirTok, args, first, last };
      return;
    }
    if (first.k !== 'ident') {
      diags.push(asmError(ASM.badStatement, [first.text], tokSpan(file, first)));
      return;
    }
    const body = toks.slice(i);
    const mnemonic = mnemonicText(body);
    const cands = t.byKey.get(mnemonic.toLowerCase());
    if (!cands) {
      const dym = didYouMean(mnemonic, new Set([...t.instrs, ...t.pseudos].map((a) => a.keyText)));
      const lastOfMnemonic = body[mnemonic.split('.').length * 2 - 2] ?? first;
      diags.push(asmError(ASM.unknownMnemonic, [mnemonic], tokSpan(file, first, lastOfMnemonic), dym ? `did you mean '${dym}'?` : undefined));
      return;
    }
    const matches: Match[] = [];
    let furthest = 0;
    for (const a of cands) {
      const r = matchSyntax(t, a, body);
      if (r.binds) matches.push({ a, binds: r.binds });
      else furthest = Math.max(furthest, r.furthest);
    }
    if (matches.length === 0) {
      const at = body[furthest];
      const span = at ? tokSpan(file, at) : { file, line: no, col: last.endCol, endLine: no, endCol: last.endCol + 1 };
      const found = at ? `'${at.text}'` : 'the end of the line';
      diags.push(asmError(ASM.wrongOperands, [mnemonic, found], span, `expected ${cands.map((a) => describeSyntax(a)).join(' or ')}`));
      return;
    }
    line.stmt = { k: 'ins', matches, first, last };
  });
  return out;
}

/** `LOAD {rd}, [{a}]  (rd: register r0..r15, a: address 0..0xffff)`. */
export function describeSyntax(a: AsmForm): string {
  const text = a.parts.map((p) => (p.k === 'text' ? p.text : `{${p.name}}`)).join('');
  const ops = [...a.operands.values()].map((o) => `${o.op.name}: ${describeOperand(o)}`);
  return ops.length ? `'${text}' (${ops.join(', ')})` : `'${text}'`;
}

function describeOperand(o: OperandInfo): string {
  if (o.relative) {
    const base = o.relative.base + (o.relative.addend > 0 ? `+${o.relative.addend}` : o.relative.addend < 0 ? `${o.relative.addend}` : '');
    const step = (o.implied & (o.implied + 1n)) === 0n && o.implied > 0n ? `, a multiple of ${o.implied + 1n}` : '';
    return `a target ${o.min}..${o.max} from ${base}${step}`;
  }
  switch (o.op.kind) {
    case 'reg': {
      const f = o.file;
      if (!f) return 'register';
      const first = f.names[0] ?? `${f.name}0`;
      const last = f.names[Number(o.max)] ?? `${f.name}${o.max}`;
      return o.max > 0n ? `register ${first}..${last}` : `register ${first}`;
    }
    case 'simm':
      return `signed ${o.min}..${o.max}`;
    case 'imm':
      return `number 0..${hex(o.max)}`;
    case 'addr':
      return `address 0..${hex(o.max)}`;
    default:
      return assertNever(o.op.kind, 'operand kind');
  }
}

/** A value as a message shows it: decimal, with hex beside it when that differs. */
function showValue(v: bigint): string {
  return v > 9n ? `${v} (0x${v.toString(16)})` : v.toString();
}

function hex(v: bigint): string {
  return v > 9n ? '0x' + v.toString(16) : v.toString();
}

/**
 * Match a statement's tokens against an instruction's syntax: literal tokens compare
 * case-insensitively, register holes take a register of the operand's file, value holes take the
 * longest expression after which the rest still matches. `furthest` is how far the best attempt got.
 */
function matchSyntax(t: AsmTables, a: AsmForm, written: Tok[]): { binds?: Map<string, Bind>; furthest: number } {
  let toks = written;
  const items = a.items;
  const binds = new Map<string, Bind>();
  let furthest = 0;
  let budget = 20000; // backtracking steps; a line that needs more is not this instruction
  const isRegister = (name: string) => t.regs.has(name.toLowerCase());
  const go = (si: number, ti: number): boolean => {
    if (--budget < 0) return false;
    furthest = Math.max(furthest, Math.min(ti, toks.length));
    if (si === items.length) return ti === toks.length;
    const it = items[si]!;
    if (it.k === 'lit') {
      const tok = toks[ti];
      if (tok && glued(tok, it.tok, items[si + 1])) {
        // `msr cpsr_{mask}` written `msr cpsr_3`: the line's lexer saw one word; split it where
        // the syntax's literal ends and the operand begins.
        const saved = toks;
        toks = [...toks.slice(0, ti), ...splitGlued(tok, it.tok.text.length), ...toks.slice(ti + 1)];
        if (go(si + 1, ti + 1)) return true;
        toks = saved;
        return false;
      }
      if (!tok || tok.text.toLowerCase() !== it.tok.text.toLowerCase() || (tok.k === 'str') !== (it.tok.k === 'str')) return false;
      return go(si + 1, ti + 1);
    }
    const o = it.operand;
    if (o.op.kind === 'reg') {
      const tok = toks[ti];
      if (!tok || tok.k !== 'ident' || !o.file) return false;
      const idx = lookupRegister(t, tok.text, o.file.name);
      if (idx === undefined) return false;
      binds.set(o.op.name, { k: 'reg', index: idx, tok });
      if (go(si + 1, ti + 1)) return true;
      binds.delete(o.op.name);
      return false;
    }
    // A value hole ends where the next item can start: before the next literal, or at the end.
    const next = items[si + 1];
    const reach = { at: ti };
    if (parseExpr(toks, ti, toks.length, isRegister, reach)) reach.at = toks.length;
    furthest = Math.max(furthest, reach.at);
    for (let end = toks.length; end > ti; end--) {
      if (next === undefined ? end !== toks.length : next.k === 'lit' && toks[end]?.text.toLowerCase() !== next.tok.text.toLowerCase()) continue;
      const stop = { at: ti };
      const e = parseExpr(toks, ti, end, isRegister, stop);
      if (!e) {
        furthest = Math.max(furthest, stop.at);
        continue;
      }
      binds.set(o.op.name, { k: 'expr', expr: e, from: toks[ti]!, to: toks[end - 1]! });
      if (go(si + 1, end)) return true;
      binds.delete(o.op.name);
    }
    return false;
  };
  return go(0, 0) ? { binds, furthest } : { furthest };
}

/** A written word that begins with a syntax literal which is directly followed by an operand hole. */
function glued(tok: Tok, lit: Tok, next: AsmForm['items'][number] | undefined): boolean {
  return (
    tok.k === 'ident' &&
    lit.k === 'ident' &&
    next?.k === 'hole' &&
    tok.text.length > lit.text.length &&
    tok.text.toLowerCase().startsWith(lit.text.toLowerCase())
  );
}

/** Split a glued word into the literal and the rest (a number if it reads as one, else a word). */
function splitGlued(tok: Tok, at: number): Tok[] {
  const head: Tok = { ...tok, text: tok.text.slice(0, at), endCol: tok.col + at };
  const restText = tok.text.slice(at);
  const rest: Tok = /^(0x[0-9a-f_]+|0b[01_]+|[0-9][0-9_]*)$/i.test(restText)
    ? { ...tok, k: 'num', text: restText, value: BigInt(restText.replace(/_/g, '')), col: tok.col + at }
    : { ...tok, text: restText, col: tok.col + at };
  return [head, rest];
}

// ---- layout passes ----

interface PassResult {
  symbols: Map<string, bigint>;
  emissions: Emission[];
  diagnostics: AsmDiagnostic[];
  entry?: number;
}

type Value = { ok: true; value: bigint } | { ok: false; diag: AsmDiagnostic };

/** A `.equ` constant: its expression, parsed once, and whether it reads `.` (its own address). */
interface EquDef {
  nameTok: Tok;
  expr: AsmExpr;
  from: Tok;
  to: Tok;
  positional: boolean;
}

/** Every well-formed `.equ` by name (the first, if repeated: the repeat is reported as a duplicate). */
function equDefinitions(t: AsmTables, lines: Line[], file: string): Map<string, EquDef> {
  const out = new Map<string, EquDef>();
  for (const line of lines) {
    const st = line.stmt;
    if (st?.k !== 'dir' || st.name !== '.equ') continue;
    const name = st.args[0];
    if (!name || name.k !== 'ident' || st.args[1]?.text !== ',' || st.args.length < 3 || out.has(name.text)) continue;
    // Its diagnostics are reported by the layout pass that reaches the line.
    const e = splitArgs(t, { ...st, args: st.args.slice(2) }, file, [], 1, 1)?.[0];
    if (e) out.set(name.text, { nameTok: name, expr: e.expr, from: e.from, to: e.to, positional: usesHere(e.expr) });
  }
  return out;
}

/**
 * The value of `.equ` constants in dependency order, whatever their order in the file: each is
 * evaluated once, after the constants it names, with an explicit stack (a chain of 20 000 is fine)
 * and a cycle found as a cycle. Labels and constants that read `.` are not ordered here: they take
 * the value the layout pass has given them so far, or the previous pass's.
 */
class EquResolver {
  /** Constants whose value could not be computed in this pass (undefined symbol, cycle). */
  private readonly failed = new Set<string>();
  /** Each constant on a cycle, with the cycle as written `A -> B -> A`. */
  readonly cycles = new Map<string, string>();

  constructor(
    private readonly equs: Map<string, EquDef>,
    private readonly symbols: Map<string, bigint>,
    private readonly prev: Map<string, bigint>,
  ) {}

  private ordered(name: string): boolean {
    const d = this.equs.get(name);
    return d !== undefined && !d.positional;
  }

  /** The value of symbol `name` as known now: computing it first if it is an unordered constant. */
  lookup(name: string): bigint | undefined {
    const known = this.symbols.get(name);
    if (known !== undefined) return known;
    if (this.ordered(name)) return this.resolve(name);
    return this.prev.get(name);
  }

  private lookupKnown(name: string): bigint | undefined {
    return this.symbols.get(name) ?? (this.ordered(name) ? undefined : this.prev.get(name));
  }

  /** Evaluate constant `name` and every constant it depends on; undefined if it cannot be. */
  resolve(name: string): bigint | undefined {
    if (this.symbols.has(name)) return this.symbols.get(name);
    if (this.failed.has(name)) return undefined;
    const stack = [name];
    const onStack = new Set(stack);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const def = this.equs.get(top)!;
      let pending: string | undefined;
      for (const tok of exprSymbols(def.expr)) {
        const n = tok.text;
        if (this.symbols.has(n) || this.failed.has(n) || !this.ordered(n)) continue;
        if (onStack.has(n)) {
          const cycle = [...stack.slice(stack.indexOf(n)), n];
          const text = cycle.join(' -> ');
          for (const c of cycle) {
            if (!this.cycles.has(c)) this.cycles.set(c, text);
            this.failed.add(c);
          }
          continue;
        }
        pending = n;
        break;
      }
      if (pending !== undefined && !this.failed.has(top)) {
        stack.push(pending);
        onStack.add(pending);
        continue;
      }
      stack.pop();
      onStack.delete(top);
      if (this.failed.has(top)) continue;
      const r = evalExpr(def.expr, { lookup: (n) => this.lookupKnown(n) });
      if (r.ok) this.symbols.set(top, r.value);
      else this.failed.add(top);
    }
    return this.symbols.get(name);
  }
}

function layoutPass(t: AsmTables, lines: Line[], file: string, prev: Map<string, bigint>, equs: Map<string, EquDef>): PassResult {
  const memSize = t.mem.size;
  const ww = t.mem.wordWidth;
  const symbols = new Map<string, bigint>();
  const diagnostics: AsmDiagnostic[] = [];
  const emissions: Emission[] = [];
  const resolver = new EquResolver(equs, symbols, prev);
  const lookup = (name: string) => resolver.lookup(name) ?? t.names.get(name);
  let loc = 0;
  let section: Section = 'kernel';
  let region = 0;
  let regionSpan: Span = { file, line: 1, col: 1, endLine: 1, endCol: 2 };
  let total = 0;
  let entry: number | undefined;
  let entrySeen: Tok | undefined;
  /** Cycles of `.equ` constants already reported (each once, at its first constant). */
  const reportedCycles = new Set<string>();

  const failure = (r: Extract<EvalResult, { ok: false }>): Value => {
    const tok = r.undefined;
    if (r.why === 'divide') return { ok: false, diag: asmError(ASM.badExpression, [`'${tok.text}' by zero`], tokSpan(file, tok)) };
    if (r.why === 'shift')
      return { ok: false, diag: asmError(ASM.badExpression, [`a shift by a negative amount or by more than 256 bits`], tokSpan(file, tok)) };
    if (r.why === 'here') return { ok: false, diag: asmError(ASM.badExpression, [`'.' (the current address) where there is none`], tokSpan(file, tok)) };
    const cycle = resolver.cycles.get(tok.text);
    if (cycle !== undefined) return { ok: false, diag: asmError(ASM.equCycle, [cycle], tokSpan(file, tok)) };
    const dym = didYouMean(tok.text, [...symbols.keys(), ...prev.keys(), ...equs.keys()]);
    return { ok: false, diag: asmError(ASM.undefinedSymbol, [tok.text], tokSpan(file, tok), dym ? `did you mean '${dym}'?` : undefined) };
  };
  // `.` is the address of the statement being laid out.
  const value = (e: AsmExpr): Value => {
    const r = evalExpr(e, { lookup, here: BigInt(loc) });
    return r.ok ? r : failure(r);
  };
  const emit = (words: bigint[], line: Line, span: Span, isInstr: boolean): void => {
    if (loc + words.length > memSize) {
      diagnostics.push(asmError(ASM.outsideMemory, [`address ${hex(BigInt(loc + words.length - 1))}`, t.mem.name, hex(BigInt(memSize - 1))], span));
      loc = memSize;
      return;
    }
    total += words.length;
    if (total > MAX_PROGRAM_WORDS) {
      diagnostics.push(asmError(ASM.tooLarge, [MAX_PROGRAM_WORDS], span));
      return;
    }
    emissions.push({ address: loc, words, section, line: line.no, span, isInstr, region, regionSpan });
    loc += words.length;
  };

  for (const line of lines) {
    const st = line.stmt;
    // A label names the address of what follows it; on a `.org` line, the new address.
    let orgTarget: number | undefined;
    if (st?.k === 'dir' && st.name === '.org') {
      const exprs = splitArgs(t, st, file, diagnostics, 1, 1);
      const e = exprs?.[0];
      if (e) {
        const v = value(e.expr);
        if (!v.ok) diagnostics.push(v.diag);
        else if (v.value < 0n || v.value >= BigInt(memSize)) {
          diagnostics.push(asmError(ASM.outsideMemory, [`.org ${hex(v.value)}`, t.mem.name, hex(BigInt(memSize - 1))], tokSpan(file, e.from, e.to)));
        } else orgTarget = Number(v.value);
      }
    }
    if (orgTarget !== undefined) {
      loc = orgTarget;
      region++;
      regionSpan = tokSpan(file, st!.first, st!.last);
    }
    for (const l of line.labels) if (!symbols.has(l.text)) symbols.set(l.text, BigInt(loc));
    if (!st) continue;
    const stSpan = tokSpan(file, st.first, st.last);
    if (st.k === 'ins') {
      const chosen = chooseMatch(t, file, st.matches, value, loc, stSpan);
      if (chosen.diags.length) {
        diagnostics.push(...chosen.diags);
        // Keep the layout: the instruction still occupies its words.
        loc += chosen.match.a.words;
        continue;
      }
      // A pseudo-instruction's expansion is one emission per instruction: the listing shows each.
      for (const words of chosen.words) emit(words, line, stSpan, true);
      continue;
    }
    switch (st.name) {
      case '.kernel':
      case '.user':
        if (splitArgs(t, st, file, diagnostics, 0, 0)) section = st.name === '.kernel' ? 'kernel' : 'user';
        break;
      case '.org':
        break; // done above
      case '.equ': {
        const name = st.args[0];
        const comma = st.args[1];
        if (!name || name.k !== 'ident' || !comma || comma.text !== ',' || st.args.length < 3) {
          diagnostics.push(asmError(ASM.directiveArgs, ['.equ', 'it takes a name and a value'], stSpan, 'usage: .equ NAME, value'));
          break;
        }
        const rest = { ...st, args: st.args.slice(2) };
        const e = splitArgs(t, rest, file, diagnostics, 1, 1)?.[0];
        if (!e) break;
        const def = equs.get(name.text);
        if (def?.nameTok !== name) break; // a repeated name: reported as a duplicate
        if (symbols.has(name.text)) break; // computed already, when something used it
        if (!def.positional && resolver.resolve(name.text) !== undefined) break;
        const cycle = resolver.cycles.get(name.text);
        if (cycle !== undefined) {
          // One report per cycle, at the first of its constants in the file.
          if (!reportedCycles.has(cycle)) diagnostics.push(asmError(ASM.equCycle, [cycle], tokSpan(file, name)));
          reportedCycles.add(cycle);
          break;
        }
        const v = value(e.expr);
        if (!v.ok) diagnostics.push(v.diag);
        else symbols.set(name.text, v.value);
        break;
      }
      case '.word': {
        const exprs = splitArgs(t, st, file, diagnostics, 1, Infinity);
        if (!exprs) break;
        const words: bigint[] = [];
        let bad = false;
        for (const e of exprs) {
          const v = value(e.expr);
          if (!v.ok) {
            diagnostics.push(v.diag);
            bad = true;
            continue;
          }
          const lo = -(1n << BigInt(ww - 1));
          const hi = mask(ww);
          if (v.value < lo || v.value > hi) {
            diagnostics.push(asmError(ASM.outOfRange, [showValue(v.value), `a ${ww}-bit word (${lo}..${hex(hi)})`], tokSpan(file, e.from, e.to)));
            bad = true;
            continue;
          }
          words.push(v.value & hi);
        }
        if (bad) loc += exprs.length;
        else emit(words, line, stSpan, false);
        break;
      }
      case '.ascii': {
        const words: bigint[] = [];
        let ok = st.args.length > 0;
        st.args.forEach((a, i) => {
          if (i % 2 === 1 ? a.text !== ',' : a.k !== 'str') ok = false;
        });
        if (!ok || st.args.length % 2 === 0) {
          diagnostics.push(asmError(ASM.directiveArgs, ['.ascii', 'it takes strings separated by commas'], stSpan, 'usage: .ascii "text"'));
          break;
        }
        let bad = false;
        for (const a of st.args) {
          if (a.k !== 'str') continue;
          for (const c of a.str!) {
            if (BigInt(c) > mask(ww)) {
              diagnostics.push(asmError(ASM.outOfRange, [`character code ${c}`, `a ${ww}-bit word`], tokSpan(file, a)));
              bad = true;
              break;
            }
            words.push(BigInt(c));
          }
        }
        if (bad) loc += words.length;
        else emit(words, line, stSpan, false);
        break;
      }
      case '.space': {
        const e = splitArgs(t, st, file, diagnostics, 1, 1)?.[0];
        if (!e) break;
        const v = value(e.expr);
        if (!v.ok) {
          diagnostics.push(v.diag);
          break;
        }
        if (v.value < 0n || v.value > BigInt(memSize - loc)) {
          diagnostics.push(
            asmError(
              ASM.outOfRange,
              [`.space ${v.value}`, `the ${memSize - loc} words left in memory ${t.mem.name} after ${hex(BigInt(loc))}`],
              tokSpan(file, e.from, e.to),
            ),
          );
          break;
        }
        if (total + Number(v.value) > MAX_PROGRAM_WORDS) {
          diagnostics.push(asmError(ASM.tooLarge, [MAX_PROGRAM_WORDS], tokSpan(file, e.from, e.to)));
          break;
        }
        emit(new Array<bigint>(Number(v.value)).fill(0n), line, stSpan, false);
        break;
      }
      case '.entry': {
        const e = splitArgs(t, st, file, diagnostics, 1, 1)?.[0];
        if (!e) break;
        if (entrySeen) {
          diagnostics.push(asmError(ASM.directiveArgs, ['.entry', `a second .entry (the first is on line ${entrySeen.line})`], stSpan));
          break;
        }
        entrySeen = st.first;
        const v = value(e.expr);
        if (!v.ok) diagnostics.push(v.diag);
        else if (v.value < 0n || v.value >= BigInt(memSize)) {
          diagnostics.push(asmError(ASM.outsideMemory, [`.entry ${hex(v.value)}`, t.mem.name, hex(BigInt(memSize - 1))], tokSpan(file, e.from, e.to)));
        } else entry = Number(v.value);
        break;
      }
    }
  }
  return entry === undefined ? { symbols, emissions, diagnostics } : { symbols, emissions, diagnostics, entry };
}

/**
 * Of the instructions whose syntax fits, the first whose operand values are defined and in range;
 * if none, the first one with its problems.
 */
function chooseMatch(
  t: AsmTables,
  file: string,
  matches: Match[],
  value: (e: AsmExpr) => Value,
  loc: number,
  stSpan: Span,
): { match: Match; words: bigint[][]; diags: AsmDiagnostic[] } {
  const pcWidth = t.pcWidth;
  let firstBad: { match: Match; words: bigint[][]; diags: AsmDiagnostic[] } | undefined;
  for (const m of matches) {
    const values = new Map<string, bigint>();
    const diags: AsmDiagnostic[] = [];
    for (const [name, b] of m.binds) {
      if (b.k === 'reg') {
        const o = m.a.operands.get(name)!;
        if (BigInt(b.index) > o.max) {
          diags.push(asmError(ASM.outOfRange, [`register ${b.tok.text}`, `operand ${name} (${o.bits}-bit field)`], tokSpan(file, b.tok)));
          continue;
        }
        values.set(name, BigInt(b.index));
        continue;
      }
      const v = value(b.expr);
      if (!v.ok) {
        diags.push(v.diag);
        continue;
      }
      const o = m.a.operands.get(name)!;
      // A PC-relative operand is written as its target; the encoding holds the distance from the
      // base the machine adds it to (this instruction's address or the next one's).
      const base = o.relative ? BigInt(loc + (o.relative.base === 'next_pc' ? m.a.words : 0) + o.relative.addend) : 0n;
      let x = v.value - base;
      // The machine adds the offset to the pc modulo 2^pcWidth: a branch back past 0 is a negative
      // distance, and target 0xfffffffe from 0 is -2.
      if (o.relative) {
        const m = 1n << BigInt(pcWidth);
        x = ((x % m) + m) % m;
        if (o.op.kind === 'simm' && x >= m / 2n) x -= m;
      }
      const what = o.relative ? `target ${showValue(v.value)} (${showValue(x)} from ${hex(base)})` : showValue(v.value);
      if (x < o.min || x > o.max) {
        const kind = o.op.kind === 'simm' ? 'signed ' : o.op.kind === 'addr' ? 'address ' : '';
        diags.push(
          asmError(
            ASM.outOfRange,
            [what, `operand ${name} (${kind}${o.bits} bits: ${o.op.kind === 'simm' ? o.min : hex(o.min)}..${hex(o.max)})`],
            tokSpan(file, b.from, b.to),
          ),
        );
        continue;
      }
      if ((x & o.implied) !== 0n) {
        const pos = [...Array(o.bits).keys()].filter((bit) => ((o.implied >> BigInt(bit)) & 1n) === 1n);
        const held = pos.length === 1 ? `bit ${pos[0]} is not encoded and must be 0` : `bits ${pos.join(', ')} are not encoded and must be 0`;
        const multiple = (o.implied & (o.implied + 1n)) === 0n ? `a multiple of ${o.implied + 1n}: ` : '';
        diags.push(asmError(ASM.outOfRange, [what, `operand ${name} (${multiple}${held})`], tokSpan(file, b.from, b.to)));
        continue;
      }
      values.set(name, x);
    }
    const a = m.a;
    if (isPseudo(a)) {
      const ex = diags.length === 0 ? expandPseudo(t, a, values, stSpan) : { words: [], diags: [] };
      diags.push(...ex.diags);
      if (diags.length === 0) return { match: m, words: ex.words, diags };
      firstBad ??= { match: m, words: [], diags };
      continue;
    }
    // Values the manual gives another meaning in this form (a decode condition) do not fit it.
    const x = diags.length === 0 ? (a.instr.encoding.exclude ?? []).find((e) => values.get(e.operand) === BigInt(e.value)) : undefined;
    if (x) {
      const b = m.binds.get(x.operand);
      // An operand the syntax does not name is reported at the statement.
      const at = b ? (b.k === 'reg' ? tokSpan(file, b.tok) : tokSpan(file, b.from, b.to)) : stSpan;
      const what = b?.k === 'reg' ? `register ${b.tok.text}` : showValue(BigInt(x.value));
      diags.push(
        asmError(ASM.outOfRange, [what, `operand ${x.operand} of ${a.keyText}: this encoding excludes ${x.operand} = ${showValue(BigInt(x.value))}`], at),
      );
    }
    if (diags.length === 0) return { match: m, words: [encodeInstr(t, a, values)], diags };
    firstBad ??= { match: m, words: [], diags };
  }
  return firstBad!;
}

/**
 * The words of a pseudo-instruction: its first expansion whose condition holds, each instruction's
 * operands computed from the pseudo's values and checked as a written operand would be.
 */
function expandPseudo(t: AsmTables, p: AsmPseudo, values: Map<string, bigint>, span: Span): { words: bigint[][]; diags: AsmDiagnostic[] } {
  const ev = pseudoEvaluator(t, p, values);
  const expansion = chosenExpansion(p, ev);
  const shown = [...values].map(([k, v]) => `${k} = ${showValue(v)}`).join(', ');
  if (!expansion) return { words: [], diags: [asmError(ASM.noExpansion, [p.keyText, shown || 'no operands'], span)] };
  const words: bigint[][] = [];
  const diags: AsmDiagnostic[] = [];
  for (const ei of expansion.instructions) {
    const a = t.byName.get(ei.mnemonic);
    if (!a) throw new Error(`expansion of ${p.pseudo.mnemonic} names no instruction ${ei.mnemonic}`);
    const vals = new Map<string, bigint>();
    a.instr.operands.forEach((op, i) => {
      const raw = ev(ei.operands[i]!) & mask(op.width);
      const v = op.kind === 'simm' ? BigInt.asIntN(op.width, raw) : raw;
      const o = a.operands.get(op.name)!;
      const excluded = (a.instr.encoding.exclude ?? []).some((x) => x.operand === op.name && BigInt(x.value) === v);
      if (v < o.min || v > o.max || (v & o.implied) !== 0n || excluded) {
        const why = excluded ? 'a value its encoding excludes' : (v & o.implied) !== 0n ? 'its low bits are not encoded' : `${o.min}..${hex(o.max)}`;
        diags.push(
          asmError(ASM.outOfRange, [showValue(v), `operand ${op.name} of ${a.keyText} (${why}) in the expansion of ${p.keyText} with ${shown}`], span),
        );
      }
      vals.set(op.name, v);
    });
    words.push(encodeInstr(t, a, vals));
  }
  return { words, diags };
}

/** A directive's comma-separated expression arguments, between min and max of them. */
function splitArgs(
  t: AsmTables,
  st: Extract<Stmt, { k: 'dir' }>,
  file: string,
  diagnostics: AsmDiagnostic[],
  min: number,
  max: number,
): { expr: AsmExpr; from: Tok; to: Tok }[] | undefined {
  const groups: Tok[][] = [];
  const commas: Tok[] = [];
  if (st.args.length > 0) {
    let cur: Tok[] = [];
    for (const a of st.args) {
      if (a.k === 'punct' && a.text === ',') {
        commas.push(a);
        groups.push(cur);
        cur = [];
      } else cur.push(a);
    }
    groups.push(cur);
  }
  const usage: Record<string, string> = {
    '.word': '.word value, value, ...',
    '.space': '.space count',
    '.org': '.org address',
    '.equ': '.equ NAME, value',
    '.entry': '.entry address',
    '.kernel': '.kernel',
    '.user': '.user',
  };
  if (groups.length < min || groups.length > max) {
    const where = groups.length > max ? st.args[0]! : st.nameTok;
    const n = max === 0 ? 'no arguments' : max === 1 ? 'one argument' : 'at least one argument';
    diagnostics.push(
      asmError(
        ASM.directiveArgs,
        [st.nameTok.text, `it takes ${n}`],
        tokSpan(file, where, groups.length > max ? st.last : where),
        `usage: ${usage[st.name] ?? st.name}`,
      ),
    );
    return undefined;
  }
  const out: { expr: AsmExpr; from: Tok; to: Tok }[] = [];
  const isRegister = (name: string) => t.regs.has(name.toLowerCase());
  for (const [k, g] of groups.entries()) {
    const stop = { at: 0 };
    const e = g.length ? parseExpr(g, 0, g.length, isRegister, stop) : undefined;
    if (!e) {
      const bad = g[stop.at];
      // Nothing between commas: point at the comma before the gap (or after it, for the first).
      const where = bad ?? commas[k - 1] ?? commas[0] ?? st.last;
      const what = bad ? `'${bad.text}'` : 'nothing';
      diagnostics.push(
        asmError(ASM.directiveArgs, [st.nameTok.text, `expected a value but found ${what}`], tokSpan(file, where), `usage: ${usage[st.name] ?? st.name}`),
      );
      return undefined;
    }
    out.push({ expr: e, from: g[0]!, to: g[g.length - 1]! });
  }
  return out;
}

/** Regions placed by different `.org`s that share an address. */
function overlaps(emissions: Emission[]): AsmDiagnostic[] {
  const out: AsmDiagnostic[] = [];
  const seen = new Set<string>();
  const sorted = [...emissions].filter((e) => e.words.length > 0).sort((a, b) => a.address - b.address || a.line - b.line);
  let owner: Emission | undefined;
  for (const e of sorted) {
    if (owner && e.address < owner.address + owner.words.length) {
      // Report at the later of the two in source order.
      const [early, late] = owner.line <= e.line ? [owner, e] : [e, owner];
      const key = `${early.region}/${late.region}`;
      if (!seen.has(key)) {
        seen.add(key);
        const at = Math.max(e.address, owner.address);
        out.push(
          asmError(ASM.overlap, [early.regionSpan.line, hex(BigInt(at))], late.regionSpan, `line ${early.line} already put a word at ${hex(BigInt(at))}`),
        );
      }
    }
    if (!owner || e.address + e.words.length > owner.address + owner.words.length) owner = e;
  }
  return out;
}
