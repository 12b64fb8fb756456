// The binder and type checker: AST -> IR (src/ir/types.ts).
//
// 1. Merge `extends` files (paths relative to the extending file; cycles are errors;
//    `replace`/`remove` as in LANGUAGE.md) into one declaration list in declaration order.
// 2. Resolve every name and compute every width; unsized literals take their context's width.
// 3. Check the rules of LANGUAGE.md and encodings (widths, operands, overlaps).
// Every problem is a diagnostic; nothing here throws on user input.

import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import type * as A from '../syntax/index.js';
import { Diagnostics, diag, didYouMeanHint, type Diagnostic, type DiagnosticTemplate, parseText } from '../syntax/index.js';
import type {
  AsmSymbol,
  Assumption,
  BinOp,
  Claim,
  ClaimAt,
  Console,
  Encoding,
  EncodingBits,
  EncodingItem,
  ExpandedInstruction,
  Expansion,
  Expr,
  Field,
  Func,
  Instruction,
  Isa,
  LValue,
  Memory,
  Mode,
  Operand,
  Param,
  Pseudo,
  Register,
  RegisterFile,
  Relative,
  Span,
  Stmt,
  SyntaxPart,
  Translation,
  Trap,
  TrapKind,
  View,
} from './types.js';
import { MAX_WIDTH } from './types.js';
import { fixedBits, operandPattern } from './encoding.js';
import { assertNever } from './walk.js';
import { MAX_DECLARATIONS, MAX_FILE_REGISTERS, MAX_INLINED_NODES, MAX_IR_NODES, MAX_LOOP_ITERATIONS, MAX_MEMORY_LOG2, MAX_STATE_BITS } from './limits.js';

/** Where the front end reads files; never throws (undefined = cannot read). */
export interface FileHost {
  readFile(path: string): string | undefined;
  /** The path with symbolic links resolved (undefined: cannot tell); lets `extends` confinement see through links. */
  realPath?(path: string): string | undefined;
}

export interface CheckOptions {
  /**
   * Let `extends` name files outside the folder tree of the spec being checked (the CLI's
   * --allow-extends-outside). Off by default: a spec from a student or a download must not make
   * isavirt read `../../etc/passwd`.
   */
  allowExtendsOutside?: boolean;
}

/**
 * The file an `extends "rel"` in `fromFile` names, or `outside` (the folder it must stay in) when it
 * leaves the folder tree of `rootFile`, the spec being checked. One rule for the CLI and the LSP.
 */
export function resolveExtends(
  fromFile: string,
  rel: string,
  rootFile: string,
  opts: CheckOptions = {},
  host?: FileHost,
): { path: string } | { outside: string } {
  const path = join(dirname(fromFile), rel);
  if (opts.allowExtendsOutside) return { path };
  const inside = (root: string, p: string): boolean => {
    const r = relative(root, p);
    return r !== '' && !r.startsWith('..') && !isAbsolute(r);
  };
  const root = resolve(dirname(rootFile));
  if (!inside(root, resolve(path))) return { outside: dirname(rootFile) };
  // A symbolic link inside the tree may point out of it: compare where both really are.
  const realRoot = host?.realPath?.(root);
  const realPath = host?.realPath?.(path);
  if (realRoot !== undefined && realPath !== undefined && !inside(realRoot, realPath)) return { outside: dirname(rootFile) };
  return { path };
}

export { MAX_IR_NODES } from './limits.js';

export const CLAIMS: readonly Claim[] = [
  'privileged',
  'sensitive',
  'control-sensitive',
  'mode-sensitive',
  'location-sensitive',
  'user-sensitive',
  'innocuous',
  'timing-dependent',
];

const BUILTIN_FUNCS = ['slt', 'sle', 'sgt', 'sge', 'sdiv', 'srem', 'zext', 'sext'];

export const hex = (v: bigint): string => '0x' + v.toString(16);
const mask = (w: number): bigint => (1n << BigInt(w)) - 1n;
/** `1 bit`, `8 bits`: widths in messages. */
const bits = (n: number): string => (n === 1 ? '1 bit' : `${n} bits`);
const bitsFor = (v: bigint): number => Math.max(1, v.toString(2).length);
const isPow2 = (v: bigint): boolean => v > 0n && (v & (v - 1n)) === 0n;
const log2 = (v: number): number => Math.round(Math.log2(v));
/** Address width of a region of `size` words (at least 1 bit). */
export const addrWidth = (size: number): number => Math.max(1, log2(size));

class Abort extends Error {}

// ---------------------------------------------------------------------------------------------
// Merging `extends`

type SingleKind = 'endian' | 'modes' | 'guest' | 'fetch' | 'console' | 'reset' | 'trapEntry' | 'names';
const singleKinds: ReadonlySet<string> = new Set<SingleKind>(['endian', 'modes', 'guest', 'fetch', 'console', 'reset', 'trapEntry', 'names']);
const singleWord: Record<SingleKind, string> = {
  endian: 'endian',
  modes: 'modes',
  guest: 'guest mode',
  fetch: 'fetch',
  console: 'console',
  reset: 'reset',
  trapEntry: 'trap entry',
  names: 'names',
};

/** Namespaces: everything an expression can name shares one; traps, instructions, assumptions have their own. */
function namespaceOf(k: string): string {
  switch (k) {
    case 'register':
    case 'registers':
    case 'memory':
    case 'view':
    case 'translate':
    case 'function':
      return 'value';
    case 'pseudo':
      return 'instruction'; // an expansion names instructions: a pseudo-instruction may not share a name
    default:
      return k;
  }
}

const kindWords: Record<string, string> = {
  register: 'a register',
  registers: 'a register file',
  memory: 'a memory',
  view: 'a view',
  translate: 'a translation',
  function: 'a function',
  trap: 'a trap',
  instruction: 'an instruction',
  pseudo: 'a pseudo-instruction',
  assume: 'an assumption',
};

type NamedDecl = Exclude<A.Decl, { k: 'remove' } | { k: SingleKind } | { k: 'trapVector' }>;

function declName(d: A.Decl): A.Name | undefined {
  return 'name' in d ? d.name : undefined;
}

function declKey(d: A.Decl): string {
  if (singleKinds.has(d.k)) return 'single:' + d.k;
  if (d.k === 'trapVector') return 'trapVector:' + d.vector.value;
  const n = declName(d)!;
  return namespaceOf(d.k) + ':' + n.text;
}

interface MergeResult {
  decls: A.Decl[];
  name: A.Name;
  doc?: string;
  extendsFiles: string[];
}

function fmtSpan(s: Span): string {
  return `${s.file}:${s.line}:${s.col}`;
}

class Merger {
  readonly diagnostics: Diagnostic[] = [];
  readonly extendsFiles: string[] = [];
  /** The base specs' ASTs, each after its own bases (outermost first): the LSP indexes them. */
  readonly bases: A.SpecFile[] = [];
  private readonly done = new Set<string>();
  private rootFile = '';
  constructor(
    private readonly host: FileHost,
    private readonly opts: CheckOptions = {},
  ) {}

  merge(root: A.SpecFile): MergeResult {
    this.rootFile = root.file;
    const decls: A.Decl[] = [];
    this.mergeInto(root, decls, [root.file]);
    const r: MergeResult = { decls, name: root.name, extendsFiles: this.extendsFiles };
    if (root.doc !== undefined) r.doc = root.doc;
    return r;
  }

  private mergeInto(spec: A.SpecFile, decls: A.Decl[], stack: string[]): void {
    this.done.add(spec.file);
    const bases: A.SpecFile[] = [];
    for (const ext of spec.extends) {
      const where = resolveExtends(spec.file, ext.path, this.rootFile, this.opts, this.host);
      if ('outside' in where) {
        this.diagnostics.push(diag(Diagnostics.ExtendsOutside, [ext.path, where.outside], ext.span));
        continue;
      }
      const path = where.path;
      if (stack.includes(path)) {
        this.diagnostics.push(diag(Diagnostics.ExtendsCycle, [[...stack.slice(stack.indexOf(path)), path].join(' -> ')], ext.span));
        continue;
      }
      if (this.done.has(path)) continue; // diamond: a base already merged once
      if (path.endsWith('.json')) {
        this.diagnostics.push(diag(Diagnostics.ExtendsJson, [ext.path], ext.span));
        continue;
      }
      const text = this.host.readFile(path);
      if (text === undefined) {
        this.diagnostics.push(diag(Diagnostics.CannotReadFile, [path], ext.span));
        continue;
      }
      const parsed = parseText(text, path);
      // A file that is not a spec at all (`extends "/etc/passwd"`) is named, never quoted: its
      // diagnostics would show its first line.
      if (!parsed.ast && parsed.tokens[0]?.image !== 'isa') {
        this.diagnostics.push(diag(Diagnostics.ExtendsNotSpec, [ext.path], ext.span));
        continue;
      }
      this.diagnostics.push(...parsed.diagnostics);
      if (!parsed.ast) continue;
      this.extendsFiles.push(path);
      bases.push(parsed.ast);
    }
    for (const b of bases) {
      this.mergeInto(b, decls, [...stack, b.file]);
      this.bases.push(b);
    }
    for (const d of spec.decls) this.apply(d, decls);
  }

  /** Declarations by key, kept in step with the merged list (so lookups are not quadratic). */
  private readonly byKey = new Map<string, A.Decl>();

  private apply(d: A.Decl, decls: A.Decl[]): void {
    if (d.k === 'trapClause') {
      this.replaceClause(d, decls);
      return;
    }
    if (d.k === 'remove') {
      const key = namespaceOf(d.what) + ':' + d.name.text;
      const found = this.byKey.get(key);
      const i = found ? decls.indexOf(found) : -1;
      if (i < 0) {
        const names = decls.filter((x) => x.k === d.what).map((x) => declName(x)!.text);
        this.diagnostics.push(diag(Diagnostics.RemoveMissing, [d.what, d.name.text], d.name.span, { hint: didYouMeanHint(d.name.text, names) }));
      } else if (decls[i]!.k !== d.what) {
        this.diagnostics.push(diag(Diagnostics.RemoveWrongKind, [d.name.text, kindWords[decls[i]!.k]!, kindWords[d.what]!], d.name.span));
      } else {
        decls.splice(i, 1);
        this.byKey.delete(key);
      }
      return;
    }
    const key = declKey(d);
    const existing = this.byKey.get(key);
    if (existing) {
      const i = decls.indexOf(existing);
      if (d.replace) {
        decls[i] = d;
        this.byKey.set(key, d);
      } else if (singleKinds.has(d.k)) {
        this.diagnostics.push(diag(Diagnostics.SingleDeclRepeated, [singleWord[d.k as SingleKind]], d.span));
      } else if (d.k === 'trapVector') {
        this.diagnostics.push(diag(Diagnostics.DuplicateDeclaration, ['trap entry vector', d.vector.text, fmtSpan(existing.span)], d.vector.span));
      } else {
        const prev = decls[i] as NamedDecl;
        const what = prev.k === d.k ? kindWords[d.k]!.replace(/^an? /, '') : 'name';
        this.diagnostics.push(diag(Diagnostics.DuplicateDeclaration, [what, prev.name.text, fmtSpan(prev.name.span)], (d as NamedDecl).name.span));
      }
      return;
    }
    if (d.replace) {
      if (d.k === 'trapVector') {
        this.diagnostics.push(diag(Diagnostics.ReplaceMissing, ['trap entry vector', d.vector.text], d.vector.span));
        return;
      }
      const n = declName(d);
      this.diagnostics.push(
        diag(
          Diagnostics.ReplaceMissing,
          [singleKinds.has(d.k) ? singleWord[d.k as SingleKind] : kindWords[d.k]!.replace(/^an? /, ''), n?.text ?? ''],
          n?.span ?? d.span,
        ),
      );
      return;
    }
    decls.push(d);
    this.byKey.set(key, d);
  }

