// The JSON form of the IR (`.isa.json`): export with a stable key order, and import with schema
// validation (grammar/isa.schema.json) followed by the semantic checks that apply to IR (names
// resolve, widths agree, encodings are consistent), so hand-edited JSON cannot crash later stages.

import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import { Diagnostics, diag, type Diagnostic } from '../syntax/diagnostics.js';
import type { EncodingBits, Expr, Isa, LValue, Stmt, Operand } from './types.js';
import { fixedBits, operandPattern } from './encoding.js';
import { MAX_WIDTH } from './types.js';

// ---- Export ----

/** One global key order: every IR object prints its keys in this order (unknown keys last, sorted). */
const KEY_ORDER = [
  'format', 'version', 'k', 'name', 'mnemonic', 'source', 'extends', 'endian', 'registers', 'files', 'memories', 'views',
  'translations', 'functions', 'modes', 'guestMode', 'traps', 'trapEntry', 'reset', 'fetch', 'assumptions', 'symbols', 'instructions',
  'width', 'word', 'hi', 'lo', 'count', 'wordWidth', 'size', 'role', 'readonly', 'clock', 'init', 'names', 'fields', 'memory',
  'translation', 'param', 'params', 'resultWidth', 'kind', 'vector', 'timer', 'period', 'when', 'holds', 'operands',
  'syntax', 'encoding', 'claims', 'semantics', 'items', 'mask', 'match', 'exclude', 'claim', 'negated', 'text', 'operand', 'relative', 'base', 'addend', 'target',
  'value', 'reg', 'field', 'file', 'index', 'space', 'addr', 'words', 'op', 'a', 'b', 'parts', 'fn', 'args', 'cond',
  'then', 'else', 'trap', 'pc', 'doc', 'span', 'line', 'col', 'endLine', 'endCol',
];
const rank = new Map(KEY_ORDER.map((k, i) => [k, i]));

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
  keys.sort((a, b) => {
    const ra = rank.get(a) ?? Infinity;
    const rb = rank.get(b) ?? Infinity;
    return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
  });
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = canonical((v as Record<string, unknown>)[k]);
  return out;
}

/** The IR as stable, pretty JSON (two-space indent, fixed key order, trailing newline). */
export function exportIsaJson(isa: Isa): string {
  return JSON.stringify(canonical(isa), null, 2) + '\n';
}

// ---- Import ----

let validator: ValidateFunction | undefined;

/** The compiled schema (grammar/isa.schema.json, found relative to this module in src/ or dist/). */
export function isaSchemaValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(new URL('../../grammar/isa.schema.json', import.meta.url), 'utf8')) as object;
    // Unoptimised code compiles about twice as fast; a spec is validated once per run.
    const ajv = new Ajv({ allErrors: true, discriminator: true, strict: false, code: { optimize: false } });
    validator = ajv.compile(schema);
  }
  return validator;
}

/** Where an error is and what it says; an unknown `k` points at the tag itself. */
function schemaError(e: ErrorObject): [string, string] {
  if (e.keyword === 'discriminator') {
    const p = e.params as { tag: string; tagValue: unknown };
    return [`${e.instancePath}/${p.tag}`, p.tagValue === undefined ? `missing '${p.tag}'` : `unknown kind ${JSON.stringify(p.tagValue)}`];
  }
  return [e.instancePath || '/', schemaMessage(e)];
}

function schemaMessage(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `unknown property '${String((e.params as { additionalProperty: string }).additionalProperty)}'`;
  if (e.keyword === 'enum') return `${e.message ?? 'invalid'}: ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((x) => JSON.stringify(x)).join(', ')}`;
  return e.message ?? 'invalid';
}

