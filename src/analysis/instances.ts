// Instances of an instruction: the instruction with fixed values of its encoding's operand fields
// (DESIGN.md, "The model"). Privilege and sensitivity are properties of an instance; what an
// opcode's instances have in common is found by splitting the operand space along the tests its
// semantics make on operands alone (`n == 0`, `csr == 0x300`): the *atoms*. Each satisfiable
// combination of atom values (a *cube*) is decided on its own, with the semantics specialised to
// it (branches the cube decides are pruned), and cubes that come out alike are reported together
// as one condition over the operands.
//
// The split is exact for the theorems whatever the atoms are: every query about a cube carries the
// cube's condition on the operand terms, and the cubes partition the operand space. Atoms only
// decide how finely the report can say *which* instances are which.

import { type Expr, type Instruction, type Isa, type Stmt, assertNever, mapChildExpr, walkExpr, coveredBits, fieldRuns, fixedBits } from '../ir/index.js';
import { printExpr } from './print.js';
import { Logic, SymExec, type B, type BV, type Z3 } from './symbolic.js';
import { isaIndex } from '../ir/index.js';

/** More cubes than this and the instruction is decided as one class (the theorems stay exact). */
export const MAX_CUBES = 64;
/** More distinct atoms than this and no split is attempted. */
export const MAX_ATOMS = 24;

export interface Atom {
  /** The test with the instruction's locals substituted (operands and constants only). */
  expr: Expr;
  /** As the spec would write it. */
  text: string;
}

type Env = Map<string, Expr | undefined>;

/** `e` with locals (and, inside functions, parameters) replaced by their operand-only
 *  definitions, or undefined when it depends on state. */
function operandOnly(isa: Isa, e: Expr, env: Env, params?: Map<string, Expr | undefined>): Expr | undefined {
  switch (e.k) {
    case 'const':
    case 'operand':
      return e;
    case 'reg':
    case 'field':
    case 'file':
    case 'mem':
    case 'builtin':
      return undefined;
    case 'local':
      return env.get(e.name);
    case 'param':
      return params?.get(e.name);
    case 'unop':
    case 'binop':
    case 'concat':
    case 'slice':
    case 'zext':
    case 'sext':
    case 'ite':
    case 'call': {
      let ok = true;
      const out = mapChildExpr(e, (c) => {
        const r = ok ? operandOnly(isa, c, env, params) : undefined;
        if (!r) ok = false;
        return r ?? c;
      });
      return ok ? out : undefined;
    }
    default:
      return assertNever(e, 'expression');
  }
}

/** The leaves of a condition under not/and/or. */
function leaves(e: Expr, out: Expr[]): void {
  if (e.width === 1 && e.k === 'unop' && e.op === 'not') return leaves(e.a, out);
  if (e.width === 1 && e.k === 'binop' && (e.op === 'and' || e.op === 'or') && e.a.width === 1) {
    leaves(e.a, out);
    leaves(e.b, out);
    return;
  }
  out.push(e);
}

/** The operand-only tests the semantics make (if and ?: conditions, inside helper functions too). */
export function operandAtoms(isa: Isa, instr: Instruction): Atom[] {
  const atoms = new Map<string, Atom>();
  const consider = (cond: Expr, env: Env, params?: Map<string, Expr | undefined>) => {
    const ls: Expr[] = [];
    leaves(cond, ls);
    for (const l of ls) {
      const s = operandOnly(isa, l, env, params);
      if (!s || s.k === 'const') continue;
      const text = printExpr(s);
      if (!atoms.has(text)) atoms.set(text, { expr: s, text });
    }
  };
  const inExpr = (e: Expr, env: Env, params?: Map<string, Expr | undefined>, depth = 0) => {
    walkExpr(e, (x) => {
      if (x.k === 'ite') consider(x.cond, env, params);
      if (x.k === 'call' && depth < 8) {
        const f = isaIndex(isa).functions.get(x.fn);
        if (f) {
          const ps = new Map(f.params.map((p, i) => [p.name, operandOnly(isa, x.args[i]!, env, params)] as const));
          const fenv: Env = new Map();
          for (const s of f.body) if (s.k === 'let') fenv.set(s.name, operandOnly(isa, s.value, fenv, ps));
          for (const s of f.body) if (s.k === 'let') inExpr(s.value, fenv, ps, depth + 1);
          inExpr(f.result, fenv, ps, depth + 1);
        }
      }
    });
  };
  const inStmts = (body: Stmt[], env: Env) => {
    for (const s of body) {
      switch (s.k) {
        case 'let':
          inExpr(s.value, env);
          env.set(s.name, operandOnly(isa, s.value, env));
          break;
        case 'assign':
          inExpr(s.value, env);
          if (s.target.k === 'file') inExpr(s.target.index, env);
          if (s.target.k === 'mem') inExpr(s.target.addr, env);
          break;
        case 'if':
          inExpr(s.cond, env);
          consider(s.cond, env);
          // A local bound in a branch is not visible after it (the checker scopes them).
          inStmts(s.then, new Map(env));
          inStmts(s.else, new Map(env));
          break;
        case 'trap':
        case 'halt':
          break;
        default:
          assertNever(s, 'statement');
      }
    }
  };
  inStmts(instr.semantics, new Map());
  return [...atoms.values()];
}