  /** `replace trap entry clause NAME { ... }`: the merged trap entry with that clause's body
   *  replaced (a copy: the base's AST is left as it was read). */
  private replaceClause(d: Extract<A.Decl, { k: 'trapClause' }>, decls: A.Decl[]): void {
    if (!d.replace) {
      this.diagnostics.push(diag(Diagnostics.TrapClauseWithoutReplace, [d.name.text], d.name.span));
      return;
    }
    const entry = this.byKey.get('single:trapEntry') as Extract<A.Decl, { k: 'trapEntry' }> | undefined;
    const names = entry ? clausesOf(entry.body).map((c) => c.name.text) : [];
    if (!entry || !names.includes(d.name.text)) {
      const hint = entry
        ? (didYouMeanHint(d.name.text, names) ?? (names.length ? `its clauses: ${names.join(', ')}` : 'it has no clauses'))
        : 'there is no trap entry';
      this.diagnostics.push(diag(Diagnostics.UnknownTrapClause, [d.name.text], d.name.span, { hint }));
      return;
    }
    const replaced: A.Decl = { ...entry, body: withClause(entry.body, d.name.text, d.body) };
    decls[decls.indexOf(entry)] = replaced;
    this.byKey.set('single:trapEntry', replaced);
  }
}

/** The `clause` statements of a body, nested ones included, in source order. */
function clausesOf(body: readonly A.AstStmt[]): Extract<A.AstStmt, { k: 'clause' }>[] {
  const out: Extract<A.AstStmt, { k: 'clause' }>[] = [];
  const visit = (ss: readonly A.AstStmt[]): void => {
    for (const s of ss) {
      switch (s.k) {
        case 'clause':
          out.push(s);
          visit(s.body);
          break;
        case 'if':
          visit(s.then);
          if (s.else) visit(s.else);
          break;
        case 'for':
          visit(s.body);
          break;
        case 'let':
        case 'assign':
        case 'trap':
        case 'halt':
          break;
        default:
          assertNever(s, 'statement');
      }
    }
  };
  visit(body);
  return out;
}

