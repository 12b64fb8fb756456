// Renders chevrotain's serialized grammar (parser.getSerializedGastProductions()) as EBNF in the
// notation of grammar/LANGUAGE.md: 'keyword', [optional], (x)*, (x)+, a | b. Shared by
// scripts/grammar.mjs (writes grammar/isa.ebnf) and test/grammar (checks the file is up to date).

/** Token classes get grammar names; every other terminal is its quoted text. */
const terminalNames = {
  Identifier: 'Ident',
  NumberLit: 'Int',
  StringLit: 'String',
  CharLit: 'Char',
};

function terminal(t) {
  if (terminalNames[t.name]) return terminalNames[t.name];
  // Labels of fixed tokens are already quoted: 'isa', ';', 'control-sensitive'.
  if (typeof t.label === 'string' && /^'.*'$/.test(t.label)) return t.label;
  if (typeof t.pattern === 'string' && !/[\\[\]()*+?|^$]/.test(t.pattern)) return `'${t.pattern}'`;
  return t.name;
}

/** A sequence of productions as text. */
function seq(defs) {
  return defs.map(item).join(' ');
}

/** One production; sequences inside repetitions and alternations are grouped. */
function item(p) {
  switch (p.type) {
    case 'Terminal':
      return terminal(p);
    case 'NonTerminal':
      return p.name;
    case 'Option':
      // `[a | b]`, not `[(a | b)]`.
      return p.definition.length === 1 && p.definition[0].type === 'Alternation' ? `[${alternatives(p.definition[0])}]` : `[${seq(p.definition)}]`;
    case 'Repetition':
      return `${group(p.definition)}*`;
    case 'RepetitionMandatory':
      return `${group(p.definition)}+`;
    case 'RepetitionWithSeparator':
      return `[${seq(p.definition)} (${terminal(p.separator)} ${seq(p.definition)})*]`;
    case 'RepetitionMandatoryWithSeparator':
      return `${seq(p.definition)} (${terminal(p.separator)} ${seq(p.definition)})*`;
    case 'Alternation':
      return p.definition.length === 1 ? seq(p.definition[0].definition) : `(${alternatives(p)})`;
    case 'Alternative':
      return seq(p.definition);
    default:
      throw new Error(`ebnf: unknown production type ${p.type}`);
  }
}

function alternatives(p) {
  return p.definition.map((a) => seq(a.definition)).join(' | ');
}

/** A single item stays bare (`declaration*`); a sequence gets parentheses (`(',' param)*`). */
function group(defs) {
  if (defs.length === 1 && ['Terminal', 'NonTerminal', 'Alternation'].includes(defs[0].type)) return item(defs[0]);
  return `(${seq(defs)})`;
}

/** The whole grammar as EBNF text; a rule that is one alternation lists one alternative a line. */
export function renderEbnf(rules) {
  const width = Math.max(...rules.map((r) => r.name.length));
  const out = [
    '(* The grammar of the .isa language, generated from the parser (src/syntax/parser.ts) by',
    '   scripts/grammar.mjs: do not edit; run `npm run grammar`. The reference with meanings is',
    "   grammar/LANGUAGE.md. Notation: 'text' a token, [x] optional, x* repeated, x+ at least once. *)",
    '',
  ];
  for (const r of rules) {
    const name = r.name.padEnd(width);
    const defs = r.definition;
    if (defs.length === 1 && defs[0].type === 'Alternation') {
      const alts = defs[0].definition.map((a) => seq(a.definition));
      out.push(`${name} ::= ${alts[0]}`);
      for (const a of alts.slice(1)) out.push(`${' '.repeat(width)}   | ${a}`);
      out[out.length - 1] += ' ;';
    } else {
      out.push(`${name} ::= ${seq(defs)} ;`);
    }
  }
  return out.join('\n') + '\n';
}