/** Parse and validate an `.isa.json` text. */
export function parseIsaJson(text: string, file: string): { isa?: Isa; diagnostics: Diagnostic[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { diagnostics: [diag(Diagnostics.InvalidJson, [(err as Error).message], undefined, { file })] };
  }
  // Bound nesting before the recursive validators run (a hostile file could nest 10^5 levels).
  const deepAt = tooDeep(data, 200);
  if (deepAt !== undefined) return { diagnostics: [diag(Diagnostics.IrInvalid, [deepAt, 'nested more than 200 levels deep'], undefined, { file })] };
  const validate = isaSchemaValidator();
  if (!validate(data)) {
    const seen = new Set<string>();
    const diagnostics: Diagnostic[] = [];
    for (const e of validate.errors ?? []) {
      const [path, message] = schemaError(e);
      const key = `${path}|${message}`;
      if (seen.has(key) || diagnostics.length >= 20) continue;
      seen.add(key);
      diagnostics.push(diag(Diagnostics.JsonSchema, [path, message], undefined, { file }));
    }
    return { diagnostics };
  }
  const isa = data as Isa;
  const diagnostics = validateIr(isa, file);
  return diagnostics.length ? { diagnostics } : { isa, diagnostics };
}

/** The JSON path of the first value nested deeper than `limit`, walking without recursion. */
function tooDeep(root: unknown, limit: number): string | undefined {
  const stack: [unknown, number, string][] = [[root, 0, '']];
  while (stack.length) {
    const [v, depth, path] = stack.pop()!;
    if (depth > limit) return path || '/';
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) if (x && typeof x === 'object') stack.push([x, depth + 1, `${path}/${k}`]);
    }
  }
  return undefined;
}

// ---- Semantic checks on IR ----

const pow2 = (n: number): boolean => Number.isSafeInteger(n) && n > 0 && Number.isInteger(Math.log2(n));
const addrWidth = (size: number): number => Math.max(1, Math.round(Math.log2(size)));

type Where = 'instruction' | 'trapEntry' | 'reset' | 'translation' | 'function' | 'state';

interface Env {
  where: Where;
  operands?: Map<string, Operand>;
  params?: Map<string, number>;
  locals: Map<string, number>;
  fnIndex?: number;
}

/**
 * The checks the checker makes that still apply to IR: every name resolves, every width agrees,
 * encodings are consistent. Messages name the JSON path.
 */