/** The instance domain: the operand values an encoding can hold. Bits no field holds are zero
 *  (RISC-V's branch offsets have no bit 0), and the encodings the manual reserves (`when`
 *  exclusions) are not instances. */
export function operandDomain(z3: Z3, instr: Instruction, ops: Map<string, BV>): B[] {
  const out: B[] = [];
  const enc = instr.encoding;
  const widths = new Map(instr.operands.map((o) => [o.name, o.width] as const));
  const covered = coveredBits(enc, widths);
  for (const o of instr.operands) {
    const t = ops.get(o.name);
    const c = covered.get(o.name) ?? 0n;
    const all = (1n << BigInt(o.width)) - 1n;
    if (!t || (c & all) === all) continue;
    out.push(t.and(z3.BitVec.val(all & ~c, o.width)).eq(z3.BitVec.val(0, o.width)));
  }
  const fixed = fixedBits(enc);
  for (const x of enc.exclude ?? []) {
    const mask = BigInt(x.mask),
      match = BigInt(x.match);
    // The reserved pattern can only be met if the fixed bits it covers agree with it.
    if (((fixed.match ^ match) & mask & fixed.mask) !== 0n) continue;
    const parts: B[] = [];
    for (const r of fieldRuns(enc)) {
      const ones = (1n << BigInt(r.width)) - 1n;
      const m = (mask >> BigInt(r.at)) & ones;
      if (!m) continue;
      const t = ops.get(r.operand);
      const o = instr.operands.find((y) => y.name === r.operand);
      if (!t || !o) continue;
      const want = (match >> BigInt(r.at)) & m;
      const mv = (m << BigInt(r.lo)) & ((1n << BigInt(o.width)) - 1n);
      parts.push(t.and(z3.BitVec.val(mv, o.width)).eq(z3.BitVec.val((want << BigInt(r.lo)) & mv, o.width)));
    }
    if (parts.length) out.push(z3.Not(z3.And(...parts)));
  }
  return out;
}

/** Terms of the atoms over the operand terms. */
export function atomTerms(z3: Z3, isa: Isa, atoms: Atom[], ops: Map<string, BV>): B[] {
  const x = new SymExec(z3, isa, { regs: new Map(), files: new Map(), mems: new Map() }, ops);
  return atoms.map((a) => x.cond(a.expr));
}

/** The condition of a cube over its atoms, as a term. */
export function cubeTerm(L: Logic, terms: B[], values: boolean[]): B {
  return L.and(...terms.map((t, i) => (values[i] ? t : L.not(t))));
}

/** The cube's condition as the spec would write it. */
export function cubeText(atoms: Atom[], values: boolean[]): string {
  if (atoms.length === 0) return 'true';
  return atoms.map((a, i) => (values[i] ? a.text : negated(a))).join(' && ');
}

function negated(a: Atom): string {
  const e = a.expr;
  if (e.k === 'binop') {
    const flip: Partial<Record<string, string>> = { eq: '!=', ne: '==', ult: '>=', uge: '<', ugt: '<=', ule: '>' };
    const op = flip[e.op];
    if (op && !e.op.startsWith('s')) return `${printExpr(e.a)} ${op} ${printExpr(e.b)}`;
  }
  return `!(${a.text})`;
}

/** Specialise semantics to a cube: conditions the cube decides become constants and the branches
 *  they rule out disappear. Helper functions are left as they are (shared by other call sites);
 *  the cube's condition on the operands keeps every query exact regardless. */
