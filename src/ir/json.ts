// The JSON form of the IR (`.isa.json`): export with a stable key order, and import with schema
// validation (grammar/isa.schema.json) followed by the same checker as the text form (fromjson.ts
// turns the IR into the AST it describes), so hand-edited JSON cannot crash later stages and is
// held to exactly the rules a `.isa` file is.

import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import { Diagnostics, diag, type Diagnostic } from '../syntax/index.js';
import { checkSpec } from './check.js';
import { irToAst } from './fromjson.js';
import { jsonPositions, spanAt, type JsonPositions } from './jsonpos.js';
import { MAX_JSON_DEPTH } from './limits.js';
import type { Isa } from './types.js';

// ---- Export ----

/** One global key order: every IR object prints its keys in this order (unknown keys last, sorted). */
const KEY_ORDER = [
  'format',
  'version',
  'k',
  'name',
  'mnemonic',
  'source',
  'extends',
  'endian',
  'registers',
  'files',
  'memories',
  'views',
  'translations',
  'functions',
  'modes',
  'guestMode',
  'traps',
  'trapEntry',
  'reset',
  'fetch',
  'console',
  'assumptions',
  'symbols',
  'instructions',
  'pseudos',
  'width',
  'word',
  'hi',
  'lo',
  'count',
  'wordWidth',
  'size',
  'role',
  'readonly',
  'clock',
  'init',
  'names',
  'fields',
  'memory',
  'translation',
  'param',
  'params',
  'resultWidth',
  'kind',
  'vector',
  'timer',
  'period',
  'when',
  'holds',
  'operands',
  'syntax',
  'encoding',
  'claims',
  'semantics',
  'expansions',
  'alias',
  'items',
  'mask',
  'match',
  'exclude',
  'claim',
  'negated',
  'text',
  'operand',
  'relative',
  'base',
  'addend',
  'target',
  'value',
  'reg',
  'field',
  'file',
  'index',
  'space',
  'address',
  'addr',
  'words',
  'op',
  'a',
  'b',
  'parts',
  'fn',
  'args',
  'cond',
  'then',
  'else',
  'trap',
  'pc',
  'doc',
  'span',
  'line',
  'col',
  'endLine',
  'endCol',
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
  if (e.keyword === 'enum')
    return `${e.message ?? 'invalid'}: ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((x) => JSON.stringify(x)).join(', ')}`;
  return e.message ?? 'invalid';
}

/** Parse and validate an `.isa.json` text: JSON, then the schema, then the one checker (check.ts). */
export function parseIsaJson(text: string, file: string): { isa?: Isa; diagnostics: Diagnostic[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { diagnostics: [invalidJson(text, file, (err as Error).message)] };
  }
  // Bound nesting before the recursive validators run (a hostile file could nest 10^5 levels).
  const deepAt = tooDeep(data, MAX_JSON_DEPTH);
  const positions = jsonPositions(text, file);
  if (deepAt !== undefined)
    return { diagnostics: [diag(Diagnostics.JsonTooDeep, [MAX_JSON_DEPTH], spanAt(positions, deepAt === '/' ? '' : deepAt, file), { pointer: deepAt })] };
  const validate = isaSchemaValidator();
  if (!validate(data)) {
    const seen = new Set<string>();
    const diagnostics: Diagnostic[] = [];
    for (const e of validate.errors ?? []) {
      const [pointer, message] = schemaError(e);
      const key = `${pointer}|${message}`;
      if (seen.has(key) || diagnostics.length >= 20) continue;
      seen.add(key);
      diagnostics.push(diag(Diagnostics.JsonSchema, [message], spanAt(positions, pointer === '/' ? '' : pointer, file), { pointer }));
    }
    return { diagnostics };
  }
  return checkIrJson(data as Isa, positions, file);
}

/** `invalid JSON` with the line:col JSON.parse names only as an offset. */
function invalidJson(text: string, file: string, message: string): Diagnostic {
  const m = /position (\d+)/.exec(message);
  if (!m) return diag(Diagnostics.InvalidJson, [message], undefined, { file });
  const offset = Math.min(Number(m[1]), text.length);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return diag(Diagnostics.InvalidJson, [message.replace(/ in JSON at position \d+.*$/, '')], { file, line, col, endLine: line, endCol: col + 1 });
}

/**
 * The JSON form through the text form's checker: the IR becomes the AST it describes, the checker
 * derives the IR again, and what the JSON states beyond the text (widths, masks, kinds of names)
 * must agree with what it derives. Every diagnostic names its JSON pointer and line:col.
 */
function checkIrJson(input: Isa, positions: JsonPositions, file: string): { isa?: Isa; diagnostics: Diagnostic[] } {
  const { ast, pointers } = irToAst(input, positions, file);
  const checked = checkSpec(ast, { readFile: () => undefined }, file);
  const diagnostics = checked.diagnostics.map((d) => {
    const pointer = d.span ? pointers.get(d.span) : undefined;
    return pointer === undefined ? d : { ...d, pointer };
  });
  if (!checked.isa) return { diagnostics };
  const mismatches: Diagnostic[] = [];
  compareIr(input, checked.isa, '', (pointer, what, stated, derived) => {
    if (mismatches.length < 20) mismatches.push(diag(Diagnostics.IrMismatch, [what, stated, derived], spanAt(positions, pointer, file), { pointer }));
  });
  if (mismatches.length > 0) return { diagnostics: [...diagnostics, ...mismatches] };
  // The input, not the derived copy: its spans point at the spec the JSON was exported from.
  return { isa: input, diagnostics };
}

/** Keys the comparison skips: places, and what the IR records about where it came from. */
const UNCOMPARED = new Set(['span', 'source', 'extends']);

const show = (v: unknown): string =>
  v === undefined
    ? 'absent'
    : typeof v === 'string'
      ? `'${v.length > 40 ? v.slice(0, 37) + '...' : v}'`
      : Array.isArray(v)
        ? `a list of ${v.length}`
        : typeof v === 'object' && v !== null
          ? 'an object'
          : String(v);

/** Report each place where `stated` (the JSON) and `derived` (the checker's IR) differ. */
function compareIr(stated: unknown, derived: unknown, pointer: string, report: (pointer: string, what: string, stated: string, derived: string) => void): void {
  const what = pointer === '' ? 'the spec' : pointer.slice(pointer.lastIndexOf('/') + 1) || 'the value';
  if (Array.isArray(stated) && Array.isArray(derived)) {
    if (stated.length !== derived.length) return report(pointer, `the number of items of '${what}'`, String(stated.length), String(derived.length));
    stated.forEach((x, i) => compareIr(x, derived[i], `${pointer}/${i}`, report));
    return;
  }
  if (stated && derived && typeof stated === 'object' && typeof derived === 'object' && !Array.isArray(stated) && !Array.isArray(derived)) {
    const a = stated as Record<string, unknown>;
    const b = derived as Record<string, unknown>;
    // A different kind of node: its children cannot be compared one by one.
    if (a['k'] !== b['k']) return report(`${pointer}/k`, 'k', show(a['k']), show(b['k']));
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (UNCOMPARED.has(key)) continue;
      compareIr(a[key], b[key], `${pointer}/${key}`, report);
    }
    return;
  }
  if (stated !== derived) report(pointer, what, show(stated), show(derived));
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