/** A copy of `body` in which clause `name` has the statements `replacement`. */
function withClause(body: readonly A.AstStmt[], name: string, replacement: A.AstStmt[]): A.AstStmt[] {
  return body.map((s): A.AstStmt => {
    switch (s.k) {
      case 'clause':
        return s.name.text === name ? { ...s, body: replacement } : { ...s, body: withClause(s.body, name, replacement) };
      case 'if':
        return s.else
          ? { ...s, then: withClause(s.then, name, replacement), else: withClause(s.else, name, replacement) }
          : { ...s, then: withClause(s.then, name, replacement) };
      case 'for':
        return { ...s, body: withClause(s.body, name, replacement) };
      case 'let':
      case 'assign':
      case 'trap':
      case 'halt':
        return s;
      default:
        return assertNever(s, 'statement');
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Checking

type Where = 'instruction' | 'trapEntry' | 'reset' | 'translation' | 'function' | 'mode' | 'assume' | 'timer' | 'pseudo';
const whereWords: Record<Where, string> = {
  instruction: 'instruction semantics',
  trapEntry: 'the trap entry',
  reset: 'the reset block',
  translation: 'a translation',
  function: 'a function',
  mode: 'a mode predicate',
  assume: 'an assumption',
  timer: 'a timer condition',
  pseudo: 'a pseudo-instruction',
};

type Local = { k: 'let'; irName: string; width: number; span: Span } | { k: 'index'; value: bigint; to: bigint; span: Span };

class Scope {
  private readonly names = new Map<string, Local>();
  constructor(readonly parent?: Scope) {}
  get(n: string): Local | undefined {
    return this.names.get(n) ?? this.parent?.get(n);
  }
  set(n: string, l: Local): void {
    this.names.set(n, l);
  }
  all(): string[] {
    return [...this.names.keys(), ...(this.parent?.all() ?? [])];
  }
}

interface Ctx {
  where: Where;
  /** Name of the declaration being checked (for messages). */
  owner: string;
  operands?: Map<string, Operand>;
  params?: Map<string, Param>;
  scope: Scope;
  /** Suffix that makes let names unique in unrolled loop iterations. */
  iter: string;
  /** For functions: only functions declared before this index may be called. */
  fnIndex?: number;
}

interface Global {
  kind: 'register' | 'registers' | 'memory' | 'view' | 'translate' | 'function';
  span: Span;
}

export interface CheckResult {
  isa?: Isa;
  diagnostics: Diagnostic[];
  /** The ASTs of the specs it extends, each after its own bases: read once, for whoever needs them. */
  bases: A.SpecFile[];
}

class Checker {
  readonly diagnostics: Diagnostic[] = [];
  private nodes = 0;
  private readonly globals = new Map<string, Global>();
  private readonly regs = new Map<string, Register>();
  private readonly files = new Map<string, RegisterFile>();
  /** Register files with a register hard-wired to zero (`zero N`): the file's name -> N. */
  private readonly zeroes = new Map<string, bigint>();
  private readonly mems = new Map<string, Memory>();
  private readonly views = new Map<string, View>();
  private readonly trans = new Map<string, Translation>();
  private readonly funcs = new Map<string, { fn: Func; index: number }>();
  private readonly traps = new Map<string, Trap>();
  private pcWidth = 1;

  constructor(
    private readonly merged: MergeResult,
    private readonly source: string,
    private readonly rootSpan: Span,
  ) {}

  private error(t: DiagnosticTemplate, args: readonly (string | number)[], span: Span, hint?: string): void {
    this.diagnostics.push(diag(t, args, span, hint === undefined ? undefined : { hint }));
  }

  /** IR nodes of the body being checked with every call inlined, and its heaviest callee. */
  private inlined = 0;
  private heaviest: { name: string; size: number } | undefined;
  /** Each function's inlined size and the call chain that makes it large (for the message). */
  private readonly inlinedSize = new Map<string, { size: number; chain: string[] }>();
  /** One report of an oversized expansion: every caller of that function is oversized too. */
  private expansionReported = false;

  /**
   * Check one body (`run`) and bound its size once calls are inlined: the machine and the solver
   * inline every call, and functions calling functions multiply (2^40 nodes from 196 lines).
   */
  private measured<T>(what: string, name: string, span: Span, run: () => T): { value: T; size: number; chain: string[] } {
    const saved = { inlined: this.inlined, heaviest: this.heaviest };
    this.inlined = 0;
    this.heaviest = undefined;
    const value = run();
    const size = this.inlined;
    const heaviest = this.heaviest as { name: string; size: number } | undefined;
    const chain = heaviest ? [heaviest.name, ...(this.inlinedSize.get(heaviest.name)?.chain ?? [])] : [];
    this.inlined = saved.inlined;
    this.heaviest = saved.heaviest;
    if (size > MAX_INLINED_NODES && !this.expansionReported) {
      this.expansionReported = true;
      this.error(
        Diagnostics.InlinedTooLarge,
        [what, size >= 1e15 ? 'about ' + size.toExponential(1) : size, MAX_INLINED_NODES, callChain([name, ...chain])],
        span,
      );
    }
    return { value, size, chain };
  }

  private count(n = 1): void {
    this.inlined += n;
    this.nodes += n;
    if (this.nodes > MAX_IR_NODES) {
      this.error(Diagnostics.SpecTooLarge, [MAX_IR_NODES], this.rootSpan);
      throw new Abort();
    }
  }

  private width(lit: A.NumberLit): number {
    if (lit.value < 1n || lit.value > BigInt(MAX_WIDTH)) {
      this.error(Diagnostics.WidthOutOfRange, [lit.text], lit.span);
      return 1;
    }
    return Number(lit.value);
  }

  run(): Isa | undefined {
    try {
      return this.check();
    } catch (e) {
      if (e instanceof Abort) return undefined;
      throw e;
    }
  }

  private check(): Isa | undefined {
    const ds = this.merged.decls;
    const of = <K extends A.Decl['k']>(k: K) => ds.filter((d): d is Extract<A.Decl, { k: K }> => d.k === k);

    // Declare every value name first so any declaration may refer to any other.
    for (const d of ds) {
      if (d.k === 'register' || d.k === 'registers' || d.k === 'memory' || d.k === 'view' || d.k === 'translate' || d.k === 'function') {
        this.globals.set(d.name.text, { kind: d.k, span: d.name.span });
      }
    }
    if (ds.length > MAX_DECLARATIONS) {
      this.error(Diagnostics.TooManyDeclarations, [ds.length, MAX_DECLARATIONS], this.rootSpan);
      return undefined;
    }
    const endian = of('endian')[0]?.order ?? 'little';
    const registers = of('register').map((d) => this.register(d));
    const files = of('registers').map((d) => this.registerFile(d));
    // Before any later stage allocates the machine's state: registers and files are held whole.
    const stateBits = registers.reduce((n, r) => n + r.width, 0) + files.reduce((n, f) => n + f.count * f.width, 0);
    if (stateBits > MAX_STATE_BITS) {
      this.error(Diagnostics.StateTooLarge, [stateBits, MAX_STATE_BITS], this.rootSpan);
      return undefined;
    }
    const memories = of('memory').map((d) => this.memory(d));
    for (const d of of('trap')) this.traps.set(d.name.text, this.trapHeader(d));

    const fetchDecl = of('fetch')[0];
    if (fetchDecl) {
      const pc = this.regs.get(fetchDecl.pc.text);
      if (pc) this.pcWidth = pc.width;
    }
    // Views are known by name before translations are checked (a translation may not read one).
    for (const d of of('view')) this.views.set(d.name.text, { name: d.name.text, memory: d.memory.text, translation: d.translation.text, span: d.span });
    const functions: Func[] = [];
    of('function').forEach((d, i) => {
      const fn = this.func(d, i);
      this.funcs.set(fn.name, { fn, index: i });
      functions.push(fn);
    });
    const translations = of('translate').map((d) => this.translation(d));
    const views = of('view').map((d) => this.view(d));

    const modesDecl = of('modes')[0];
    const modes: Mode[] = [];
    if (!modesDecl || modesDecl.modes.length === 0) {
      this.error(Diagnostics.NoModes, [], modesDecl?.span ?? this.merged.name.span);
    } else {
      const seen = new Map<string, Span>();
      for (const m of modesDecl.modes) {
        const prev = seen.get(m.name.text);
        if (prev) this.error(Diagnostics.DuplicateDeclaration, ['mode', m.name.text, fmtSpan(prev)], m.name.span);
        seen.set(m.name.text, m.name.span);
        const ctx = this.ctx('mode', m.name.text);
        const when = this.measured(`mode '${m.name.text}'`, m.name.text, m.name.span, () => this.bool(m.when, ctx, 'a mode predicate')).value;
        const mode: Mode = { name: m.name.text, when, span: m.span };
        if (m.doc !== undefined) mode.doc = m.doc;
        modes.push(mode);
      }
    }
    const guestDecl = of('guest')[0];
    let guestMode = modes[modes.length - 1]?.name ?? '';
    if (guestDecl) {
      if (modes.some((m) => m.name === guestDecl.mode.text)) guestMode = guestDecl.mode.text;
      else if (modes.length > 0)
        this.error(
          Diagnostics.UnknownMode,
          [guestDecl.mode.text],
          guestDecl.mode.span,
          didYouMeanHint(
            guestDecl.mode.text,
            modes.map((m) => m.name),
          ),
        );
    }

    const traps = of('trap').map((d) => this.trapBody(d));
    let fetch: Isa['fetch'] = { space: '', pc: '', span: this.merged.name.span };
    let fetchWordWidth = 8;
    if (!fetchDecl) this.error(Diagnostics.MissingFetch, [], this.merged.name.span);
    else {
      const r = this.fetch(fetchDecl);
      fetch = r.fetch;
      fetchWordWidth = r.wordWidth;
    }
    const assumptions = of('assume').map((d) => {
      const holds = this.measured(`assumption '${d.name.text}'`, d.name.text, d.name.span, () =>
        this.bool(d.holds, this.ctx('assume', d.name.text), 'an assumption'),
      ).value;
      const a: Assumption = { name: d.name.text, holds, span: d.span };
      if (d.doc !== undefined) a.doc = d.doc;
      return a;
    });
    const te = of('trapEntry')[0];
    if (te) this.uniqueClauses(te.body);
    let trapEntry = te ? this.measured('the trap entry', 'trap entry', te.span, () => this.block(te.body, this.ctx('trapEntry', 'trap entry'))).value : [];
    trapEntry = this.vectorEntries(of('trapVector'), trapEntry, te !== undefined);
    const rs = of('reset')[0];
    const reset = rs ? this.measured('the reset block', 'reset', rs.span, () => this.block(rs.body, this.ctx('reset', 'reset'))).value : [];

    const instrDecls = of('instruction');
    if (instrDecls.length === 0) this.error(Diagnostics.NoInstructions, [], this.merged.name.span);
    const instructions = instrDecls.map((d) => this.instruction(d, fetchWordWidth));
    this.checkOverlaps(instructions, instrDecls);
    const pseudos = of('pseudo').map((d) => this.pseudo(d, instructions));
    // Declared before every instruction it expands to: an alias the disassembler prints.
    const declIndex = new Map(ds.map((d, i) => [d, i]));
    const instrIndex = new Map(instrDecls.map((d) => [d.name.text, declIndex.get(d)!]));
    of('pseudo').forEach((d, i) => {
      const targets = pseudos[i]!.expansions.flatMap((e) => e.instructions.map((x) => instrIndex.get(x.mnemonic) ?? -1));
      if (targets.length > 0 && targets.every((t) => t > declIndex.get(d)!)) pseudos[i]!.alias = true;
    });

    if (this.diagnostics.some((d) => d.severity === 'error')) return undefined;
    const isa: Isa = {
      format: 'isavirt-ir',
      version: 1,
      name: this.merged.name.text,
      ...(this.merged.doc !== undefined ? { doc: this.merged.doc } : {}),
      source: this.source,
      extends: this.merged.extendsFiles,
      endian,
      registers,
      files,
      memories,
      views,
      translations,
      functions,
      modes,
      guestMode,
      traps,
      trapEntry,
      reset,
      fetch,
      assumptions,
      instructions,
    };
    const namesDecl = of('names')[0];
    if (namesDecl) isa.symbols = this.symbols(namesDecl);
    const consoleDecl = of('console')[0];
    if (consoleDecl) {
      const c = this.console(consoleDecl);
      if (!c) return undefined;
      isa.console = c;
    }
    if (pseudos.length > 0) isa.pseudos = pseudos;
    return isa;
  }

  private ctx(where: Where, owner: string, extra?: Partial<Ctx>): Ctx {
    return { where, owner, scope: new Scope(), iter: '', ...extra };
  }

  // ---- State declarations ----

  private register(d: Extract<A.Decl, { k: 'register' }>): Register {
    const width = this.width(d.width);
    const role = d.role ?? 'plain';
    let init = 0n;
    if (d.init) {
      if (d.init.value > mask(width)) this.error(Diagnostics.LiteralTooWide, [d.init.text, bits(width)], d.init.span);
      else init = d.init.value;
    }
    const fields: Field[] = [];
    const seen = new Map<string, Span>();
    for (const f of d.fields) {
      const prev = seen.get(f.name.text);
      if (prev) this.error(Diagnostics.DuplicateDeclaration, ['field', f.name.text, fmtSpan(prev)], f.name.span);
      seen.set(f.name.text, f.name.span);
      const hi = Number(f.hi.value);
      const lo = f.lo ? Number(f.lo.value) : hi;
      if (f.hi.value >= BigInt(width) || (f.lo && f.lo.value > f.hi.value)) {
        this.error(Diagnostics.FieldOutOfRange, [f.name.text, f.hi.text, f.lo?.text ?? f.hi.text, d.name.text, width], f.span);
      }
      const field: Field = { name: f.name.text, hi, lo, role: f.role ?? role, span: f.span };
      if (f.doc !== undefined) field.doc = f.doc;
      fields.push(field);
    }
    const r: Register = { name: d.name.text, width, role, readonly: d.readonly, clock: d.clock, init: hex(init), fields, span: d.span };
    if (d.doc !== undefined) r.doc = d.doc;
    this.regs.set(r.name, r);
    return r;
  }

  private registerFile(d: Extract<A.Decl, { k: 'registers' }>): RegisterFile {
    const width = this.width(d.width);
    const max = BigInt(MAX_FILE_REGISTERS);
    if (!isPow2(d.count.value) || d.count.value > max)
      this.error(Diagnostics.NotPowerOfTwo, [`a register file size (at most ${MAX_FILE_REGISTERS})`, d.count.text], d.count.span);
    const count = isPow2(d.count.value) && d.count.value <= max ? Number(d.count.value) : 1;
    if (d.names.length > 0 && d.names.length !== count) this.error(Diagnostics.NamesCount, [d.name.text, d.count.text, d.names.length], d.span);
    const seen = new Map<string, Span>();
    for (const n of d.names) {
      const prev = seen.get(n.text.toLowerCase());
      if (prev) this.error(Diagnostics.DuplicateDeclaration, ['register name', n.text, fmtSpan(prev)], n.span);
      seen.set(n.text.toLowerCase(), n.span);
    }
    if (d.zero) {
      if (d.zero.value >= BigInt(count)) this.error(Diagnostics.ZeroOutOfRange, [d.zero.text, d.name.text, count], d.zero.span);
      else this.zeroes.set(d.name.text, d.zero.value);
    }
    const f: RegisterFile = { name: d.name.text, count, width, role: d.role ?? 'plain', readonly: d.readonly, names: d.names.map((n) => n.text), span: d.span };
    if (d.doc !== undefined) f.doc = d.doc;
    this.files.set(f.name, f);
    return f;
  }

  private memory(d: Extract<A.Decl, { k: 'memory' }>): Memory {
    const wordWidth = this.width(d.wordWidth);
    let size = 1;
    if (!isPow2(d.size.value)) this.error(Diagnostics.NotPowerOfTwo, ['a memory size', d.size.text], d.size.span);
    else if (d.size.value > 1n << BigInt(MAX_MEMORY_LOG2)) this.error(Diagnostics.MemoryTooLarge, [d.size.text, MAX_MEMORY_LOG2], d.size.span);
    else size = Number(d.size.value);
    const m: Memory = { name: d.name.text, wordWidth, size, role: d.role ?? 'plain', span: d.span };
    if (d.doc !== undefined) m.doc = d.doc;
    this.mems.set(m.name, m);
    return m;
  }

  private trapHeader(d: Extract<A.Decl, { k: 'trap' }>): Trap {
    const kind = d.kind.text as TrapKind;
    if (d.vector.value > 255n) this.error(Diagnostics.BadVector, [d.vector.text], d.vector.span);
    const t: Trap = { name: d.name.text, kind, vector: Number(d.vector.value & 0xffn), span: d.span };
    if (d.doc !== undefined) t.doc = d.doc;
    return t;
  }

  private trapBody(d: Extract<A.Decl, { k: 'trap' }>): Trap {
    const t = this.traps.get(d.name.text)!;
    if (d.timer) {
      if (t.kind !== 'interrupt') this.error(Diagnostics.TimerNotInterrupt, [t.name, t.kind], d.kind.span);
      if (d.timer.period.value < 1n || d.timer.period.value > BigInt(Number.MAX_SAFE_INTEGER))
        this.error(Diagnostics.BadPeriod, [d.timer.period.text], d.timer.period.span);
      const when = this.measured(`the timer of '${t.name}'`, t.name, d.timer.period.span, () =>
        this.bool(d.timer!.when, this.ctx('timer', t.name), 'a timer condition'),
      ).value;
      // Rebuild so `timer` sits before doc/span in the JSON form.
      const out: Trap = { name: t.name, kind: t.kind, vector: t.vector, timer: { period: Number(d.timer.period.value), when }, span: t.span };
      if (t.doc !== undefined) out.doc = t.doc;
      return out;
    }
    return t;
  }

  private func(d: Extract<A.Decl, { k: 'function' }>, index: number): Func {
    const params = new Map<string, Param>();
    for (const p of d.params) {
      if (params.has(p.name.text)) this.error(Diagnostics.DuplicateDeclaration, ['parameter', p.name.text, d.name.text], p.name.span);
      else this.noShadow(p.name, undefined);
      params.set(p.name.text, { name: p.name.text, width: this.width(p.width) });
    }
    const resultWidth = this.width(d.resultWidth);
    const ctx = this.ctx('function', d.name.text, { params, fnIndex: index });
    const m = this.measured(`function '${d.name.text}'`, d.name.text, d.name.span, () => {
      const body = this.block(d.body, ctx, false);
      return { body, result: this.expect(d.result, resultWidth, ctx, `the result of '${d.name.text}'`) };
    });
    this.inlinedSize.set(d.name.text, { size: m.size, chain: m.chain });
    const { body, result } = m.value;
    const f: Func = { name: d.name.text, params: [...params.values()], resultWidth, body, result, span: d.span };
    if (d.doc !== undefined) f.doc = d.doc;
    return f;
  }

  private translation(d: Extract<A.Decl, { k: 'translate' }>): Translation {
    const param: Param = { name: d.param.name.text, width: this.width(d.param.width) };
    this.noShadow(d.param.name, undefined);
    const resultWidth = this.width(d.resultWidth);
    const ctx = this.ctx('translation', d.name.text, { params: new Map([[param.name, param]]) });
    const m = this.measured(`translation '${d.name.text}'`, d.name.text, d.name.span, () => {
      const body = this.block(d.body, ctx, false);
      return { body, result: this.expect(d.result, resultWidth, ctx, `the result of '${d.name.text}'`) };
    });
    // Every access through a view runs its translation: it counts like a call (memAccess).
    this.inlinedSize.set(`translation ${d.name.text}`, { size: m.size, chain: m.chain });
    const { body, result } = m.value;
    const t: Translation = { name: d.name.text, param, resultWidth, body, result, span: d.span };
    if (d.doc !== undefined) t.doc = d.doc;
    this.trans.set(t.name, t);
    return t;
  }

  private view(d: Extract<A.Decl, { k: 'view' }>): View {
    const mem = this.mems.get(d.memory.text);
    if (!mem) this.kindError(d.memory, 'memory', [...this.mems.keys()]);
    const tr = this.trans.get(d.translation.text);
    if (!tr) this.kindError(d.translation, 'translate', [...this.trans.keys()]);
    if (mem && tr && tr.resultWidth !== addrWidth(mem.size)) {
      this.error(Diagnostics.TranslationWidth, [tr.name, tr.resultWidth, mem.name, addrWidth(mem.size)], d.translation.span);
    }
    const v: View = { name: d.name.text, memory: d.memory.text, translation: d.translation.text, span: d.span };
    if (d.doc !== undefined) v.doc = d.doc;
    this.views.set(v.name, v);
    return v;
  }

  /** `name` should be of `kind` but is unknown or something else. */
  private kindError(name: A.Name, kind: Global['kind'], candidates: string[]): void {
    const g = this.globals.get(name.text);
    if (g) this.error(Diagnostics.WrongKindOfName, [name.text, kindWords[g.kind]!, kindWords[kind]!], name.span);
    else this.error(Diagnostics.UnknownName, [name.text], name.span, didYouMeanHint(name.text, candidates));
  }

  private fetch(d: Extract<A.Decl, { k: 'fetch' }>): { fetch: Isa['fetch']; wordWidth: number } {
    let wordWidth = 8;
    let spaceAddr: number | undefined;
    const mem = this.mems.get(d.space.text);
    const view = this.views.get(d.space.text);
    if (mem) {
      wordWidth = mem.wordWidth;
      spaceAddr = addrWidth(mem.size);
    } else if (view) {
      wordWidth = this.mems.get(view.memory)?.wordWidth ?? 8;
      spaceAddr = this.trans.get(view.translation)?.param.width;
    } else {
      this.kindError(d.space, 'memory', [...this.mems.keys(), ...this.views.keys()]);
    }
    const pc = this.regs.get(d.pc.text);
    if (!pc) this.kindError(d.pc, 'register', [...this.regs.keys()]);
    else if (spaceAddr !== undefined && pc.width !== spaceAddr) this.error(Diagnostics.PcWidth, [pc.name, pc.width, d.space.text, spaceAddr], d.pc.span);
    return { fetch: { space: d.space.text, pc: d.pc.text, span: d.span }, wordWidth };
  }

  /** The console's space must hold bytes (8-bit words) and the address must be one of its own. */
  private console(d: Extract<A.Decl, { k: 'console' }>): Console | undefined {
    const mem = this.mems.get(d.space.text);
    const view = this.views.get(d.space.text);
    const under = mem ?? (view ? this.mems.get(view.memory) : undefined);
    if (!mem && !view) {
      this.kindError(d.space, 'memory', [...this.mems.keys(), ...this.views.keys()]);
      return undefined;
    }
    if (under && under.wordWidth !== 8) {
      this.error(Diagnostics.ConsoleNotBytes, [d.space.text, under.wordWidth], d.space.span);
      return undefined;
    }
    // A memory's addresses are its word indices; a view's are its translation's parameter values.
    const limit = mem ? BigInt(mem.size) : 1n << BigInt(this.trans.get(view!.translation)?.param.width ?? 0);
    if (d.address.value >= limit || d.address.value > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.error(Diagnostics.ConsoleOutside, [d.address.text, d.space.text, '0x' + (limit - 1n).toString(16)], d.address.span);
      return undefined;
    }
    const c: Console = { space: d.space.text, address: Number(d.address.value), span: d.span };
    if (d.doc !== undefined) c.doc = d.doc;
    return c;
  }

  // ---- Instructions ----

  /** Each clause name of the trap entry once: `replace trap entry clause NAME` must name one. */
  private uniqueClauses(body: A.AstStmt[]): void {
    const seen = new Map<string, Span>();
    for (const c of clausesOf(body)) {
      const prev = seen.get(c.name.text);
      if (prev) this.error(Diagnostics.DuplicateDeclaration, ['clause', c.name.text, fmtSpan(prev)], c.name.span);
      else seen.set(c.name.text, c.name.span);
    }
  }

  /** `trap entry vector N { ... }` blocks wrapped around the trap entry: the IR is one entry that
   *  tests trap_vector, so later stages need nothing new. */
  private vectorEntries(ds: Extract<A.Decl, { k: 'trapVector' }>[], general: Stmt[], hasGeneral: boolean): Stmt[] {
    let out = general;
    const vectors = new Set([...this.traps.values()].map((t) => BigInt(t.vector)));
    for (const d of [...ds].reverse()) {
      if (!vectors.has(d.vector.value))
        this.error(Diagnostics.UnknownTrapVector, [d.vector.text], d.vector.span, `the traps' vectors: ${[...vectors].map(String).join(', ') || 'none'}`);
      if (!hasGeneral) this.error(Diagnostics.TrapVectorWithoutEntry, [d.vector.text], d.vector.span);
      const body = this.measured(`the trap entry of vector ${d.vector.text}`, 'trap entry', d.span, () =>
        this.block(d.body, this.ctx('trapEntry', 'trap entry')),
      ).value;
      const cond: Expr = {
        k: 'binop',
        width: 1,
        op: 'eq',
        a: { k: 'builtin', width: 8, name: 'trap_vector' },
        b: { k: 'const', width: 8, value: hex(d.vector.value & 0xffn) },
      };
      out = [{ k: 'if', cond, then: body, else: out, span: d.span }];
    }
    return out;
  }

  private operandDecls(decls: A.OperandDecl[]): Map<string, Operand> {
    const operands = new Map<string, Operand>();
    for (const o of decls) {
      if (operands.has(o.name.text)) {
        this.error(Diagnostics.DuplicateDeclaration, ['operand', o.name.text, fmtSpan(decls.find((x) => x.name.text === o.name.text)!.name.span)], o.name.span);
        continue;
      }
      this.noShadow(o.name, undefined);
      let op: Operand;
      if (o.kind === 'reg') {
        const file = this.files.get(o.file!.text);
        if (!file) {
          const g = this.globals.get(o.file!.text);
          if (g) this.error(Diagnostics.WrongKindOfName, [o.file!.text, kindWords[g.kind]!, kindWords.registers!], o.file!.span);
          else this.error(Diagnostics.UnknownRegisterFile, [o.file!.text], o.file!.span, didYouMeanHint(o.file!.text, this.files.keys()));
        }
        op = { name: o.name.text, kind: 'reg', width: addrWidth(file?.count ?? 2), file: o.file!.text };
      } else {
        op = { name: o.name.text, kind: o.kind, width: this.width(o.width!) };
      }
      operands.set(op.name, op);
    }
    return operands;
  }

  private instruction(d: Extract<A.Decl, { k: 'instruction' }>, fetchWordWidth: number): Instruction {
    const mn = d.name.text;
    const operands = this.operandDecls(d.operands);

    const byKind = new Map<string, A.Clause>();
    for (const c of d.clauses) {
      if (byKind.has(c.k)) this.error(Diagnostics.DuplicateClause, [mn, c.k], c.span);
      else byKind.set(c.k, c);
    }
    const syn = byKind.get('syntax') as Extract<A.Clause, { k: 'syntax' }> | undefined;
    const syntax = syn ? this.syntax(syn, mn, operands) : defaultSyntax(mn, [...operands.keys()]);

    const enc = byKind.get('encoding') as Extract<A.Clause, { k: 'encoding' }> | undefined;
    let encoding: Encoding = { width: 0, items: [], mask: '0x0', match: '0x0' };
    if (!enc) this.error(Diagnostics.MissingClause, [mn, 'encoding'], d.name.span);
    else encoding = this.encoding(enc, d, operands, fetchWordWidth);

    const cl = byKind.get('claims') as Extract<A.Clause, { k: 'claims' }> | undefined;
    const claims: ClaimAt[] = [];
    if (cl) {
      const seen = new Set<string>();
      for (const c of cl.claims) {
        if (!(CLAIMS as readonly string[]).includes(c.claim)) {
          this.error(Diagnostics.UnknownClaim, [c.claim], c.span, didYouMeanHint(c.claim, CLAIMS));
          continue;
        }
        if (seen.has(c.claim)) this.error(Diagnostics.ConflictingClaims, [c.claim], c.span);
        seen.add(c.claim);
        claims.push({ claim: c.claim as Claim, negated: c.negated, span: c.span });
      }
    }
    const sem = byKind.get('semantics') as Extract<A.Clause, { k: 'semantics' }> | undefined;
    const semantics = sem
      ? this.measured(`the semantics of '${mn}'`, mn, sem.span, () => this.block(sem.body, this.ctx('instruction', mn, { operands }))).value
      : [];
    const ins: Instruction = { mnemonic: mn, operands: [...operands.values()], syntax, encoding, claims, semantics, span: d.span };
    if (d.doc !== undefined) ins.doc = d.doc;
    return ins;
  }

  /** A pseudo-instruction: its operands and syntax as an instruction's, each expansion a list of
   *  real instructions whose operand values are expressions over the pseudo's operands. */
  private pseudo(d: Extract<A.Decl, { k: 'pseudo' }>, instructions: Instruction[]): Pseudo {
    const mn = d.name.text;
    const operands = this.operandDecls(d.operands);
    const syntaxes = d.clauses.filter((c): c is Extract<A.PseudoClause, { k: 'syntax' }> => c.k === 'syntax');
    for (const c of syntaxes.slice(1)) this.error(Diagnostics.DuplicateClause, [mn, 'syntax'], c.span);
    const syntax = syntaxes[0] ? this.syntax(syntaxes[0], mn, operands) : defaultSyntax(mn, [...operands.keys()]);
    for (const p of syntax) {
      // Its targets are distances from its own address: the next address depends on the expansion.
      if (p.k === 'operand' && p.relative?.base === 'next_pc')
        this.error(
          Diagnostics.RelativeOperand,
          [p.name, 'next_pc', "a pseudo-instruction's targets are relative to its own address: write pc"],
          syntaxes[0]!.span,
        );
    }
    const byName = new Map(instructions.map((i) => [i.mnemonic, i]));
    const expansions: Expansion[] = [];
    for (const c of d.clauses) {
      if (c.k !== 'expand') continue;
      const ctx = this.ctx('pseudo', mn, { operands });
      const e: Expansion = { instructions: c.items.map((it) => this.expandedInstruction(it, mn, byName, operands, ctx)), span: c.span };
      if (c.when) e.when = this.bool(c.when, ctx, 'an expansion condition');
      expansions.push(e);
    }
    if (expansions.length === 0) this.error(Diagnostics.PseudoWithoutExpansion, [mn], d.name.span);
    const p: Pseudo = { mnemonic: mn, operands: [...operands.values()], syntax, expansions, span: d.span };
    if (d.doc !== undefined) p.doc = d.doc;
    return p;
  }

  private expandedInstruction(it: A.ExpandItem, mn: string, byName: Map<string, Instruction>, operands: Map<string, Operand>, ctx: Ctx): ExpandedInstruction {
    const target = byName.get(it.instruction.text);
    const out: ExpandedInstruction = { mnemonic: it.instruction.text, operands: [], span: it.span };
    if (!target) {
      const pseudoHint = this.merged.decls.some((x) => x.k === 'pseudo' && x.name.text === it.instruction.text)
        ? `'${it.instruction.text}' is a pseudo-instruction; an expansion lists real instructions`
        : undefined;
      this.error(
        Diagnostics.UnknownExpansionTarget,
        [mn, it.instruction.text],
        it.instruction.span,
        pseudoHint ?? didYouMeanHint(it.instruction.text, byName.keys()),
      );
      for (const a of it.args) this.infer(a, undefined, ctx, true);
      return out;
    }
    if (it.args.length !== target.operands.length) {
      this.error(Diagnostics.WrongArgCount, [target.mnemonic, target.operands.length, it.args.length], it.span);
      return out;
    }
    const kindOf = (o: Operand): string =>
      o.kind === 'reg'
        ? `a register of ${o.file}`
        : `${o.kind === 'simm' ? 'a signed' : o.kind === 'addr' ? 'an address' : 'an'} ${o.kind === 'addr' ? '' : 'immediate '}operand`.replace('  ', ' ');
    target.operands.forEach((op, i) => {
      const a = it.args[i]!;
      // A bare operand name carries its kind: a register of one file is not a register of another, nor a number.
      const named = a.k === 'name' ? operands.get(a.name.text) : undefined;
      if (named && ((named.kind === 'reg') !== (op.kind === 'reg') || named.file !== op.file)) {
        this.error(Diagnostics.ExpansionOperandType, [op.name, target.mnemonic, kindOf(op), mn, `'${named.name}', ${kindOf(named)}`], a.span);
        out.operands.push({ k: 'const', width: op.width, value: '0x0' });
        return;
      }
      const v = this.infer(a, op.width, ctx);
      if (v.width !== op.width) this.error(Diagnostics.ExpansionDoesNotFit, [op.name, target.mnemonic, bits(op.width), mn, bits(v.width)], a.span);
      out.operands.push(v);
    });
    return out;
  }

  private syntax(c: Extract<A.Clause, { k: 'syntax' }>, mn: string, operands: Map<string, Operand>): SyntaxPart[] {
    const parts: SyntaxPart[] = [];
    const text = c.text;
    let i = 0;
    let buf = '';
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '{') {
        const close = text.indexOf('}', i);
        const hole = close < 0 ? '' : text.slice(i + 1, close);
        // `{off}`, or a PC-relative operand `{off:pc}`, `{rel:next_pc}`, `{off:pc+8}`.
        const colon = hole.indexOf(':');
        const name = colon < 0 ? hole : hole.slice(0, colon);
        if (close < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          this.error(Diagnostics.SyntaxMalformed, [close < 0 ? `'{' at offset ${i} is never closed` : `'{${hole}}' is not an operand hole`], c.span);
          return defaultSyntax(mn, [...operands.keys()]);
        }
        const op = operands.get(name);
        if (!op) this.error(Diagnostics.SyntaxHoleUnknown, [name, mn], c.span, didYouMeanHint(name, operands.keys()));
        let relative: Relative | undefined;
        if (colon >= 0) {
          const base = hole.slice(colon + 1);
          const m = /^(pc|next_pc)(?:([+-])([0-9]+))?$/.exec(base);
          if (!m) this.error(Diagnostics.RelativeOperand, [name, base, 'the base is pc or next_pc, optionally + or - a number (pc+8)'], c.span);
          else if (op && op.kind === 'reg') this.error(Diagnostics.RelativeOperand, [name, base, 'a register operand cannot be PC-relative'], c.span);
          else relative = { base: m[1] as Relative['base'], addend: m[3] === undefined ? 0 : (m[2] === '-' ? -1 : 1) * Number(m[3]) };
        }
        if (buf) parts.push({ k: 'text', text: buf });
        buf = '';
        parts.push(relative ? { k: 'operand', name, relative } : { k: 'operand', name });
        i = close + 1;
      } else if (ch === '}') {
        this.error(Diagnostics.SyntaxMalformed, [`'}' at offset ${i} has no matching '{'`], c.span);
        return defaultSyntax(mn, [...operands.keys()]);
      } else {
        buf += ch;
        i++;
      }
    }
    if (buf) parts.push({ k: 'text', text: buf });
    for (const o of operands.keys()) {
      if (!parts.some((p) => p.k === 'operand' && p.name === o)) this.diagnostics.push(diag(Diagnostics.OperandNotInSyntax, [o, mn], c.span));
    }
    return parts;
  }

  private encoding(
    c: Extract<A.Clause, { k: 'encoding' }>,
    d: Extract<A.Decl, { k: 'instruction' }>,
    operands: Map<string, Operand>,
    fetchWordWidth: number,
  ): Encoding {
    const mn = d.name.text;
    // Operand bits already placed, to report a bit placed twice (a slice may cover any bits).
    const placed = new Map<string, bigint>();
    const bits = (it: A.EncBits): EncodingBits | undefined => {
      if (it.k === 'fixed') {
        const w = this.width(it.width);
        if (it.value.value > mask(w)) this.error(Diagnostics.FixedTooWide, [it.value.text, w], it.span);
        return { k: 'fixed', width: w, value: hex(it.value.value & mask(w)) };
      }
      const name = it.operand.text;
      const op = operands.get(name);
      if (!op) {
        this.error(Diagnostics.FieldNotOperand, [name, mn], it.operand.span, didYouMeanHint(name, operands.keys()));
        return it.width ? { k: 'field', operand: name, width: this.width(it.width), lo: 0 } : undefined;
      }
      let width: number;
      let lo = 0;
      if (it.hi) {
        // `off[10..5]`: operand bits hi..lo; `off[11]`: one bit.
        const hi = Number(it.hi.value);
        lo = it.lo ? Number(it.lo.value) : hi;
        const text = it.lo ? `${name}[${it.hi.text}..${it.lo.text}]` : `${name}[${it.hi.text}]`;
        if (hi < lo) {
          this.error(Diagnostics.SliceReversed, [text, hi, lo], it.span);
          return undefined;
        }
        if (hi >= op.width) {
          this.error(Diagnostics.SliceOutsideOperand, [text, name, op.width - 1], it.span);
          return undefined;
        }
        width = hi - lo + 1;
      } else {
        // `rd` is the whole operand; `rd:8` the whole operand in a field at least as wide.
        width = it.width ? this.width(it.width) : op.width;
        if (width < op.width) this.error(Diagnostics.FieldTooNarrow, [name, width, op.width], it.span);
      }
      const cover = (mask(Math.min(width, op.width - lo)) << BigInt(lo)) & mask(op.width);
      const before = placed.get(name) ?? 0n;
      const twice = before & cover;
      if (twice !== 0n) {
        let b = 0;
        while (((twice >> BigInt(b)) & 1n) === 0n) b++;
        this.error(Diagnostics.OperandEncodedTwice, [name, mn, b], it.operand.span);
      }
      placed.set(name, before | cover);
      return { k: 'field', operand: name, width, lo };
    };
    const items: EncodingItem[] = [];
    let total = 0;
    for (const it of c.items) {
      if (it.k !== 'little') {
        const b = bits(it);
        if (b) {
          items.push(b);
          total += b.width;
        }
        continue;
      }
      const sub = it.items.map(bits).filter((b): b is EncodingBits => b !== undefined);
      const w = sub.reduce((n, b) => n + b.width, 0);
      if (w % fetchWordWidth !== 0) this.error(Diagnostics.LittleGroupWidth, [w, fetchWordWidth], it.span);
      items.push({ k: 'little', width: w, word: fetchWordWidth, items: sub });
      total += w;
    }
    for (const o of operands.keys()) if (!placed.has(o)) this.error(Diagnostics.OperandNotEncoded, [o, mn], c.span);
    if (total > MAX_WIDTH || total % fetchWordWidth !== 0) this.error(Diagnostics.EncodingWidth, [mn, total, fetchWordWidth], c.span);
    const enc: Encoding = { width: total, items, mask: '0x0', match: '0x0' };
    const placeable = total <= MAX_WIDTH && !items.some((i) => i.k === 'little' && i.width % fetchWordWidth !== 0);
    if (placeable) {
      const f = fixedBits(enc);
      enc.mask = hex(f.mask);
      enc.match = hex(f.match);
    }
    // Decode conditions: `when rb != 4` excludes the patterns where rb is 4.
    const exclude: NonNullable<Encoding['exclude']> = [];
    for (const w of c.when) {
      const op = operands.get(w.operand.text);
      if (!op) {
        this.error(Diagnostics.FieldNotOperand, [w.operand.text, mn], w.operand.span, didYouMeanHint(w.operand.text, operands.keys()));
        continue;
      }
      if (w.value.value > mask(op.width)) {
        this.error(Diagnostics.FixedTooWide, [w.value.text, op.width], w.value.span);
        continue;
      }
      const p = placeable ? operandPattern(enc, op.name, w.value.value) : { mask: 0n, match: 0n };
      exclude.push({ operand: op.name, value: hex(w.value.value), mask: hex(p.mask), match: hex(p.match) });
    }
    if (exclude.length) enc.exclude = exclude;
    return enc;
  }

  /** The `names` a program may write for values (assembler symbols), each at most 64 bits. */
  private symbols(d: Extract<A.Decl, { k: 'names' }>): AsmSymbol[] {
    const seen = new Map<string, Span>();
    const out: AsmSymbol[] = [];
    for (const n of d.names) {
      const prev = seen.get(n.name.text);
      if (prev) this.error(Diagnostics.DuplicateDeclaration, ['name', n.name.text, fmtSpan(prev)], n.name.span);
      seen.set(n.name.text, n.name.span);
      if (n.value.value > mask(MAX_WIDTH)) this.error(Diagnostics.FixedTooWide, [n.value.text, MAX_WIDTH], n.value.span);
      const s: AsmSymbol = { name: n.name.text, value: hex(n.value.value & mask(MAX_WIDTH)), span: n.span };
      if (n.doc !== undefined) s.doc = n.doc;
      out.push(s);
    }
    return out;
  }

  /** Two encodings overlap if some bit pattern matches both on their common (leading) bits. */
  private checkOverlaps(ins: Instruction[], decls: Extract<A.Decl, { k: 'instruction' }>[]): void {
    const enc = ins.map((i) => ({ w: i.encoding.width, m: BigInt(i.encoding.mask), v: BigInt(i.encoding.match) }));
    const valid = enc.map((e) => e.w > 0 && e.w <= MAX_WIDTH);
    // Bucket by the leading bits every encoding fixes, so only plausible pairs are compared.
    let lead = 16;
    for (let i = 0; i < enc.length; i++) {
      if (!valid[i]) continue;
      const e = enc[i]!;
      let n = 0;
      while (n < Math.min(e.w, lead) && ((e.m >> BigInt(e.w - 1 - n)) & 1n) === 1n) n++;
      lead = Math.min(lead, n);
    }
    const buckets = new Map<string, number[]>();
    for (let i = 0; i < enc.length; i++) {
      if (!valid[i]) continue;
      const e = enc[i]!;
      const key = lead === 0 ? '' : (e.v >> BigInt(e.w - lead)).toString(16);
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = []));
      b.push(i);
    }
    for (const b of buckets.values()) {
      for (let x = 0; x < b.length; x++) {
        for (let y = x + 1; y < b.length; y++) {
          const a = enc[b[x]!]!;
          const c = enc[b[y]!]!;
          const w = Math.min(a.w, c.w);
          const am = a.m >> BigInt(a.w - w);
          const av = a.v >> BigInt(a.w - w);
          const cm = c.m >> BigInt(c.w - w);
          const cv = c.v >> BigInt(c.w - w);
          // A decode condition of either that covers the whole overlap removes it.
          const inside = (e: Instruction['encoding'], ew: number) =>
            (e.exclude ?? []).some((x) => {
              // Only bits within the common leading part decide (a longer encoding's tail is free).
              if ((BigInt(x.mask) & mask(ew - w)) !== 0n) return false;
              const xm = BigInt(x.mask) >> BigInt(ew - w);
              const xv = BigInt(x.match) >> BigInt(ew - w);
              return (xm & ~(am | cm)) === 0n && ((av | cv) & xm) === xv;
            });
          if ((am & cm & (av ^ cv)) === 0n && !inside(ins[b[x]!]!.encoding, a.w) && !inside(ins[b[y]!]!.encoding, c.w)) {
            const pattern = bitPattern(av | cv, am | cm, w);
            const later = decls[b[y]!]!;
            const enc2 = later.clauses.find((cl) => cl.k === 'encoding');
            this.error(Diagnostics.EncodingOverlap, [ins[b[x]!]!.mnemonic, ins[b[y]!]!.mnemonic, pattern], enc2?.span ?? later.name.span);
          }
        }
      }
    }
  }

  // ---- Names ----

  /** A new name (let, loop index, operand, parameter) may not hide another. */
  private noShadow(n: A.Name, ctx: Ctx | undefined): void {
    let what: string | undefined;
    const g = this.globals.get(n.text);
    if (g) what = kindWords[g.kind] + ` declared at ${fmtSpan(g.span)}`;
    else if (ctx?.scope.get(n.text)) what = `an earlier local '${n.text}'`;
    else if (ctx?.operands?.has(n.text)) what = 'an operand';
    else if (ctx?.params?.has(n.text)) what = 'a parameter';
    else if (n.text === 'next_pc' || n.text === 'trap_vector' || n.text === 'return_pc' || BUILTIN_FUNCS.includes(n.text)) what = 'a built-in name';
    if (what) this.error(Diagnostics.Shadowing, [n.text, what], n.span);
  }

  private visibleNames(ctx: Ctx): string[] {
    const names = [...ctx.scope.all(), ...(ctx.operands?.keys() ?? []), ...(ctx.params?.keys() ?? [])];
    if (ctx.where !== 'function') names.push(...this.regs.keys());
    if (ctx.where === 'instruction') names.push('next_pc');
    if (ctx.where === 'trapEntry') names.push('trap_vector', 'return_pc');
    return names;
  }

  // ---- Statements ----

  private block(stmts: A.AstStmt[], ctx: Ctx, fresh = true): Stmt[] {
    const inner: Ctx = fresh ? { ...ctx, scope: new Scope(ctx.scope) } : ctx;
    const out: Stmt[] = [];
    for (const s of stmts) this.stmt(s, inner, out);
    return out;
  }

  /** A function or a pseudo-instruction's expression names state: each has its own rule. */
  private readsState(ctx: Ctx, name: string, span: Span): void {
    this.error(ctx.where === 'function' ? Diagnostics.FunctionReadsState : Diagnostics.PseudoReadsState, [ctx.owner, name], span);
  }

  private notAllowed(what: string, ctx: Ctx, span: Span): void {
    this.error(Diagnostics.NotAllowedHere, [what, whereWords[ctx.where]], span);
  }

  private stmt(s: A.AstStmt, ctx: Ctx, out: Stmt[]): void {
    this.count();
    const pure = ctx.where === 'function';
    switch (s.k) {
      case 'let': {
        this.noShadow(s.name, ctx);
        let value: Expr;
        let width: number;
        if (s.width) {
          width = this.width(s.width);
          value = this.expect(s.value, width, ctx, `'${s.name.text}'`);
        } else {
          value = this.infer(s.value, undefined, ctx);
          width = value.width;
        }
        const irName = s.name.text + ctx.iter;
        ctx.scope.set(s.name.text, { k: 'let', irName, width, span: s.name.span });
        out.push({ k: 'let', name: irName, value, span: s.span });
        return;
      }
      case 'assign': {
        if (pure || ctx.where === 'translation') this.notAllowed('an assignment', ctx, s.span);
        const target = this.lvalue(s.target, ctx);
        if (!target) {
          this.infer(s.value, undefined, ctx, true);
          return;
        }
        const value = this.expect(s.value, target.width, ctx, describeTarget(s.target));
        const zero = target.k === 'file' ? this.zeroes.get(target.file) : undefined;
        if (target.k === 'file' && zero !== undefined) {
          // A write to a hard-wired register is ignored (the value is still computed: it may trap).
          const count = this.files.get(target.file)!.count;
          out.push({
            k: 'if',
            cond: { k: 'unop', width: 1, op: 'not', a: isRegister(target.index, zero, count) },
            then: [{ k: 'assign', target, value, span: s.span }],
            else: [],
            span: s.span,
          });
          return;
        }
        out.push({ k: 'assign', target, value, span: s.span });
        return;
      }
      case 'if': {
        if (pure) this.notAllowed("'if'", ctx, s.span);
        const cond = this.bool(s.cond, ctx, 'an if condition');
        const then = this.block(s.then, ctx);
        const els = s.else ? this.block(s.else, ctx) : [];
        out.push({ k: 'if', cond, then, else: els, span: s.span });
        return;
      }
      case 'trap': {
        if (pure || ctx.where === 'reset') this.notAllowed("'trap'", ctx, s.span);
        if (!this.traps.has(s.trap.text)) this.error(Diagnostics.UnknownTrap, [s.trap.text], s.trap.span, didYouMeanHint(s.trap.text, this.traps.keys()));
        out.push({ k: 'trap', trap: s.trap.text, span: s.span });
        return;
      }
      case 'clause': {
        // Its statements stand in its place (no scope of its own: see LANGUAGE.md).
        if (ctx.where !== 'trapEntry') this.notAllowed('a clause', ctx, s.span);
        for (const x of s.body) this.stmt(x, ctx, out);
        return;
      }
      case 'halt': {
        if (pure || ctx.where === 'translation') this.notAllowed("'halt'", ctx, s.span);
        out.push({ k: 'halt', span: s.span });
        return;
      }
      case 'for': {
        if (pure) this.notAllowed("'for'", ctx, s.span);
        this.noShadow(s.index, ctx);
        const from = s.from.value;
        const to = s.to.value;
        if (to < from || to - from + 1n > BigInt(MAX_LOOP_ITERATIONS)) {
          this.error(Diagnostics.LoopBounds, [s.from.text, s.to.text], s.span);
          return;
        }
        for (let i = from; i <= to; i++) {
          const scope = new Scope(ctx.scope);
          scope.set(s.index.text, { k: 'index', value: i, to, span: s.index.span });
          const iterCtx: Ctx = { ...ctx, scope, iter: `${ctx.iter}.${i}` };
          for (const b of s.body) this.stmt(b, iterCtx, out);
          // Errors in the body would repeat once per iteration: stop after the first.
          if (this.diagnostics.length > 0 && i === from && this.diagnostics.some((d) => inside(d.span, s.span))) break;
        }
        return;
      }
      default:
        assertNever(s, 'statement');
    }
  }

  private lvalue(e: A.AstExpr, ctx: Ctx): LValue | undefined {
    const bad = (what: string): undefined => {
      this.error(Diagnostics.NotAssignable, [what], e.span);
      return undefined;
    };
    switch (e.k) {
      case 'paren':
        return this.lvalue(e.a, ctx);
      case 'name': {
        const n = e.name.text;
        const local = ctx.scope.get(n);
        if (local) return bad(local.k === 'let' ? `'${n}': a let name is immutable` : `the loop index '${n}'`);
        if (ctx.operands?.has(n)) return bad(`the operand '${n}'`);
        if (ctx.params?.has(n)) return bad(`the parameter '${n}'`);
        const r = this.regs.get(n);
        if (r) {
          if (r.readonly) this.error(Diagnostics.ReadonlyAssignment, [n], e.span);
          this.count();
          return { k: 'reg', reg: n, width: r.width };
        }
        const g = this.globals.get(n);
        if (g) {
          this.error(Diagnostics.NotAValue, [n, kindWords[g.kind]!], e.span);
          return undefined;
        }
        if (n === 'next_pc' || n === 'trap_vector' || n === 'return_pc') return bad(`the built-in '${n}'`);
        this.error(Diagnostics.UnknownName, [n], e.span, didYouMeanHint(n, this.visibleNames(ctx)));
        return undefined;
      }
      case 'member': {
        if (e.base.k !== 'name') return bad('this expression');
        const r = this.regs.get(e.base.name.text);
        if (!r) {
          this.infer(e, undefined, ctx, true);
          return undefined;
        }
        const f = r.fields.find((x) => x.name === e.field.text);
        if (!f) {
          this.error(
            Diagnostics.UnknownField,
            [r.name, e.field.text],
            e.field.span,
            didYouMeanHint(
              e.field.text,
              r.fields.map((x) => x.name),
            ),
          );
          return undefined;
        }
        if (r.readonly) this.error(Diagnostics.ReadonlyAssignment, [`${r.name}.${f.name}`], e.span);
        this.count();
        return { k: 'field', reg: r.name, field: f.name, hi: f.hi, lo: f.lo, width: f.hi - f.lo + 1 };
      }
      case 'index': {
        if (e.base.k === 'name' && !e.lo) {
          const n = e.base.name.text;
          const file = this.files.get(n);
          if (file && !ctx.scope.get(n) && !ctx.operands?.has(n)) {
            if (e.words) return bad(`several words of the register file '${n}'`);
            if (file.readonly) this.error(Diagnostics.ReadonlyAssignment, [n], e.span);
            const index = this.index(e.index, addrWidth(file.count), ctx);
            this.count();
            return { k: 'file', file: n, index, width: file.width };
          }
          const space = this.space(n);
          if (space && !ctx.scope.get(n) && !ctx.operands?.has(n)) {
            const acc = this.memAccess(e, n, space, ctx);
            if (!acc) return undefined;
            this.count();
            return { k: 'mem', space: n, addr: acc.addr, words: acc.words, width: acc.width };
          }
        }
        return bad('a bit or a slice (declare a field instead)');
      }
      case 'num':
      case 'char':
      case 'call':
      case 'unary':
      case 'binary':
      case 'cond':
        return bad('an expression');
      default:
        return assertNever(e, 'expression');
    }
  }

  // ---- Expressions ----

  /** `space` = a memory or view: word width and the address width its index must have. */
  private space(n: string): { wordWidth: number; addrWidth: number; view: boolean; exact: boolean } | undefined {
    const m = this.mems.get(n);
    if (m) return { wordWidth: m.wordWidth, addrWidth: addrWidth(m.size), view: false, exact: false };
    const v = this.views.get(n);
    if (v) {
      const mem = this.mems.get(v.memory);
      const tr = this.trans.get(v.translation);
      return { wordWidth: mem?.wordWidth ?? 8, addrWidth: tr?.param.width ?? 1, view: true, exact: true };
    }
    return undefined;
  }

  private memAccess(
    e: Extract<A.AstExpr, { k: 'index' }>,
    n: string,
    space: NonNullable<ReturnType<Checker['space']>>,
    ctx: Ctx,
  ): { addr: Expr; words: number; width: number } | undefined {
    if (ctx.where === 'function' || ctx.where === 'pseudo') this.readsState(ctx, n, e.span);
    if (ctx.where === 'mode') this.error(Diagnostics.ModePredicateReadsNonMode, [n], e.span);
    if (ctx.where === 'translation' && space.view) this.error(Diagnostics.ViewInTranslation, [ctx.owner, n], e.span);
    const view = this.views.get(n);
    const translation = view ? this.inlinedSize.get(`translation ${view.translation}`) : undefined;
    if (translation) {
      // The machine and the solver run the translation at every access (each word's, at worst).
      this.inlined = Math.min(this.inlined + translation.size * Math.min(64, Number(e.words?.value ?? 1n)), Number.MAX_SAFE_INTEGER);
      if (!this.heaviest || translation.size > this.heaviest.size) this.heaviest = { name: `translation ${view!.translation}`, size: translation.size };
    }
    let words = 1;
    if (e.words) {
      if (e.words.value < 1n || e.words.value * BigInt(space.wordWidth) > BigInt(MAX_WIDTH)) {
        this.error(Diagnostics.WordsCount, [e.words.text, space.wordWidth], e.words.span);
        return undefined;
      }
      words = Number(e.words.value);
    }
    // A view's address goes through its translation's parameter: widths must match exactly.
    const addr = space.exact ? this.expect(e.index, space.addrWidth, ctx, `an address of '${n}'`) : this.index(e.index, space.addrWidth, ctx);
    return { addr, words, width: words * space.wordWidth };
  }

  /** An index into a file or memory: any width (it wraps); a literal gets the natural width. */
  private index(e: A.AstExpr, natural: number, ctx: Ctx): Expr {
    if (this.isUnsized(e, ctx)) return this.expect(e, natural, ctx, 'an index');
    return this.infer(e, undefined, ctx);
  }

  /** Check `e` and require exactly `width` bits. */
  private expect(e: A.AstExpr, width: number, ctx: Ctx, what: string): Expr {
    const r = this.infer(e, width, ctx);
    if (r.width !== width && r.width !== 0) this.error(Diagnostics.WidthMismatch, [describeExpr(e), bits(r.width), what, bits(width)], e.span);
    return r;
  }

  private bool(e: A.AstExpr, ctx: Ctx, what: string): Expr {
    const r = this.infer(e, 1, ctx);
    if (r.width !== 1 && r.width !== 0) this.error(Diagnostics.NotOneBit, [what, r.width], e.span);
    return r;
  }

  /** A literal-like expression: its width comes from context. */
  private isUnsized(e: A.AstExpr, ctx?: Ctx): boolean {
    switch (e.k) {
      case 'num':
      case 'char':
        return true;
      case 'name': {
        return ctx?.scope.get(e.name.text)?.k === 'index';
      }
      case 'paren':
        return this.isUnsized(e.a, ctx);
      case 'unary':
        return e.op !== '!' && this.isUnsized(e.a, ctx);
      case 'binary':
        return ['+', '-', '*', '/', '%', '&', '|', '^'].includes(e.op)
          ? this.isUnsized(e.a, ctx) && this.isUnsized(e.b, ctx)
          : ['<<', '>>', '>>>'].includes(e.op) && this.isUnsized(e.a, ctx);
      case 'cond':
        return this.isUnsized(e.then, ctx) && this.isUnsized(e.else, ctx);
      case 'member':
      case 'index':
      case 'call':
        return false;
      default:
        return assertNever(e, 'expression');
    }
  }

  /** The width an unsized expression takes without context: loop indices hold their upper bound. */
  private defaultWidth(e: A.AstExpr, ctx: Ctx): number | undefined {
    switch (e.k) {
      case 'name': {
        const l = ctx.scope.get(e.name.text);
        return l?.k === 'index' ? bitsFor(l.to) : undefined;
      }
      case 'paren':
      case 'unary':
        return this.defaultWidth(e.a, ctx);
      case 'binary': {
        const a = this.defaultWidth(e.a, ctx);
        const b = ['<<', '>>', '>>>'].includes(e.op) ? undefined : this.defaultWidth(e.b, ctx);
        return a === undefined ? b : b === undefined ? a : Math.max(a, b);
      }
      case 'cond': {
        const a = this.defaultWidth(e.then, ctx);
        const b = this.defaultWidth(e.else, ctx);
        return a === undefined ? b : b === undefined ? a : Math.max(a, b);
      }
      case 'num':
      case 'char':
      case 'member':
      case 'index':
      case 'call':
        return undefined;
      default:
        return assertNever(e, 'expression');
    }
  }

  /** The value of a constant expression (literals, loop indices, + - * of them), or undefined. */
  private constValue(e: A.AstExpr, ctx: Ctx): bigint | undefined {
    switch (e.k) {
      case 'num':
        return e.lit.value;
      case 'char':
        return BigInt(e.value);
      case 'paren':
        return this.constValue(e.a, ctx);
      case 'name': {
        const l = ctx.scope.get(e.name.text);
        return l?.k === 'index' ? l.value : undefined;
      }
      case 'binary': {
        const a = this.constValue(e.a, ctx);
        const b = this.constValue(e.b, ctx);
        if (a === undefined || b === undefined) return undefined;
        if (e.op === '+') return a + b;
        if (e.op === '-') return a - b;
        if (e.op === '*') return a * b;
        return undefined;
      }
      case 'member':
      case 'index':
      case 'call':
      case 'unary':
      case 'cond':
        return undefined;
      default:
        return assertNever(e, 'expression');
    }
  }

  private constIndex(e: A.AstExpr, ctx: Ctx, what: string): number | undefined {
    const v = this.constValue(e, ctx);
    if (v === undefined) {
      this.error(Diagnostics.NotConstant, [what], e.span);
      return undefined;
    }
    return v < 0n || v > 1000n ? -1 : Number(v);
  }

  private bad(): Expr {
    // Width 0 marks an expression already reported; callers do not report it again.
    return { k: 'const', width: 0, value: '0x0' };
  }

  /**
   * Check an expression. `want` is the width the context demands (used only by unsized
   * literals; sized expressions keep their own width and the caller compares).
   */
  infer(e: A.AstExpr, want: number | undefined, ctx: Ctx, quiet = false): Expr {
    this.count();
    switch (e.k) {
      case 'num':
      case 'char': {
        const value = e.k === 'num' ? e.lit.value : BigInt(e.value);
        const text = e.k === 'num' ? e.lit.text : e.text;
        if (want === undefined) {
          if (!quiet) this.error(Diagnostics.NoWidthContext, [text], e.span);
          return this.bad();
        }
        if (value > mask(want)) {
          this.error(Diagnostics.LiteralTooWide, [text, bits(want)], e.span);
          return this.bad();
        }
        return { k: 'const', width: want, value: hex(value) };
      }
      case 'paren':
        return this.infer(e.a, want, ctx, quiet);
      case 'name':
        return this.name(e, want, ctx);
      case 'member':
        return this.member(e, ctx);
      case 'index':
        return this.indexExpr(e, ctx);
      case 'call':
        return this.call(e, want, ctx);
      case 'unary': {
        if (e.op === '!') {
          const a = this.bool(e.a, ctx, `the operand of '!'`);
          return { k: 'unop', width: 1, op: 'not', a };
        }
        const a = this.infer(e.a, want ?? (this.isUnsized(e.a, ctx) ? this.defaultWidth(e.a, ctx) : undefined), ctx, quiet);
        return { k: 'unop', width: a.width, op: e.op === '-' ? 'neg' : 'not', a };
      }
      case 'cond': {
        const cond = this.bool(e.cond, ctx, 'a condition');
        const [a, b] = this.unify(e.then, e.else, want, ctx, e);
        return { k: 'ite', width: a.width, cond, then: a, else: b };
      }
      case 'binary':
        return this.binary(e, want, ctx);
      default:
        return assertNever(e, 'expression');
    }
  }

  /** Check two operands that must have equal widths; an unsized one takes the other's width. */
  private unify(a: A.AstExpr, b: A.AstExpr, want: number | undefined, ctx: Ctx, whole: A.AstExpr): [Expr, Expr] {
    const au = this.isUnsized(a, ctx);
    const bu = this.isUnsized(b, ctx);
    let x: Expr;
    let y: Expr;
    if (!au) {
      x = this.infer(a, undefined, ctx);
      y = this.infer(b, x.width || undefined, ctx, x.width === 0);
    } else if (!bu) {
      y = this.infer(b, undefined, ctx);
      x = this.infer(a, y.width || undefined, ctx, y.width === 0);
    } else {
      const w = want ?? this.defaultWidth(whole, ctx);
      if (w === undefined) {
        this.error(Diagnostics.NoWidthContext, [describeExpr(whole)], whole.span);
        return [this.bad(), this.bad()];
      }
      x = this.infer(a, w, ctx);
      y = this.infer(b, w, ctx);
    }
    if (x.width !== 0 && y.width !== 0 && x.width !== y.width) {
      this.error(Diagnostics.WidthMismatch, [describeExpr(a), bits(x.width), describeExpr(b), bits(y.width)], whole.span);
      return [x, { ...y, width: x.width } as Expr];
    }
    if (x.width === 0) return [{ ...x, width: y.width } as Expr, y];
    return [x, y];
  }

  private binary(e: Extract<A.AstExpr, { k: 'binary' }>, want: number | undefined, ctx: Ctx): Expr {
    const arith: Partial<Record<A.AstBinOp, BinOp>> = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'udiv', '%': 'urem', '&': 'and', '|': 'or', '^': 'xor' };
    const cmp: Partial<Record<A.AstBinOp, BinOp>> = { '==': 'eq', '!=': 'ne', '<': 'ult', '<=': 'ule', '>': 'ugt', '>=': 'uge' };
    const shift: Partial<Record<A.AstBinOp, BinOp>> = { '<<': 'shl', '>>': 'lshr', '>>>': 'ashr' };
    const op = e.op;
    if (arith[op]) {
      const [a, b] = this.unify(e.a, e.b, want, ctx, e);
      return { k: 'binop', width: a.width, op: arith[op]!, a, b };
    }
    if (cmp[op]) {
      const [a, b] = this.unify(e.a, e.b, undefined, ctx, e);
      return { k: 'binop', width: 1, op: cmp[op]!, a, b };
    }
    if (op === '&&' || op === '||') {
      const a = this.bool(e.a, ctx, `the left operand of '${op}'`);
      const b = this.bool(e.b, ctx, `the right operand of '${op}'`);
      return { k: 'binop', width: 1, op: op === '&&' ? 'and' : 'or', a, b };
    }
    if (shift[op]) {
      const aw = this.isUnsized(e.a, ctx) ? (want ?? this.defaultWidth(e.a, ctx)) : undefined;
      if (this.isUnsized(e.a, ctx) && aw === undefined) {
        this.error(Diagnostics.NoWidthContext, [describeExpr(e)], e.span);
        return this.bad();
      }
      const a = this.infer(e.a, aw, ctx);
      let b: Expr;
      if (this.isUnsized(e.b, ctx)) {
        const v = this.constValue(e.b, ctx);
        b = this.infer(e.b, v !== undefined && v >= 0n ? bitsFor(v) : (this.defaultWidth(e.b, ctx) ?? Math.max(1, a.width)), ctx);
      } else b = this.infer(e.b, undefined, ctx);
      return { k: 'binop', width: a.width, op: shift[op]!, a, b };
    }
    // '++': concatenation; both sides need their own widths.
    const parts: Expr[] = [];
    for (const side of [e.a, e.b]) {
      const w = this.isUnsized(side, ctx) ? this.defaultWidth(side, ctx) : undefined;
      if (this.isUnsized(side, ctx) && w === undefined) {
        this.error(Diagnostics.NoWidthContext, [describeExpr(side)], side.span);
        return this.bad();
      }
      const x = this.infer(side, w, ctx);
      if (x.width === 0) return this.bad();
      if (x.k === 'concat') parts.push(...x.parts);
      else parts.push(x);
    }
    const width = parts.reduce((s, p) => s + p.width, 0);
    if (width > MAX_WIDTH) {
      this.error(Diagnostics.WidthOutOfRange, [width], e.span);
      return this.bad();
    }
    return { k: 'concat', width, parts };
  }

  private name(e: Extract<A.AstExpr, { k: 'name' }>, want: number | undefined, ctx: Ctx): Expr {
    const n = e.name.text;
    const local = ctx.scope.get(n);
    if (local) {
      if (local.k === 'let') return { k: 'local', width: local.width, name: local.irName };
      const w = want ?? bitsFor(local.to);
      if (local.value > mask(w)) {
        this.error(Diagnostics.LiteralTooWide, [`${n} = ${local.value}`, bits(w)], e.span);
        return this.bad();
      }
      return { k: 'const', width: w, value: hex(local.value) };
    }
    const p = ctx.params?.get(n);
    if (p) return { k: 'param', width: p.width, name: n };
    const o = ctx.operands?.get(n);
    if (o) return { k: 'operand', width: o.width, name: n };
    if (n === 'next_pc' || n === 'trap_vector' || n === 'return_pc') {
      const ok = n === 'next_pc' ? ctx.where === 'instruction' : ctx.where === 'trapEntry';
      if (!ok) {
        this.error(Diagnostics.BuiltinNotAvailable, [n, n === 'next_pc' ? 'instruction semantics' : 'the trap entry'], e.span);
        return this.bad();
      }
      return { k: 'builtin', width: n === 'trap_vector' ? 8 : this.pcWidth, name: n };
    }
    const r = this.regs.get(n);
    if (r) {
      if (ctx.where === 'function' || ctx.where === 'pseudo') this.readsState(ctx, n, e.span);
      if (ctx.where === 'mode' && r.role !== 'mode') this.error(Diagnostics.ModePredicateReadsNonMode, [n], e.span);
      return { k: 'reg', width: r.width, reg: n };
    }
    const g = this.globals.get(n);
    if (g) {
      this.error(Diagnostics.NotAValue, [n, kindWords[g.kind]!], e.span);
      return this.bad();
    }
    this.error(Diagnostics.UnknownName, [n], e.span, didYouMeanHint(n, this.visibleNames(ctx)));
    return this.bad();
  }

  private member(e: Extract<A.AstExpr, { k: 'member' }>, ctx: Ctx): Expr {
    const base = e.base;
    if (base.k === 'name' && !ctx.scope.get(base.name.text) && !ctx.operands?.has(base.name.text) && !ctx.params?.has(base.name.text)) {
      const r = this.regs.get(base.name.text);
      if (r) {
        const f = r.fields.find((x) => x.name === e.field.text);
        if (!f) {
          this.error(
            Diagnostics.UnknownField,
            [r.name, e.field.text],
            e.field.span,
            didYouMeanHint(
              e.field.text,
              r.fields.map((x) => x.name),
            ),
          );
          return this.bad();
        }
        if (ctx.where === 'function' || ctx.where === 'pseudo') this.readsState(ctx, `${r.name}.${f.name}`, e.span);
        if (ctx.where === 'mode' && f.role !== 'mode') this.error(Diagnostics.ModePredicateReadsNonMode, [`${r.name}.${f.name}`], e.span);
        return { k: 'field', width: f.hi - f.lo + 1, reg: r.name, field: f.name, hi: f.hi, lo: f.lo };
      }
      if (!this.globals.has(base.name.text)) {
        this.error(Diagnostics.UnknownName, [base.name.text], base.span, didYouMeanHint(base.name.text, this.visibleNames(ctx)));
        return this.bad();
      }
    }
    // `x.f` where x is a file, memory, operand, let...: only registers have fields.
    let kind = 'an expression';
    if (base.k === 'name') {
      const n = base.name.text;
      const g = this.globals.get(n);
      kind = ctx.scope.get(n) ? 'a local' : ctx.operands?.has(n) ? 'an operand' : ctx.params?.has(n) ? 'a parameter' : g ? kindWords[g.kind]! : kind;
    }
    this.error(Diagnostics.WrongKindOfName, [describeExpr(base), kind, 'a register with fields'], base.span);
    return this.bad();
  }

  private indexExpr(e: Extract<A.AstExpr, { k: 'index' }>, ctx: Ctx): Expr {
    if (e.base.k === 'name' && !ctx.scope.get(e.base.name.text) && !ctx.operands?.has(e.base.name.text) && !ctx.params?.has(e.base.name.text)) {
      const n = e.base.name.text;
      const file = this.files.get(n);
      if (file) {
        if (e.lo || e.words) {
          this.error(Diagnostics.NotAllowedHere, [e.lo ? 'a slice' : 'a word count', `an index of the register file '${n}'`], e.span);
          return this.bad();
        }
        if (ctx.where === 'function' || ctx.where === 'pseudo') this.readsState(ctx, n, e.span);
        if (ctx.where === 'mode' && file.role !== 'mode') this.error(Diagnostics.ModePredicateReadsNonMode, [n], e.span);
        const index = this.index(e.index, addrWidth(file.count), ctx);
        const read: Expr = { k: 'file', width: file.width, file: n, index };
        const zero = this.zeroes.get(n);
        // A hard-wired register reads as zero: the IR says so with a choice on the index, so every
        // later stage (machine, solver, reports) gets it without knowing about `zero`.
        return zero === undefined
          ? read
          : { k: 'ite', width: file.width, cond: isRegister(index, zero, file.count), then: { k: 'const', width: file.width, value: '0x0' }, else: read };
      }
      const space = this.space(n);
      if (space) {
        if (e.lo) {
          this.error(Diagnostics.NotAllowedHere, ['a slice', `an address of '${n}' (write ${n}[a, n] for several words)`], e.span);
          return this.bad();
        }
        const acc = this.memAccess(e, n, space, ctx);
        if (!acc) return this.bad();
        return { k: 'mem', width: acc.width, space: n, addr: acc.addr, words: acc.words };
      }
    }
    // A bit or slice of a value.
    const a = this.infer(e.base, undefined, ctx);
    if (e.words) {
      this.error(Diagnostics.NotAllowedHere, ['a word count', 'a bit selection (only memories and views have words)'], e.words.span);
      return this.bad();
    }
    const hi = this.constIndex(e.index, ctx, 'a bit index');
    const lo = e.lo ? this.constIndex(e.lo, ctx, 'a bit index') : hi;
    if (hi === undefined || lo === undefined || a.width === 0) return this.bad();
    if (hi < 0 || lo < 0 || lo > hi || hi >= a.width) {
      this.error(Diagnostics.SliceOutOfRange, [hi, lo, a.width], e.span);
      return this.bad();
    }
    return { k: 'slice', width: hi - lo + 1, a, hi, lo };
  }

  private call(e: Extract<A.AstExpr, { k: 'call' }>, want: number | undefined, ctx: Ctx): Expr {
    const n = e.callee.text;
    const argc = (k: number): boolean => {
      if (e.args.length !== k) {
        this.error(Diagnostics.WrongArgCount, [n, k, e.args.length], e.span);
        return false;
      }
      return true;
    };
    if (n === 'zext' || n === 'sext') {
      if (!argc(2)) return this.bad();
      const wArg = e.args[1]!;
      if (wArg.k !== 'num') {
        this.error(Diagnostics.NotConstant, [`the width of '${n}'`], wArg.span);
        return this.bad();
      }
      // A width out of range is reported once: no follow-up about narrowing to the stand-in width.
      if (wArg.lit.value < 1n || wArg.lit.value > BigInt(MAX_WIDTH)) {
        this.error(Diagnostics.WidthOutOfRange, [wArg.lit.text], wArg.lit.span);
        this.infer(e.args[0]!, undefined, ctx, true);
        return this.bad();
      }
      const w = Number(wArg.lit.value);
      const inner = e.args[0]!;
      if (this.isUnsized(inner, ctx)) {
        // `zext(5, 8)`: the literal takes the target width.
        return this.infer(inner, w, ctx);
      }
      const a = this.infer(inner, undefined, ctx);
      if (a.width === 0) return this.bad();
      if (a.width > w) {
        this.error(Diagnostics.ExtendNarrows, [n, a.width, w], e.span);
        return this.bad();
      }
      if (a.width === w) return a;
      return { k: n, width: w, a };
    }
    if (n === 'slt' || n === 'sle' || n === 'sgt' || n === 'sge' || n === 'sdiv' || n === 'srem') {
      if (ctx.scope.get(n) === undefined && !this.funcs.has(n)) {
        if (!argc(2)) return this.bad();
        const [a, b] = this.unify(e.args[0]!, e.args[1]!, n === 'sdiv' || n === 'srem' ? want : undefined, ctx, e);
        return { k: 'binop', width: n === 'sdiv' || n === 'srem' ? a.width : 1, op: n, a, b };
      }
    }
    const f = this.funcs.get(n);
    if (!f) {
      const g = this.globals.get(n);
      if (g && g.kind === 'function') {
        // Declared but not yet checked: a function calling a later (or itself).
        this.error(Diagnostics.UsedBeforeDeclared, [n], e.callee.span);
      } else if (g) this.error(Diagnostics.WrongKindOfName, [n, kindWords[g.kind]!, kindWords.function!], e.callee.span);
      else
        this.error(
          Diagnostics.UnknownFunction,
          [n],
          e.callee.span,
          didYouMeanHint(n, [...this.funcs.keys(), 'zext', 'sext', 'slt', 'sle', 'sgt', 'sge', 'sdiv', 'srem']),
        );
      for (const a of e.args) this.infer(a, undefined, ctx, true);
      return this.bad();
    }
    if (ctx.fnIndex !== undefined && f.index >= ctx.fnIndex) {
      this.error(Diagnostics.UsedBeforeDeclared, [n], e.callee.span);
      return this.bad();
    }
    if (!argc(f.fn.params.length)) return this.bad();
    const callee = this.inlinedSize.get(n);
    if (callee) {
      // Saturate: the sum of 2^40-sized callees must stay a finite, comparable number.
      this.inlined = Math.min(this.inlined + callee.size, Number.MAX_SAFE_INTEGER);
      if (!this.heaviest || callee.size > this.heaviest.size) this.heaviest = { name: n, size: callee.size };
    }
    const args = e.args.map((a, i) => this.expect(a, f.fn.params[i]!.width, ctx, `parameter '${f.fn.params[i]!.name}' of '${n}'`));
    return { k: 'call', width: f.fn.resultWidth, fn: n, args };
  }
}