export function specialise(isa: Isa, instr: Instruction, atoms: Atom[], values: boolean[]): Instruction {
  if (atoms.length === 0) return instr;
  const truth = new Map(atoms.map((a, i) => [a.text, values[i]!]));
  const fold = (c: Expr, env: Env): Expr => {
    if (c.width === 1 && c.k === 'unop' && c.op === 'not') {
      const a = fold(c.a, env);
      return a.k === 'const' ? bit(BigInt(a.value) === 0n) : { ...c, a };
    }
    if (c.width === 1 && c.k === 'binop' && (c.op === 'and' || c.op === 'or') && c.a.width === 1) {
      const a = fold(c.a, env),
        b = fold(c.b, env);
      const va = a.k === 'const' ? BigInt(a.value) !== 0n : undefined;
      const vb = b.k === 'const' ? BigInt(b.value) !== 0n : undefined;
      if (c.op === 'and') {
        if (va === false || vb === false) return bit(false);
        if (va === true) return b;
        if (vb === true) return a;
      } else {
        if (va === true || vb === true) return bit(true);
        if (va === false) return b;
        if (vb === false) return a;
      }
      return { ...c, a, b };
    }
    const s = operandOnly(isa, c, env);
    if (s && s.k !== 'const') {
      const v = truth.get(printExpr(s));
      if (v !== undefined) return bit(v);
    }
    return c;
  };
  const inExpr = (e: Expr, env: Env): Expr => {
    if (e.k === 'ite') {
      const cond = fold(e.cond, env);
      if (cond.k === 'const') return inExpr(BigInt(cond.value) !== 0n ? e.then : e.else, env);
      return { ...e, cond, then: inExpr(e.then, env), else: inExpr(e.else, env) };
    }
    return mapChildExpr(e, (c) => inExpr(c, env));
  };
  const inStmts = (body: Stmt[], env: Env): Stmt[] => {
    const out: Stmt[] = [];
    for (const s of body) {
      switch (s.k) {
        case 'let':
          out.push({ ...s, value: inExpr(s.value, env) });
          env.set(s.name, operandOnly(isa, s.value, env));
          break;
        case 'assign':
          out.push({ ...s, value: inExpr(s.value, env) });
          break;
        case 'if': {
          const cond = fold(s.cond, env);
          if (cond.k === 'const') {
            // A decided branch stays a block of its own (its lets keep their scope); the branch
            // the cube rules out is gone, so no pass sees its reads or traps.
            out.push({ ...s, cond: bit(true), then: inStmts(BigInt(cond.value) !== 0n ? s.then : s.else, new Map(env)), else: [] });
          } else {
            out.push({ ...s, cond, then: inStmts(s.then, new Map(env)), else: inStmts(s.else, new Map(env)) });
          }
          break;
        }
        case 'trap':
        case 'halt':
          out.push(s);
          break;
        default:
          assertNever(s, 'statement');
      }
    }
    return out;
  };
  return { ...instr, semantics: inStmts(instr.semantics, new Map()) };
}

function bit(v: boolean): Expr {
  return { k: 'const', width: 1, value: v ? '0x1' : '0x0' };
}

/** A short condition for a class of cubes: each cube is widened by dropping the atom tests that
 *  no cube of another class needs to tell it apart (combinations no cube has are free to take),
 *  and implicants another one subsumes are dropped — `n != 1 && n == 2 && n != 3` becomes
 *  `n == 2`, and a class of every `csr` but a few becomes their negation. */
export function classCondition(atoms: Atom[], all: { values: boolean[]; cls: string }[], cls: string): string {
  if (atoms.length === 0) return 'true';
  const mine = all.filter((c) => c.cls === cls);
  const others = all.filter((c) => c.cls !== cls);
  const covers = (imp: (boolean | undefined)[], v: boolean[]) => imp.every((x, j) => x === undefined || v[j] === x);
  const imps: (boolean | undefined)[][] = [];
  for (const c of mine) {
    const imp: (boolean | undefined)[] = [...c.values];
    for (let i = 0; i < atoms.length; i++) {
      const keep = imp[i];
      imp[i] = undefined;
      if (others.some((o) => covers(imp, o.values))) imp[i] = keep;
    }
    imps.push(imp);
  }
  const key = (imp: (boolean | undefined)[]) => imp.map((x) => (x === undefined ? '-' : x ? '1' : '0')).join('');
  const uniq = [...new Map(imps.map((i) => [key(i), i])).values()];
  const subsumes = (a: (boolean | undefined)[], b: (boolean | undefined)[]) => a.every((x, j) => x === undefined || x === b[j]);
  const kept = uniq.filter((b, i) => !uniq.some((a, j) => j !== i && subsumes(a, b) && (key(a) !== key(b) || j < i)));
  const text = (imp: (boolean | undefined)[]) => {
    const lits = imp.flatMap((x, j) => (x === undefined ? [] : [x ? atoms[j]!.text : negated(atoms[j]!)]));
    return lits.length ? lits.join(' && ') : 'true';
  };
  if (kept.length === 1) return text(kept[0]!);
  return kept.map((i) => (i.filter((x) => x !== undefined).length > 1 ? `(${text(i)})` : text(i))).join(' || ');
}
