// The JSON form as the checker's input: a schema-valid `.isa.json` becomes the AST the text form
// would have parsed to, so the one checker (check.ts) applies every rule, with its own code, to
// both forms. Each AST node's span is the place of its JSON value (line:col in the JSON file), and
// `pointers` maps that span back to the JSON pointer for the diagnostic.
//
// The IR says more than the text does (every width, derived masks, resolved kinds of names); load
// compares what the checker derives with what the JSON says, so a stated width or mask that
// disagrees is reported too (IrMismatch), at its pointer.

import type * as A from '../syntax/index.js';
import { type JsonPositions, spanAt } from './jsonpos.js';
import type { EncodingBits, Expr, Isa, LValue, Operand, Role, Stmt, SyntaxPart } from './types.js';
import { assertNever } from './walk.js';
import { BINOP_SYMBOL } from './operators.js';

export interface JsonAst {
  ast: A.SpecFile;
  /** The JSON pointer each AST span stands for. */
  pointers: WeakMap<object, string>;
}

/** Turn schema-valid IR into the AST of the spec it describes. */
export function irToAst(isa: Isa, positions: JsonPositions, file: string): JsonAst {
  const pointers = new WeakMap<object, string>();
  const at = (pointer: string): A.Name['span'] => {
    // A fresh object per node: the pointer map is keyed by the span object itself.
    const s = { ...spanAt(positions, pointer, file) };
    pointers.set(s, pointer);
    return s;
  };
  const name = (text: string, pointer: string): A.Name => ({ text, span: at(pointer) });
  const num = (value: number | bigint | string, pointer: string): A.NumberLit => {
    const v = typeof value === 'string' ? BigInt(value) : BigInt(value);
    return { value: v, text: typeof value === 'string' ? value : String(value), span: at(pointer) };
  };
  const role = (r: Role): A.RoleWord | undefined => (r === 'plain' ? undefined : r);
  const doc = <T extends object>(node: T, d: string | undefined): T => (d === undefined ? node : { ...node, doc: d });

  const expr = (e: Expr, p: string): A.AstExpr => {
    const span = at(p);
    // As in the text form, a name's expression is where the name is.
    const nameExpr = (text: string, q: string): A.AstExpr => {
      const n = name(text, q);
      return { k: 'name', name: n, span: n.span };
    };
    switch (e.k) {
      case 'const':
        // A sized constant: `zext(value, width)` is how the text form gives a literal its width.
        return {
          k: 'call',
          callee: name('zext', p),
          args: [
            { k: 'num', lit: num(e.value, `${p}/value`), span: at(`${p}/value`) },
            { k: 'num', lit: num(e.width, `${p}/width`), span: at(`${p}/width`) },
          ],
          span,
        };
      case 'reg':
        return nameExpr(e.reg, `${p}/reg`);
      case 'field':
        return { k: 'member', base: nameExpr(e.reg, `${p}/reg`), field: name(e.field, `${p}/field`), span };
      case 'file':
        return { k: 'index', base: nameExpr(e.file, `${p}/file`), index: expr(e.index, `${p}/index`), span };
      case 'mem':
        return { k: 'index', base: nameExpr(e.space, `${p}/space`), index: expr(e.addr, `${p}/addr`), words: num(e.words, `${p}/words`), span };
      case 'operand':
      case 'local':
      case 'param':
      case 'builtin':
        return nameExpr(e.name, `${p}/name`);
      case 'unop':
        return { k: 'unary', op: e.op === 'neg' ? '-' : '~', a: expr(e.a, `${p}/a`), span };
      case 'binop': {
        const a = expr(e.a, `${p}/a`);
        const b = expr(e.b, `${p}/b`);
        const op = BINOP_SYMBOL[e.op];
        // The signed operators are built-in functions in the text form.
        return op ? { k: 'binary', op, a, b, span } : { k: 'call', callee: name(e.op, `${p}/op`), args: [a, b], span };
      }
      case 'concat': {
        // A balanced tree of `++` (the checker flattens it): a 5000-part concat stays shallow.
        const parts = e.parts.map((x, i) => expr(x, `${p}/parts/${i}`));
        if (parts.length === 0) return { k: 'num', lit: num(0, p), span };
        const tree = (lo: number, hi: number): A.AstExpr =>
          hi - lo === 1 ? parts[lo]! : { k: 'binary', op: '++', a: tree(lo, (lo + hi) >> 1), b: tree((lo + hi) >> 1, hi), span };
        return tree(0, parts.length);
      }
      case 'slice':
        return {
          k: 'index',
          base: expr(e.a, `${p}/a`),
          index: { k: 'num', lit: num(e.hi, `${p}/hi`), span: at(`${p}/hi`) },
          lo: { k: 'num', lit: num(e.lo, `${p}/lo`), span: at(`${p}/lo`) },
          span,
        };
      case 'zext':
      case 'sext':
        return { k: 'call', callee: name(e.k, p), args: [expr(e.a, `${p}/a`), { k: 'num', lit: num(e.width, `${p}/width`), span: at(`${p}/width`) }], span };
      case 'ite':
        return { k: 'cond', cond: expr(e.cond, `${p}/cond`), then: expr(e.then, `${p}/then`), else: expr(e.else, `${p}/else`), span };
      case 'call':
        return { k: 'call', callee: name(e.fn, `${p}/fn`), args: e.args.map((x, i) => expr(x, `${p}/args/${i}`)), span };
      default:
        return assertNever(e, 'expression');
    }
  };

  const lvalue = (t: LValue, p: string): A.AstExpr => {
    const span = at(p);
    const nameExpr = (text: string, q: string): A.AstExpr => {
      const n = name(text, q);
      return { k: 'name', name: n, span: n.span };
    };
    switch (t.k) {
      case 'reg':
        return nameExpr(t.reg, `${p}/reg`);
      case 'field':
        return { k: 'member', base: nameExpr(t.reg, `${p}/reg`), field: name(t.field, `${p}/field`), span };
      case 'file':
        return { k: 'index', base: nameExpr(t.file, `${p}/file`), index: expr(t.index, `${p}/index`), span };
      case 'mem':
        return { k: 'index', base: nameExpr(t.space, `${p}/space`), index: expr(t.addr, `${p}/addr`), words: num(t.words, `${p}/words`), span };
      default:
        return assertNever(t, 'assignment target');
    }
  };

  const stmts = (ss: Stmt[], p: string): A.AstStmt[] => ss.map((s, i) => stmt(s, `${p}/${i}`));
  const stmt = (s: Stmt, p: string): A.AstStmt => {
    const span = at(p);
    switch (s.k) {
      case 'let':
        return { k: 'let', name: name(s.name, `${p}/name`), value: expr(s.value, `${p}/value`), span };
      case 'assign':
        return { k: 'assign', target: lvalue(s.target, `${p}/target`), value: expr(s.value, `${p}/value`), span };
      case 'if':
        return {
          k: 'if',
          cond: expr(s.cond, `${p}/cond`),
          then: stmts(s.then, `${p}/then`),
          ...(s.else.length > 0 ? { else: stmts(s.else, `${p}/else`) } : {}),
          span,
        };
      case 'trap':
        return { k: 'trap', trap: name(s.trap, `${p}/trap`), span };
      case 'halt':
        return { k: 'halt', span };
      default:
        return assertNever(s, 'statement');
    }
  };

  const syntaxText = (parts: SyntaxPart[]): string =>
    parts
      .map((x) => {
        if (x.k === 'text') return x.text;
        if (!x.relative) return `{${x.name}}`;
        const add = x.relative.addend > 0 ? `+${x.relative.addend}` : x.relative.addend < 0 ? `${x.relative.addend}` : '';
        return `{${x.name}:${x.relative.base}${add}}`;
      })
      .join('');

  /** An encoding's bits as written: a fixed value, a whole operand (`rd:5`), or a slice. */
  const bits = (it: EncodingBits, q: string, ins: Isa['instructions'][number]): A.EncBits => {
    if (it.k === 'fixed') return { k: 'fixed', value: num(it.value, `${q}/value`), width: num(it.width, `${q}/width`), span: at(q) };
    const ow = ins.operands.find((o) => o.name === it.operand)?.width ?? it.width;
    const lo = it.lo ?? 0;
    if (lo === 0 && it.width >= ow) return { k: 'field', operand: name(it.operand, `${q}/operand`), width: num(it.width, `${q}/width`), span: at(q) };
    return { k: 'field', operand: name(it.operand, `${q}/operand`), hi: num(lo + it.width - 1, `${q}/width`), lo: num(lo, `${q}/lo`), span: at(q) };
  };

  const decls: A.Decl[] = [];
  if (isa.symbols?.length) {
    decls.push({
      k: 'names',
      names: isa.symbols.map((x, i) =>
        doc({ name: name(x.name, `/symbols/${i}/name`), value: num(x.value, `/symbols/${i}/value`), span: at(`/symbols/${i}`) }, x.doc),
      ),
      replace: false,
      span: at('/symbols'),
    });
  }
  decls.push({ k: 'endian', order: isa.endian, replace: false, span: at('/endian') });
  isa.registers.forEach((r, i) => {
    const p = `/registers/${i}`;
    const fields: A.FieldDecl[] = r.fields.map((f, j) => {
      const q = `${p}/fields/${j}`;
      // A field's role is written only where it differs from its register's.
      const fr = f.role === r.role ? undefined : role(f.role);
      return doc({ name: name(f.name, `${q}/name`), hi: num(f.hi, `${q}/hi`), lo: num(f.lo, `${q}/lo`), ...(fr ? { role: fr } : {}), span: at(q) }, f.doc);
    });
    const rr = role(r.role);
    decls.push(
      doc(
        {
          k: 'register',
          name: name(r.name, `${p}/name`),
          width: num(r.width, `${p}/width`),
          ...(rr ? { role: rr } : {}),
          readonly: r.readonly,
          clock: r.clock,
          init: num(r.init, `${p}/init`),
          fields,
          replace: false,
          span: at(p),
        },
        r.doc,
      ),
    );
  });
  isa.files.forEach((f, i) => {
    const p = `/files/${i}`;
    const fr = role(f.role);
    decls.push(
      doc(
        {
          k: 'registers',
          name: name(f.name, `${p}/name`),
          count: num(f.count, `${p}/count`),
          width: num(f.width, `${p}/width`),
          ...(fr ? { role: fr } : {}),
          readonly: f.readonly,
          names: f.names.map((n, j) => name(n, `${p}/names/${j}`)),
          replace: false,
          span: at(p),
        },
        f.doc,
      ),
    );
  });
  isa.memories.forEach((m, i) => {
    const p = `/memories/${i}`;
    const mr = role(m.role);
    decls.push(
      doc(
        {
          k: 'memory',
          name: name(m.name, `${p}/name`),
          wordWidth: num(m.wordWidth, `${p}/wordWidth`),
          size: num(m.size, `${p}/size`),
          ...(mr ? { role: mr } : {}),
          replace: false,
          span: at(p),
        },
        m.doc,
      ),
    );
  });
  isa.views.forEach((v, i) => {
    const p = `/views/${i}`;
    decls.push(
      doc(
        {
          k: 'view',
          name: name(v.name, `${p}/name`),
          memory: name(v.memory, `${p}/memory`),
          translation: name(v.translation, `${p}/translation`),
          replace: false,
          span: at(p),
        },
        v.doc,
      ),
    );
  });
  isa.translations.forEach((t, i) => {
    const p = `/translations/${i}`;
    decls.push(
      doc(
        {
          k: 'translate',
          name: name(t.name, `${p}/name`),
          param: { name: name(t.param.name, `${p}/param/name`), width: num(t.param.width, `${p}/param/width`), span: at(`${p}/param`) },
          resultWidth: num(t.resultWidth, `${p}/resultWidth`),
          body: stmts(t.body, `${p}/body`),
          result: expr(t.result, `${p}/result`),
          replace: false,
          span: at(p),
        },
        t.doc,
      ),
    );
  });
  isa.functions.forEach((f, i) => {
    const p = `/functions/${i}`;
    decls.push(
      doc(
        {
          k: 'function',
          name: name(f.name, `${p}/name`),
          params: f.params.map((x, j) => ({
            name: name(x.name, `${p}/params/${j}/name`),
            width: num(x.width, `${p}/params/${j}/width`),
            span: at(`${p}/params/${j}`),
          })),
          resultWidth: num(f.resultWidth, `${p}/resultWidth`),
          body: stmts(f.body, `${p}/body`),
          result: expr(f.result, `${p}/result`),
          replace: false,
          span: at(p),
        },
        f.doc,
      ),
    );
  });
  decls.push({
    k: 'modes',
    modes: isa.modes.map((m, i) => doc({ name: name(m.name, `/modes/${i}/name`), when: expr(m.when, `/modes/${i}/when`), span: at(`/modes/${i}`) }, m.doc)),
    replace: false,
    span: at('/modes'),
  });
  decls.push({ k: 'guest', mode: name(isa.guestMode, '/guestMode'), replace: false, span: at('/guestMode') });
  isa.traps.forEach((t, i) => {
    const p = `/traps/${i}`;
    const timer = t.timer ? { timer: { period: num(t.timer.period, `${p}/timer/period`), when: expr(t.timer.when, `${p}/timer/when`) } } : {};
    decls.push(
      doc(
        {
          k: 'trap',
          name: name(t.name, `${p}/name`),
          kind: { text: t.kind, span: at(`${p}/kind`) },
          vector: num(t.vector, `${p}/vector`),
          ...timer,
          replace: false,
          span: at(p),
        },
        t.doc,
      ),
    );
  });
  decls.push({ k: 'trapEntry', body: stmts(isa.trapEntry, '/trapEntry'), replace: false, span: at('/trapEntry') });
  decls.push({ k: 'reset', body: stmts(isa.reset, '/reset'), replace: false, span: at('/reset') });
  decls.push({ k: 'fetch', space: name(isa.fetch.space, '/fetch/space'), pc: name(isa.fetch.pc, '/fetch/pc'), replace: false, span: at('/fetch') });
  if (isa.console) {
    decls.push(
      doc(
        {
          k: 'console',
          space: name(isa.console.space, '/console/space'),
          address: num(isa.console.address, '/console/address'),
          replace: false,
          span: at('/console'),
        },
        isa.console.doc,
      ),
    );
  }
  isa.assumptions.forEach((a, i) => {
    const p = `/assumptions/${i}`;
    decls.push(doc({ k: 'assume', name: name(a.name, `${p}/name`), holds: expr(a.holds, `${p}/holds`), replace: false, span: at(p) }, a.doc));
  });
  const operandDecls = (ops: Operand[], p: string): A.OperandDecl[] =>
    ops.map((o, j) => {
      const q = `${p}/operands/${j}`;
      return o.kind === 'reg'
        ? { name: name(o.name, `${q}/name`), kind: 'reg', file: name(o.file ?? '', `${q}/file`), span: at(q) }
        : { name: name(o.name, `${q}/name`), kind: o.kind, width: num(o.width, `${q}/width`), span: at(q) };
    });
  isa.instructions.forEach((ins, i) => {
    const p = `/instructions/${i}`;
    const operands = operandDecls(ins.operands, p);
    const clauses: A.Clause[] = [
      { k: 'syntax', text: syntaxText(ins.syntax), span: at(`${p}/syntax`) },
      {
        k: 'encoding',
        span: at(`${p}/encoding`),
        items: ins.encoding.items.map((it, j): A.EncItem => {
          const q = `${p}/encoding/items/${j}`;
          if (it.k === 'little') return { k: 'little', items: it.items.map((b, n) => bits(b, `${q}/items/${n}`, ins)), span: at(q) };
          return bits(it, q, ins);
        }),
        when: (ins.encoding.exclude ?? []).map((x, j) => {
          const q = `${p}/encoding/exclude/${j}`;
          return { operand: name(x.operand, `${q}/operand`), value: num(x.value, `${q}/value`), span: at(q) };
        }),
      },
      { k: 'claims', claims: ins.claims.map((c, j) => ({ claim: c.claim, negated: c.negated, span: at(`${p}/claims/${j}`) })), span: at(`${p}/claims`) },
      { k: 'semantics', body: stmts(ins.semantics, `${p}/semantics`), span: at(`${p}/semantics`) },
    ];
    decls.push(doc({ k: 'instruction', name: name(ins.mnemonic, `${p}/mnemonic`), operands, clauses, replace: false, span: at(p) }, ins.doc));
  });
  // An alias is declared before the instructions (that is what makes it one); the others after.
  const pseudoDecls: A.Decl[] = [];
  (isa.pseudos ?? []).forEach((ps, i) => {
    const p = `/pseudos/${i}`;
    const clauses: A.PseudoClause[] = [
      { k: 'syntax', text: syntaxText(ps.syntax), span: at(`${p}/syntax`) },
      ...ps.expansions.map((e, j): A.PseudoClause => {
        const q = `${p}/expansions/${j}`;
        const items = e.instructions.map((it, n) => ({
          instruction: name(it.mnemonic, `${q}/instructions/${n}/mnemonic`),
          args: it.operands.map((a, m) => expr(a, `${q}/instructions/${n}/operands/${m}`)),
          span: at(`${q}/instructions/${n}`),
        }));
        return e.when ? { k: 'expand', when: expr(e.when, `${q}/when`), items, span: at(q) } : { k: 'expand', items, span: at(q) };
      }),
    ];
    const d = doc(
      { k: 'pseudo', name: name(ps.mnemonic, `${p}/mnemonic`), operands: operandDecls(ps.operands, p), clauses, replace: false, span: at(p) } as A.Decl,
      ps.doc,
    );
    if (ps.alias) pseudoDecls.unshift(d);
    else decls.push(d);
  });
  // Aliases in their order, before the first instruction.
  const firstInstr = decls.findIndex((d) => d.k === 'instruction');
  decls.splice(firstInstr < 0 ? decls.length : firstInstr, 0, ...pseudoDecls.reverse());

  const ast: A.SpecFile = { file, name: name(isa.name, '/name'), extends: [], decls, span: at('') };
  if (isa.doc !== undefined) ast.doc = isa.doc;
  return { ast, pointers };
}