/** 1 bit: whether `index` (wrapped to the file's `count` registers) names register `n`. */
function isRegister(index: Expr, n: bigint, count: number): Expr {
  const aw = addrWidth(count);
  const low: Expr = index.width > aw ? { k: 'slice', width: aw, a: index, hi: aw - 1, lo: 0 } : index;
  // A narrow index that cannot hold n never names register n.
  if (n >> BigInt(low.width) !== 0n) return { k: 'const', width: 1, value: '0x0' };
  return { k: 'binop', width: 1, op: 'eq', a: low, b: { k: 'const', width: low.width, value: hex(n) } };
}

/** `f40 -> f39 -> ... -> f1`: a long chain keeps its two ends. */
function callChain(names: string[]): string {
  return names.length <= 8 ? names.join(' -> ') : [...names.slice(0, 4), `... (${names.length - 7} more)`, ...names.slice(-3)].join(' -> ');
}

function inside(s: Span | undefined, outer: Span): boolean {
  if (!s || s.file !== outer.file) return false;
  const after = s.line > outer.line || (s.line === outer.line && s.col >= outer.col);
  const before = s.line < outer.endLine || (s.line === outer.endLine && s.col < outer.endCol);
  return after && before;
}

function defaultSyntax(mn: string, operands: string[]): SyntaxPart[] {
  if (operands.length === 0) return [{ k: 'text', text: mn }];
  const parts: SyntaxPart[] = [{ k: 'text', text: mn + ' ' }];
  operands.forEach((o, i) => {
    if (i > 0) parts.push({ k: 'text', text: ', ' });
    parts.push({ k: 'operand', name: o });
  });
  return parts;
}