export function validateIr(isa: Isa, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const err = (path: string, msg: string): void => {
    if (out.length < 50) out.push(diag(Diagnostics.IrInvalid, [path, msg], undefined, { file }));
  };
  const values = new Map<string, string>();
  const unique = (path: string, name: string, kind: string, ns: Map<string, string>): void => {
    if (ns.has(name)) err(path + '/name', `duplicate ${kind} '${name}'`);
    ns.set(name, kind);
  };
  const regs = new Map(isa.registers.map((r) => [r.name, r]));
  const files = new Map(isa.files.map((f) => [f.name, f]));
  const mems = new Map(isa.memories.map((m) => [m.name, m]));
  const views = new Map(isa.views.map((v) => [v.name, v]));
  const trans = new Map(isa.translations.map((t) => [t.name, t]));
  const funcs = new Map(isa.functions.map((f, i) => [f.name, { f, i }]));
  const traps = new Map(isa.traps.map((t) => [t.name, t]));
  const pcWidth = regs.get(isa.fetch.pc)?.width ?? 0;

  isa.registers.forEach((r, i) => {
    const p = `/registers/${i}`;
    unique(p, r.name, 'register', values);
    if (BigInt(r.init) >> BigInt(r.width) !== 0n) err(p + '/init', `${r.init} does not fit in ${r.width} bits`);
    r.fields.forEach((f, j) => {
      if (f.lo > f.hi || f.hi >= r.width) err(`${p}/fields/${j}`, `field '${f.name}' (${f.hi}..${f.lo}) does not fit in ${r.width} bits`);
      if (r.fields.findIndex((g) => g.name === f.name) !== j) err(`${p}/fields/${j}/name`, `duplicate field '${f.name}'`);
    });
  });
  isa.files.forEach((f, i) => {
    unique(`/files/${i}`, f.name, 'register file', values);
    if (!pow2(f.count)) err(`/files/${i}/count`, 'must be a power of two');
    if (f.names.length && f.names.length !== f.count) err(`/files/${i}/names`, `${f.names.length} names for ${f.count} registers`);
  });
  isa.memories.forEach((m, i) => {
    unique(`/memories/${i}`, m.name, 'memory', values);
    if (!pow2(m.size)) err(`/memories/${i}/size`, 'must be a power of two');
  });
  isa.views.forEach((v, i) => {
    unique(`/views/${i}`, v.name, 'view', values);
    const m = mems.get(v.memory);
    const t = trans.get(v.translation);
    if (!m) err(`/views/${i}/memory`, `unknown memory '${v.memory}'`);
    if (!t) err(`/views/${i}/translation`, `unknown translation '${v.translation}'`);
    if (m && t && t.resultWidth !== addrWidth(m.size)) err(`/views/${i}/translation`, `translation returns ${t.resultWidth} bits but memory '${m.name}' has ${addrWidth(m.size)}-bit addresses`);
  });
  isa.translations.forEach((t, i) => unique(`/translations/${i}`, t.name, 'translation', values));
  isa.functions.forEach((f, i) => unique(`/functions/${i}`, f.name, 'function', values));
  const trapNames = new Map<string, string>();
  isa.traps.forEach((t, i) => unique(`/traps/${i}`, t.name, 'trap', trapNames));
  const modeNames = new Map<string, string>();
  isa.modes.forEach((m, i) => unique(`/modes/${i}`, m.name, 'mode', modeNames));
  if (isa.modes.length === 0) err('/modes', 'there must be at least one mode');
  else if (!modeNames.has(isa.guestMode)) err('/guestMode', `unknown mode '${isa.guestMode}'`);
  if (!regs.has(isa.fetch.pc)) err('/fetch/pc', `unknown register '${isa.fetch.pc}'`);
  const fetchMem = mems.get(isa.fetch.space) ?? mems.get(views.get(isa.fetch.space)?.memory ?? '');
  if (!mems.has(isa.fetch.space) && !views.has(isa.fetch.space)) err('/fetch/space', `unknown memory or view '${isa.fetch.space}'`);
  if (isa.instructions.length === 0) err('/instructions', 'there must be at least one instruction');

  // ---- Expressions and statements ----
  const expr = (e: Expr, path: string, env: Env): void => {
    const w = e.width;
    const want = (cond: boolean, msg: string): void => {
      if (!cond) err(path, msg);
    };
    switch (e.k) {
      case 'const':
        want(BigInt(e.value) >> BigInt(w) === 0n, `${e.value} does not fit in ${w} bits`);
        return;
      case 'reg': {
        const r = regs.get(e.reg);
        if (!r) return err(path + '/reg', `unknown register '${e.reg}'`);
        if (env.where === 'function') err(path, 'a function may read only its parameters');
        return want(r.width === w, `width ${w} but register '${e.reg}' has ${r.width} bits`);
      }
      case 'field': {
        const f = regs.get(e.reg)?.fields.find((x) => x.name === e.field);
        if (!f) return err(path + '/field', `unknown field '${e.reg}.${e.field}'`);
        return want(f.hi === e.hi && f.lo === e.lo && w === f.hi - f.lo + 1, `field '${e.reg}.${e.field}' is ${f.hi}..${f.lo}`);
      }
      case 'file': {
        const f = files.get(e.file);
        if (!f) return err(path + '/file', `unknown register file '${e.file}'`);
        expr(e.index, path + '/index', env);
        return want(f.width === w, `width ${w} but register file '${e.file}' has ${f.width} bits`);
      }
      case 'mem': {
        const m = mems.get(e.space) ?? mems.get(views.get(e.space)?.memory ?? '');
        if (!m) return err(path + '/space', `unknown memory or view '${e.space}'`);
        expr(e.addr, path + '/addr', env);
        const t = trans.get(views.get(e.space)?.translation ?? '');
        if (t && e.addr.width !== t.param.width) err(path + '/addr', `address has ${e.addr.width} bits but view '${e.space}' takes ${t.param.width}`);
        return want(w === e.words * m.wordWidth, `width ${w} but ${e.words} word(s) of '${e.space}' have ${e.words * m.wordWidth} bits`);
      }
      case 'operand': {
        const o = env.operands?.get(e.name);
        if (!o) return err(path + '/name', `unknown operand '${e.name}'`);
        return want(o.width === w, `width ${w} but operand '${e.name}' has ${o.width} bits`);
      }
      case 'local': {
        const l = env.locals.get(e.name);
        if (l === undefined) return err(path + '/name', `unknown local '${e.name}'`);
        return want(l === w, `width ${w} but local '${e.name}' has ${l} bits`);
      }
      case 'param': {
        const p = env.params?.get(e.name);
        if (p === undefined) return err(path + '/name', `unknown parameter '${e.name}'`);
        return want(p === w, `width ${w} but parameter '${e.name}' has ${p} bits`);
      }
      case 'builtin': {
        const ok = e.name === 'next_pc' ? env.where === 'instruction' : env.where === 'trapEntry';
        if (!ok) return err(path, `'${e.name}' is not available here`);
        return want(w === (e.name === 'trap_vector' ? 8 : pcWidth), `wrong width for '${e.name}'`);
      }
      case 'unop':
        expr(e.a, path + '/a', env);
        return want(e.a.width === w, 'operand and result widths differ');
      case 'binop': {
        expr(e.a, path + '/a', env);
        expr(e.b, path + '/b', env);
        const isShift = e.op === 'shl' || e.op === 'lshr' || e.op === 'ashr';
        const isCmp = ['eq', 'ne', 'ult', 'ule', 'ugt', 'uge', 'slt', 'sle', 'sgt', 'sge'].includes(e.op);
        if (!isShift) want(e.a.width === e.b.width, `operands have ${e.a.width} and ${e.b.width} bits`);
        return want(w === (isCmp ? 1 : e.a.width), `result width ${w} is wrong for '${e.op}'`);
      }
      case 'concat':
        e.parts.forEach((p, i) => expr(p, `${path}/parts/${i}`, env));
        return want(w === e.parts.reduce((s, p) => s + p.width, 0), 'width is not the sum of the parts');
      case 'slice':
        expr(e.a, path + '/a', env);
        return want(e.lo <= e.hi && e.hi < e.a.width && w === e.hi - e.lo + 1, `bits ${e.hi}..${e.lo} of a ${e.a.width}-bit value`);
      case 'zext':
      case 'sext':
        expr(e.a, path + '/a', env);
        return want(w >= e.a.width, `cannot extend ${e.a.width} bits to ${w}`);
      case 'ite':
        expr(e.cond, path + '/cond', env);
        expr(e.then, path + '/then', env);
        expr(e.else, path + '/else', env);
        want(e.cond.width === 1, 'condition must be 1 bit');
        return want(e.then.width === w && e.else.width === w, 'branch widths differ');
      case 'call': {
        const f = funcs.get(e.fn);
        if (!f) return err(path + '/fn', `unknown function '${e.fn}'`);
        if (env.fnIndex !== undefined && f.i >= env.fnIndex) err(path + '/fn', `function '${e.fn}' is not declared before its use`);
        if (e.args.length !== f.f.params.length) return err(path + '/args', `'${e.fn}' takes ${f.f.params.length} arguments`);
        e.args.forEach((a, i) => {
          expr(a, `${path}/args/${i}`, env);
          if (a.width !== f.f.params[i]!.width) err(`${path}/args/${i}`, `argument has ${a.width} bits but parameter has ${f.f.params[i]!.width}`);
        });
        return want(w === f.f.resultWidth, `'${e.fn}' returns ${f.f.resultWidth} bits`);
      }
    }
  };

  const lvalue = (t: LValue, path: string, env: Env): void => {
    const fake: Expr =
      t.k === 'reg' ? { k: 'reg', width: t.width, reg: t.reg }
      : t.k === 'field' ? { k: 'field', width: t.width, reg: t.reg, field: t.field, hi: t.hi, lo: t.lo }
      : t.k === 'file' ? { k: 'file', width: t.width, file: t.file, index: t.index }
      : { k: 'mem', width: t.width, space: t.space, addr: t.addr, words: t.words };
    expr(fake, path, env);
    if (t.k === 'reg' || t.k === 'field') if (regs.get(t.reg)?.readonly) err(path, `register '${t.reg}' is read-only`);
    if (t.k === 'file' && files.get(t.file)?.readonly) err(path, `register file '${t.file}' is read-only`);
  };

  const stmts = (ss: Stmt[], path: string, env: Env): void => {
    const locals = new Map(env.locals);
    const inner: Env = { ...env, locals };
    ss.forEach((s, i) => {
      const p = `${path}/${i}`;
      switch (s.k) {
        case 'let':
          expr(s.value, p + '/value', inner);
          locals.set(s.name, s.value.width);
          return;
        case 'assign':
          if (env.where === 'function' || env.where === 'translation') err(p, 'an assignment is not allowed here');
          lvalue(s.target, p + '/target', inner);
          expr(s.value, p + '/value', inner);
          if (s.value.width !== s.target.width) err(p + '/value', `has ${s.value.width} bits but the target has ${s.target.width}`);
          return;
        case 'if':
          expr(s.cond, p + '/cond', inner);
          if (s.cond.width !== 1) err(p + '/cond', 'condition must be 1 bit');
          stmts(s.then, p + '/then', inner);
          stmts(s.else, p + '/else', inner);
          return;
        case 'trap':
          if (!traps.has(s.trap)) err(p + '/trap', `unknown trap '${s.trap}'`);
          return;
        case 'halt':
          return;
      }
    });
  };

  const env = (where: Where, extra?: Partial<Env>): Env => ({ where, locals: new Map(), ...extra });
  isa.translations.forEach((t, i) => {
    const e = env('translation', { params: new Map([[t.param.name, t.param.width]]) });
    stmts(t.body, `/translations/${i}/body`, e);
    const locals = collectLets(t.body, e.locals);
    expr(t.result, `/translations/${i}/result`, { ...e, locals });
    if (t.result.width !== t.resultWidth) err(`/translations/${i}/result`, `has ${t.result.width} bits but the translation returns ${t.resultWidth}`);
  });
  isa.functions.forEach((f, i) => {
    const e = env('function', { params: new Map(f.params.map((p) => [p.name, p.width])), fnIndex: i });
    stmts(f.body, `/functions/${i}/body`, e);
    if (f.body.some((s) => s.k !== 'let')) err(`/functions/${i}/body`, 'a function body has only let statements');
    const locals = collectLets(f.body, e.locals);
    expr(f.result, `/functions/${i}/result`, { ...e, locals });
    if (f.result.width !== f.resultWidth) err(`/functions/${i}/result`, `has ${f.result.width} bits but the function returns ${f.resultWidth}`);
  });
  isa.modes.forEach((m, i) => {
    expr(m.when, `/modes/${i}/when`, env('state'));
    if (m.when.width !== 1) err(`/modes/${i}/when`, 'must be 1 bit');
  });
  isa.traps.forEach((t, i) => {
    if (t.timer) {
      expr(t.timer.when, `/traps/${i}/timer/when`, env('state'));
      if (t.timer.when.width !== 1) err(`/traps/${i}/timer/when`, 'must be 1 bit');
    }
  });
  const symbolNames = new Set<string>();
  (isa.symbols ?? []).forEach((s, i) => {
    if (symbolNames.has(s.name)) err(`/symbols/${i}/name`, `name '${s.name}' is declared twice`);
    symbolNames.add(s.name);
    if (BigInt(s.value) >> BigInt(MAX_WIDTH) !== 0n) err(`/symbols/${i}/value`, `does not fit in ${MAX_WIDTH} bits`);
  });
  isa.assumptions.forEach((a, i) => {
    expr(a.holds, `/assumptions/${i}/holds`, env('state'));
    if (a.holds.width !== 1) err(`/assumptions/${i}/holds`, 'must be 1 bit');
  });
  stmts(isa.trapEntry, '/trapEntry', env('trapEntry'));
  stmts(isa.reset, '/reset', env('reset'));
  const mnemonics = new Map<string, string>();
  isa.instructions.forEach((ins, i) => {
    const p = `/instructions/${i}`;
    unique(p, ins.mnemonic, 'instruction', mnemonics);
    const operands = new Map<string, Operand>();
    ins.operands.forEach((o, j) => {
      if (operands.has(o.name)) err(`${p}/operands/${j}/name`, `duplicate operand '${o.name}'`);
      operands.set(o.name, o);
      if (o.kind === 'reg') {
        const f = files.get(o.file ?? '');
        if (!f) err(`${p}/operands/${j}/file`, `unknown register file '${o.file ?? ''}'`);
        else if (o.width !== addrWidth(f.count)) err(`${p}/operands/${j}/width`, `a register of '${f.name}' is named by ${addrWidth(f.count)} bits`);
      }
    });
    ins.syntax.forEach((s, j) => {
      if (s.k === 'operand' && !operands.has(s.name)) err(`${p}/syntax/${j}/name`, `unknown operand '${s.name}'`);
    });
    const enc = ins.encoding;
    let total = 0;
    const placed = new Map<string, bigint>();
    const bitsItem = (it: EncodingBits, at: string): void => {
      if (it.k === 'fixed') {
        if (BigInt(it.value) >> BigInt(it.width) !== 0n) err(`${at}/value`, `does not fit in ${it.width} bits`);
        return;
      }
      const o = operands.get(it.operand);
      const lo = it.lo ?? 0;
      if (!o) return err(`${at}/operand`, `unknown operand '${it.operand}'`);
      if (it.lo === undefined && it.width < o.width) err(`${at}/width`, `field narrower than operand '${o.name}'`);
      if (lo > 0 && lo + it.width > o.width) err(`${at}/lo`, `bits ${lo + it.width - 1}..${lo} are outside operand '${o.name}'`);
      const cover = (((1n << BigInt(Math.max(0, Math.min(it.width, o.width - lo)))) - 1n) << BigInt(lo)) & ((1n << BigInt(o.width)) - 1n);
      if ((placed.get(it.operand) ?? 0n) & cover) err(`${at}/operand`, `a bit of operand '${it.operand}' is encoded twice`);
      placed.set(it.operand, (placed.get(it.operand) ?? 0n) | cover);
    };
    enc.items.forEach((it, j) => {
      total += it.width;
      if (it.k !== 'little') return bitsItem(it, `${p}/encoding/items/${j}`);
      const fww = fetchMem?.wordWidth ?? it.word;
      if (it.word !== fww || it.width % it.word !== 0) err(`${p}/encoding/items/${j}/word`, `a little group is whole ${fww}-bit fetch words`);
      if (it.items.reduce((n, b) => n + b.width, 0) !== it.width) err(`${p}/encoding/items/${j}/width`, `its items do not add up to ${it.width} bits`);
      it.items.forEach((b, n) => bitsItem(b, `${p}/encoding/items/${j}/items/${n}`));
    });
    for (const o of operands.keys()) if (!placed.has(o)) err(`${p}/encoding/items`, `operand '${o}' is not encoded`);
    if (total !== enc.width || total > MAX_WIDTH) err(`${p}/encoding/width`, `items have ${total} bits`);
    if (fetchMem && enc.width % fetchMem.wordWidth !== 0) err(`${p}/encoding/width`, `not a multiple of the fetch word width ${fetchMem.wordWidth}`);
    const { mask: m, match: v } = total === enc.width && total <= MAX_WIDTH ? fixedBits(enc) : { mask: 0n, match: 0n };
    (enc.exclude ?? []).forEach((x, j) => {
      const o = operands.get(x.operand);
      if (!o) return err(`${p}/encoding/exclude/${j}/operand`, `unknown operand '${x.operand}'`);
      if (BigInt(x.value) >> BigInt(o.width) !== 0n) err(`${p}/encoding/exclude/${j}/value`, `does not fit operand '${o.name}'`);
      const want = total === enc.width && total <= MAX_WIDTH ? operandPattern(enc, x.operand, BigInt(x.value)) : { mask: 0n, match: 0n };
      if (BigInt(x.mask) !== want.mask || BigInt(x.match) !== want.match) err(`${p}/encoding/exclude/${j}`, `mask/match should be 0x${want.mask.toString(16)}/0x${want.match.toString(16)}`);
    });
    if (BigInt(enc.mask) !== m) err(`${p}/encoding/mask`, `should be 0x${m.toString(16)}`);
    if (BigInt(enc.match) !== v) err(`${p}/encoding/match`, `should be 0x${v.toString(16)}`);
    stmts(ins.semantics, `${p}/semantics`, env('instruction', { operands }));
  });
  return out;
}

/** The let names a body defines at its top level (visible to the result expression). */
function collectLets(body: Stmt[], base: Map<string, number>): Map<string, number> {
  const m = new Map(base);
  for (const s of body) if (s.k === 'let') m.set(s.name, s.value.width);
  return m;
}