function bitPattern(value: bigint, m: bigint, w: number): string {
  let s = '';
  for (let i = w - 1; i >= 0; i--) s += (m >> BigInt(i)) & 1n ? ((value >> BigInt(i)) & 1n).toString() : 'x';
  return '0b' + s;
}

function describeTarget(e: A.AstExpr): string {
  return `'${describeExpr(e)}'`;
}

/** A short rendering of an expression for messages. */
export function describeExpr(e: A.AstExpr): string {
  switch (e.k) {
    case 'num':
      return e.lit.text;
    case 'char':
      return e.text;
    case 'name':
      return e.name.text;
    case 'member':
      return `${describeExpr(e.base)}.${e.field.text}`;
    case 'index':
      return `${describeExpr(e.base)}[${describeExpr(e.index)}${e.lo ? '..' + describeExpr(e.lo) : ''}${e.words ? ', ' + e.words.text : ''}]`;
    case 'call':
      return `${e.callee.text}(${e.args.map(describeExpr).join(', ')})`;
    case 'unary':
      return e.op + describeExpr(e.a);
    case 'paren':
      return `(${describeExpr(e.a)})`;
    case 'binary': {
      const s = `${describeExpr(e.a)} ${e.op} ${describeExpr(e.b)}`;
      return s.length > 40 ? s.slice(0, 37) + '...' : s;
    }
    case 'cond':
      return 'a ? b : c';
    default:
      return assertNever(e, 'expression');
  }
}

/** Merge `extends` and check one parsed spec; `source` is the file name recorded in the IR. */
export function checkSpec(ast: A.SpecFile, host: FileHost, source = ast.file, opts: CheckOptions = {}): CheckResult {
  const merger = new Merger(host, opts);
  const merged = merger.merge(ast);
  if (merger.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: merger.diagnostics, bases: merger.bases };
  const checker = new Checker(merged, source, ast.name.span);
  const isa = checker.run();
  const diagnostics = [...merger.diagnostics, ...checker.diagnostics];
  return isa ? { isa, diagnostics, bases: merger.bases } : { diagnostics, bases: merger.bases };
}
