// Every diagnostic code in the catalogue is produced by at least one case here, at an exact
// file:line:col (the ‸ marker). The last test fails if a catalogue code has no case.
import { describe, expect, test } from 'vitest';
import { Diagnostics, loadIsaFile, exportIsaJson, renderDiagnostic } from '../../src/ir/index.js';
import { MARK as M, spec, expectDiagnostic, memHost, ok, at } from './helpers.js';

const covered = new Set<string>();

interface Case {
  name: string;
  code: string;
  text: string;
  /** Substring the message must contain. */
  message?: string;
  hint?: string;
  severity?: 'error' | 'warning';
}

const ins = (body: string, ops = ''): string => `instruction X(${ops}) {\n${body}\n}`;
const sem = (body: string, ops = '', enc = 'encoding 0x01:8;'): string => ins(`  ${enc}\n  semantics {\n    ${body}\n  }`, ops);

const cases: Case[] = [
  // ---- ISA1xxx ----
  { name: 'stray character', code: 'ISA1001', text: spec({ extra: `${M}# comment` }), message: '"#"' },
  { name: 'unterminated string', code: 'ISA1002', text: spec({ instructions: `instruction X() {\n  syntax ${M}"X;\n  encoding 0:8;\n}` }) },
  { name: 'unterminated block comment', code: 'ISA1003', text: spec() + `${M}/* never closed\n` },
  { name: 'malformed number', code: 'ISA1004', text: spec({ extra: `register Q : ${M}0x;` }), message: "'0x'" },
  { name: 'malformed number digits', code: 'ISA1004', text: spec({ extra: `register Q : ${M}12ab;` }) },
  { name: 'bad character literal', code: 'ISA1005', text: spec({ instructions: sem(`PC = ${M}'ab';`) }) },
  {
    name: 'missing semicolon (reported after the previous token)',
    code: 'ISA1010',
    text: spec({ extra: `memory F : 8 [4]${M}\nregister Q : 8;` }),
    message: "expected ';' but found 'register'",
  },
  { name: 'unexpected token', code: 'ISA1010', text: spec({ extra: `memory F : 8 ${M}4;` }), message: "expected '[' but found '4'" },
  { name: 'no alternative', code: 'ISA1011', text: spec({ extra: `endian ${M}middle;` }), message: "found 'middle'" },
  { name: 'empty encoding', code: 'ISA1012', text: spec({ instructions: `instruction X() {\n  encoding ${M};\n}` }), message: 'encoding item' },
  { name: 'not a declaration', code: 'ISA1013', text: spec({ extra: `${M}foo bar;` }), message: "found 'foo'" },
  { name: 'keyword as name', code: 'ISA1014', text: spec({ extra: `register ${M}mode : 1;` }), message: "'mode' is a keyword" },
  { name: 'keyword as operand name', code: 'ISA1014', text: spec({ instructions: `instruction X(${M}imm : imm 8) {\n  encoding 0:8;\n}` }) },
  { name: 'keyword in an expression', code: 'ISA1014', text: spec({ instructions: sem(`PC = ${M}imm;`) }) },
  { name: 'no header', code: 'ISA1015', text: `${M}memory E : 8 [4];\n` },
  {
    name: 'brackets nested too deeply',
    code: 'ISA1016',
    text: spec({ instructions: sem('PC = ' + '('.repeat(98) + `${M}(PC` + ')'.repeat(99) + ';') /* 2 braces + 99 parens */ }),
  },
  { name: 'prefix operators nested too deeply', code: 'ISA1016', text: spec({ instructions: sem('PC = ' + '~'.repeat(100) + `${M}~PC;`) }) },
  { name: 'operator chain too long', code: 'ISA1016', text: spec({ instructions: sem('PC = PC' + ' + PC'.repeat(1000) + ` ${M}+ PC;`) }) },
  {
    name: 'a ?: chain too long, at the ? that crosses the limit',
    code: 'ISA1016',
    text: spec({ instructions: sem('PC = ' + 'M == 1 ? 1 : '.repeat(100) + `M == 1 ${M}? 1 : ` + 'M == 1 ? 1 : '.repeat(4899) + '0;') }),
  },
  {
    name: 'a | where a token belongs is an argument, not a separator',
    code: 'ISA1010',
    text: spec({ extra: `memory F : 8 ${M}| [4];` }),
    message: "expected '[' but found '|'",
  },
  {
    name: 'blocks nested too deeply (if in if)',
    code: 'ISA1018',
    text: spec({ instructions: sem('if M == 1 { '.repeat(98) + `if M == 1 ${M}{ halt; ` + '}'.repeat(99)) }),
    message: 'blocks nested too deeply',
  },
  { name: 'too many syntax errors', code: 'ISA1017', text: spec({ extra: 'register ;\n'.repeat(25) + `register ${M};` }) },

  // ---- ISA2xxx ----
  {
    name: 'duplicate register',
    code: 'ISA2001',
    text: spec({ extra: `register Q : 8;\nregister ${M}Q : 4;` }),
    message: "duplicate register 'Q' (first declared at t.isa:",
  },
  { name: 'register and memory share a name', code: 'ISA2001', text: spec({ extra: `memory ${M}PC : 8 [4];` }), message: "duplicate name 'PC'" },
  { name: 'duplicate instruction', code: 'ISA2001', text: spec({ instructions: `instruction A() { encoding 1:8; }\ninstruction ${M}A() { encoding 2:8; }` }) },
  { name: 'duplicate field', code: 'ISA2001', text: spec({ extra: `register Q : 8 {\n  f = 1;\n  ${M}f = 2;\n}` }) },
  { name: 'duplicate mode', code: 'ISA2001', text: spec({ modes: `modes {\n  a when M == 1;\n  ${M}a when M == 0;\n}` }) },
  { name: 'duplicate operand', code: 'ISA2001', text: spec({ instructions: `instruction X(a : imm 4, ${M}a : imm 4) {\n  encoding a:4 a:4;\n}` }) },
  { name: 'unknown name', code: 'ISA2002', text: spec({ instructions: sem(`PC = ${M}PX;`) }), hint: "did you mean 'PC'?" },
  { name: 'unknown trap', code: 'ISA2003', text: spec({ instructions: sem(`trap ${M}prov;`) }), hint: "did you mean 'priv'?" },
  {
    name: 'unknown field',
    code: 'ISA2004',
    text: spec({ extra: 'register R : 8 { base = 7..4; }', instructions: sem(`R.${M}bse = 1;`) }),
    hint: "did you mean 'base'?",
  },
  { name: 'unknown function', code: 'ISA2005', text: spec({ instructions: sem(`PC = ${M}zxt(M, 8);`) }), hint: "did you mean 'zext'?" },
  {
    name: 'unknown register file',
    code: 'ISA2006',
    text: spec({ instructions: `instruction X(a : reg ${M}rr) {\n  encoding 0:6 a:2;\n}` }),
    hint: "did you mean 'r'?",
  },
  { name: 'unknown guest mode', code: 'ISA2007', text: spec({ extra: `guest mode ${M}user;` }), hint: "did you mean 'usr'?" },
  { name: 'no modes', code: 'ISA2008', text: spec({ header: `isa ${M}t;`, modes: '' }) },
  { name: 'empty modes', code: 'ISA2008', text: spec({ modes: `${M}modes { }` }) },
  { name: 'no fetch', code: 'ISA2009', text: spec({ header: `isa ${M}t;`, fetch: '' }) },
  { name: 'no instructions', code: 'ISA2010', text: spec({ header: `isa ${M}t;`, instructions: '' }) },
  {
    name: 'assign read-only',
    code: 'ISA2011',
    text: spec({ extra: 'readonly register C : 8 clock;', instructions: sem(`${M}C = 0;`) }),
    message: "'C': it is read-only",
  },
  { name: 'assign read-only file', code: 'ISA2011', text: spec({ extra: 'readonly registers z[2] : 8;', instructions: sem(`${M}z[0] = 0;`) }) },
  { name: 'assign operand', code: 'ISA2012', text: spec({ instructions: sem(`${M}a = 1;`, 'a : imm 8', 'encoding a:8;') }), message: "the operand 'a'" },
  { name: 'assign let', code: 'ISA2012', text: spec({ instructions: sem(`let x = PC;\n    ${M}x = PC;`) }) },
  { name: 'assign bit', code: 'ISA2012', text: spec({ instructions: sem(`${M}PC[3] = 1;`) }) },
  {
    name: 'assignment in translation',
    code: 'ISA2013',
    text: spec({ extra: `translate t(a : 8) : 8 {\n  ${M}PC = a;\n  return a;\n}` }),
    message: 'an assignment is not allowed in a translation',
  },
  { name: 'halt in function', code: 'ISA2013', text: spec({ extra: `function f(a : 8) : 8 {\n  ${M}halt;\n  return a;\n}` }) },
  { name: 'trap in function', code: 'ISA2013', text: spec({ extra: `function f(a : 8) : 8 {\n  ${M}trap priv;\n  return a;\n}` }) },
  { name: 'replace of nothing', code: 'ISA2014', text: spec({ extra: `replace register ${M}Q : 8;` }) },
  { name: 'replace of a missing single', code: 'ISA2014', text: spec({ extra: `${M}replace reset { }` }) },
  { name: 'remove of nothing', code: 'ISA2015', text: spec({ extra: `remove register ${M}PCC;` }), hint: "did you mean 'PC'?" },
  { name: 'second fetch', code: 'ISA2017', text: spec({ extra: `${M}fetch E at PC;` }) },
  { name: 'let shadows a register', code: 'ISA2018', text: spec({ instructions: sem(`let ${M}M = PC;`) }) },
  { name: 'let shadows a let', code: 'ISA2018', text: spec({ instructions: sem(`let x = PC;\n    if M == 1 {\n      let ${M}x = PC;\n    }`) }) },
  {
    name: 'expansion names no instruction',
    code: 'ISA2034',
    text: spec({ extra: `pseudo P() {\n  expand {\n    ${M}NP();\n  }\n}` }),
    hint: "did you mean 'NOP'?",
  },
  {
    name: 'expansion names a pseudo-instruction',
    code: 'ISA2034',
    text: spec({ extra: `pseudo Q() {\n  expand {\n    NOP();\n  }\n}\npseudo P() {\n  expand {\n    ${M}Q();\n  }\n}` }),
    hint: "'Q' is a pseudo-instruction; an expansion lists real instructions",
  },
  { name: 'pseudo-instruction without expansion', code: 'ISA2035', text: spec({ extra: `pseudo ${M}P() {\n  syntax "p";\n}` }) },
  {
    name: 'expansion condition reads state',
    code: 'ISA2036',
    text: spec({ extra: `pseudo P(a : imm 8) {\n  expand when ${M}PC == a {\n    NOP();\n  }\n}` }),
    message: "pseudo-instruction 'P' reads 'PC'",
  },
  {
    name: 'replace of a clause the trap entry lacks',
    code: 'ISA2037',
    text: spec({ extra: `trap entry {\n  clause frame {\n    PC = 0;\n  }\n}\nreplace trap entry clause ${M}fram {\n  PC = 1;\n}` }),
    hint: "did you mean 'frame'?",
  },
  {
    name: 'replace of a clause with no trap entry',
    code: 'ISA2037',
    text: spec({ extra: `replace trap entry clause ${M}frame {\n  PC = 1;\n}` }),
    hint: 'there is no trap entry',
  },
  {
    name: 'trap entry clause without replace',
    code: 'ISA2038',
    text: spec({ extra: `trap entry {\n  clause frame {\n    PC = 0;\n  }\n}\ntrap entry clause ${M}frame {\n  PC = 1;\n}` }),
  },
  {
    name: 'entry of a vector no trap has',
    code: 'ISA2039',
    text: spec({ extra: `trap entry {\n  PC = 0;\n}\ntrap entry vector ${M}7 {\n  PC = 1;\n}` }),
    hint: "the traps' vectors: 1",
  },
  { name: 'entry of a vector without a trap entry', code: 'ISA2040', text: spec({ extra: `trap entry vector ${M}1 {\n  PC = 1;\n}` }) },
  {
    name: 'duplicate clause of the trap entry',
    code: 'ISA2001',
    text: spec({ extra: `trap entry {\n  clause a {\n    PC = 0;\n  }\n  clause ${M}a {\n    PC = 1;\n  }\n}` }),
    message: "duplicate clause 'a'",
  },
  {
    name: 'clause outside the trap entry',
    code: 'ISA2013',
    text: spec({ instructions: sem(`${M}clause c {\n      PC = 0;\n    }`) }),
    message: 'a clause is not allowed in instruction semantics',
  },
  {
    name: 'view of a register',
    code: 'ISA2019',
    text: spec({ extra: `translate t(a : 8) : 8 { return a; }\nview V = ${M}PC via t;` }),
    message: "'PC' is a register, not a memory",
  },
  { name: 'field of a memory', code: 'ISA2019', text: spec({ instructions: sem(`PC = ${M}E.f;`) }), message: "'E' is a memory, not a register with fields" },
  { name: 'mode reads plain state', code: 'ISA2020', text: spec({ modes: `modes {\n  a when ${M}PC == 0;\n}` }) },
  { name: 'function reads state', code: 'ISA2021', text: spec({ extra: `function f(x : 8) : 8 {\n  return x + ${M}PC;\n}` }) },
  {
    name: 'unknown claim',
    code: 'ISA2022',
    text: spec({ instructions: `instruction X() {\n  encoding 1:8;\n  claims ${M}priviliged;\n}` }),
    hint: "did you mean 'privileged'?",
  },
  {
    name: 'conflicting claims',
    code: 'ISA2023',
    text: spec({ instructions: `instruction X() {\n  encoding 1:8;\n  claims privileged, ${M}not privileged;\n}` }),
  },
  { name: 'two encodings', code: 'ISA2024', text: spec({ instructions: `instruction X() {\n  encoding 1:8;\n  ${M}encoding 2:8;\n}` }) },
  { name: 'no encoding', code: 'ISA2025', text: spec({ instructions: `instruction ${M}X() {\n  semantics { }\n}` }) },
  { name: 'next_pc in reset', code: 'ISA2026', text: spec({ extra: `reset {\n  PC = ${M}next_pc;\n}` }) },
  { name: 'return_pc in an instruction', code: 'ISA2026', text: spec({ instructions: sem(`PC = ${M}return_pc;`) }) },
  { name: 'wrong argument count', code: 'ISA2027', text: spec({ extra: 'function f(x : 8) : 8 { return x; }', instructions: sem(`PC = ${M}f(PC, PC);`) }) },
  { name: 'timer on a software trap', code: 'ISA2028', text: spec({ traps: `trap t kind ${M}software vector 2 every 10 when M == 0;` }) },
  {
    name: 'function calls a later one',
    code: 'ISA2029',
    text: spec({ extra: `function f(x : 8) : 8 { return ${M}g(x); }\nfunction g(x : 8) : 8 { return x; }` }),
  },
  { name: 'recursive function', code: 'ISA2029', text: spec({ extra: `function f(x : 8) : 8 { return ${M}f(x); }` }) },
  { name: 'translation reads a view', code: 'ISA2030', text: spec({ extra: `translate t(a : 8) : 8 { return ${M}V[a]; }\nview V = E via t;` }) },
  { name: 'memory as a value', code: 'ISA2031', text: spec({ instructions: sem(`PC = ${M}E;`) }), message: "'E' is a memory" },
  { name: 'remove of the wrong kind', code: 'ISA2032', text: spec({ extra: `remove memory ${M}PC;` }), message: "'PC' is a register, not a memory" },

  // ---- ISA3xxx ----
  {
    name: 'hard-wired register outside its file',
    code: 'ISA3022',
    text: spec({ state: `memory E : 8 [256];\nregister PC : 8;\nregister M : 1 mode;\nregisters r[4] : 8 zero ${M}4;` }),
  },
  {
    name: 'console on words wider than a byte',
    code: 'ISA3023',
    text: spec({ extra: `memory W : 16 [16];\nconsole ${M}W at 3;` }),
    message: "console 'W' has 16-bit words",
  },
  {
    name: 'console address outside its memory',
    code: 'ISA3024',
    text: spec({ extra: `console E at ${M}0x100;` }),
    message: "console address 0x100 is not an address of 'E' (0..0xff)",
  },
  { name: 'console on an unknown space', code: 'ISA2002', text: spec({ extra: `console ${M}UART at 0;` }) },
  { name: 'two consoles', code: 'ISA2017', text: spec({ extra: `console E at 1;\n${M}console E at 2;` }), message: "one 'console' declaration" },
  {
    name: 'expansion gives a number to a register operand',
    code: 'ISA3025',
    text: spec({ instructions: `instruction X(q : reg r) {\n  encoding 0:6 q;\n}\npseudo P(a : imm 2) {\n  expand {\n    X(${M}a);\n  }\n}` }),
    message: "operand 'q' of 'X' is a register of r, but the expansion of 'P' gives it 'a', an immediate operand",
  },
  {
    name: 'expansion value wider than the operand',
    code: 'ISA3026',
    text: spec({ instructions: `instruction X(a : imm 8) {\n  encoding a;\n}\npseudo P(b : imm 16) {\n  expand {\n    X(${M}b);\n  }\n}` }),
    message: "operand 'a' of 'X' has 8 bits, but the expansion of 'P' gives it 16 bits",
  },
  { name: 'width too large', code: 'ISA3001', text: spec({ extra: `register Q : ${M}65;` }) },
  { name: 'width zero', code: 'ISA3001', text: spec({ extra: `memory F : ${M}0 [4];` }) },
  { name: 'concat too wide', code: 'ISA3001', text: spec({ extra: 'register Q : 60;', instructions: sem(`let x = ${M}Q ++ PC;`) }) },
  { name: 'assign wrong width', code: 'ISA3002', text: spec({ instructions: sem(`PC = ${M}M;`) }), message: "M has 1 bit but 'PC' has 8 bits" },
  { name: 'operands of different widths', code: 'ISA3002', text: spec({ instructions: sem(`PC = ${M}PC + M;`) }) },
  { name: 'literal too wide', code: 'ISA3003', text: spec({ instructions: sem(`PC = ${M}256;`) }), message: 'literal 256 does not fit in 8 bits' },
  { name: 'init too wide', code: 'ISA3003', text: spec({ extra: `register Q : 4 = ${M}16;` }) },
  { name: 'unsized let', code: 'ISA3004', text: spec({ instructions: sem(`let x = ${M}5;`) }) },
  { name: 'unsized comparison', code: 'ISA3004', text: spec({ instructions: sem(`if ${M}1 == 2 { }`) }) },
  { name: 'condition not one bit', code: 'ISA3005', text: spec({ instructions: sem(`if ${M}PC { }`) }) },
  { name: 'memory size not a power of two', code: 'ISA3006', text: spec({ extra: `memory F : 8 [${M}100];` }) },
  { name: 'file count not a power of two', code: 'ISA3006', text: spec({ extra: `registers q[${M}3] : 8;` }) },
  { name: 'bit out of range', code: 'ISA3007', text: spec({ instructions: sem(`let b = ${M}PC[8];`) }) },
  { name: 'slice reversed', code: 'ISA3007', text: spec({ instructions: sem(`let b = ${M}PC[1..3];`) }) },
  { name: 'bit index not constant', code: 'ISA3008', text: spec({ instructions: sem(`let b = PC[${M}PC];`) }) },
  { name: 'loop too long', code: 'ISA3009', text: spec({ instructions: sem(`${M}for i in 0..64 { }`) }) },
  { name: 'loop descending', code: 'ISA3009', text: spec({ instructions: sem(`${M}for i in 3..1 { }`) }) },
  { name: 'zext narrows', code: 'ISA3010', text: spec({ instructions: sem(`let x = ${M}zext(PC, 4);`) }) },
  { name: 'field out of range', code: 'ISA3011', text: spec({ extra: `register R : 8 {\n  ${M}f = 9..0;\n}` }) },
  {
    name: 'pc width',
    code: 'ISA3012',
    text: spec({ extra: 'register P2 : 16;', fetch: `fetch E at ${M}P2;` }),
    message: "pc register 'P2' has 16 bits but 'E' has 8-bit addresses",
  },
  { name: 'translation width', code: 'ISA3013', text: spec({ extra: `translate t(a : 8) : 4 { return a[3..0]; }\nview V = E via ${M}t;` }) },
  { name: 'names count', code: 'ISA3014', text: spec({ extra: `${M}registers q[4] : 8 names a, b;` }) },
  { name: 'memory too large', code: 'ISA3015', text: spec({ extra: `memory F : 8 [${M}0x10000000000000000];` }) },
  {
    name: 'spec too large',
    code: 'ISA3016',
    text: spec({ header: `isa ${M}t;`, instructions: sem('for i in 0..63 { for j in 0..63 { for k in 0..63 { PC = PC; } } }') }),
  },
  { name: 'too many words', code: 'ISA3017', text: spec({ instructions: sem(`let w = E[0, ${M}9];`) }) },
  { name: 'vector too large', code: 'ISA3018', text: spec({ traps: `trap x kind software vector ${M}300;` }) },
  { name: 'timer period zero', code: 'ISA3019', text: spec({ traps: `trap x kind interrupt vector 3 every ${M}0 when M == 0;` }) },

  // ---- ISA4xxx ----
  { name: 'encoding width', code: 'ISA4001', text: spec({ instructions: `instruction X() {\n  ${M}encoding 0:12;\n}` }), message: 'multiple of 8' },
  { name: 'encoding too wide', code: 'ISA4001', text: spec({ instructions: `instruction X() {\n  ${M}encoding 0:64 0:8;\n}` }) },
  { name: 'field too narrow', code: 'ISA4002', text: spec({ instructions: `instruction X(a : imm 8) {\n  encoding 0:4 ${M}a:4;\n}` }) },
  { name: 'field names no operand', code: 'ISA4003', text: spec({ instructions: `instruction X(a : imm 4) {\n  encoding a:4 ${M}b:4;\n}` }) },
  { name: 'operand not encoded', code: 'ISA4004', text: spec({ instructions: `instruction X(a : imm 8) {\n  ${M}encoding 0:8;\n}` }) },
  { name: 'operand encoded twice', code: 'ISA4005', text: spec({ instructions: `instruction X(a : imm 4) {\n  encoding a:4 ${M}a:4;\n}` }) },
  {
    name: 'overlapping encodings',
    code: 'ISA4006',
    text: spec({ instructions: `instruction A(a : imm 4) {\n  encoding 0x1:4 a:4;\n}\ninstruction B() {\n  ${M}encoding 0x13:8;\n}` }),
    message: "encodings of 'A' and 'B' overlap: 0b00010011 matches both",
  },
  {
    name: 'overlap on the common prefix',
    code: 'ISA4006',
    text: spec({ instructions: `instruction A() {\n  encoding 0x1:8;\n}\ninstruction B(a : imm 8) {\n  ${M}encoding 0x1:8 a:8;\n}` }),
  },
  { name: 'fixed bits too wide', code: 'ISA4007', text: spec({ instructions: `instruction X() {\n  encoding ${M}0x1ff:8;\n}` }) },
  {
    name: 'syntax hole unknown',
    code: 'ISA4008',
    text: spec({ instructions: `instruction X(a : imm 8) {\n  ${M}syntax "X {b}";\n  encoding a:8;\n}` }),
    message: "syntax hole '{b}'",
  },
  { name: 'syntax unclosed', code: 'ISA4009', text: spec({ instructions: `instruction X(a : imm 8) {\n  ${M}syntax "X {a";\n  encoding a:8;\n}` }) },
  { name: 'syntax stray brace', code: 'ISA4009', text: spec({ instructions: `instruction X(a : imm 8) {\n  ${M}syntax "X a}";\n  encoding a:8;\n}` }) },
  {
    name: 'encoding slice outside the operand',
    code: 'ISA4011',
    text: spec({ instructions: `instruction X(a : imm 8) {\n  encoding ${M}a[8..1] 0:1;\n}` }),
    message: "'a[8..1]' is outside operand 'a', whose bits are 7..0",
  },
  {
    name: 'encoding slice written low bit first',
    code: 'ISA4012',
    text: spec({ instructions: `instruction X(a : imm 8) {\n  encoding ${M}a[1..7] a;\n}` }),
    message: 'write the high bit first',
  },
  {
    name: 'little group not whole words',
    code: 'ISA4013',
    text: spec({ instructions: `instruction X(a : imm 4) {\n  encoding 0:4 ${M}little(a:4);\n}` }),
    message: '4 bits must be a whole number of 8-bit words',
  },
  {
    name: 'PC-relative hole with a bad base',
    code: 'ISA4014',
    text: spec({ instructions: `instruction X(a : simm 8) {\n  ${M}syntax "X {a:sp}";\n  encoding a;\n}` }),
    message: "'{a:sp}'",
  },
  {
    name: 'PC-relative register',
    code: 'ISA4014',
    text: spec({ instructions: `instruction X(a : simm 8, q : reg r) {\n  ${M}syntax "X {a:pc}, {q:pc}";\n  encoding a q:8;\n}` }),
    message: 'a register operand cannot be PC-relative',
  },
  {
    name: "a pseudo-instruction's target relative to next_pc",
    code: 'ISA4014',
    text: spec({ extra: `pseudo P(a : simm 8) {\n  ${M}syntax "p {a:next_pc}";\n  expand {\n    NOP();\n  }\n}` }),
    message: 'relative to its own address',
  },
  {
    name: 'operand missing from the syntax (a warning: the spec still loads)',
    code: 'ISA4010',
    text: spec({ instructions: `instruction X(a : imm 4, b : imm 4) {\n  ${M}syntax "X {a}";\n  encoding a:4 b:4;\n}` }),
    severity: 'warning',
  },

  // ---- ISA5xxx (text) ----
  { name: 'extends a JSON file', code: 'ISA5005', text: spec({ header: `isa t;\nextends ${M}"base.isa.json";` }) },
  { name: 'extends a missing file', code: 'ISA5001', text: spec({ header: `isa t;\nextends ${M}"missing.isa";` }), message: "cannot read 'missing.isa'" },
];

describe('diagnostic catalogue: one case per code, at an exact place', () => {
  for (const c of cases) {
    test(`${c.code} ${c.name}`, () => {
      const { diagnostic } = expectDiagnostic(c.text, c.code);
      if (c.message) expect(diagnostic.message).toContain(c.message);
      if (c.hint) expect(diagnostic.hint).toBe(c.hint);
      expect(diagnostic.severity).toBe(c.severity ?? 'error');
      covered.add(c.code);
    });
  }

  test('ISA2016 extends cycle', () => {
    const host = memHost({
      'a.isa': 'isa a;\nextends "b.isa";\n',
      'b.isa': 'isa b;\nextends "a.isa";\n',
    });
    const r = loadIsaFile('a.isa', host);
    expect(r.ok).toBe(false);
    const d = r.diagnostics.find((x) => x.code === 'ISA2016')!;
    expect(at(d)).toBe('b.isa:2:9');
    expect(d.message).toBe('extends cycle: a.isa -> b.isa -> a.isa');
    covered.add('ISA2016');
  });

  test('ISA5001 missing file', () => {
    const r = loadIsaFile('nowhere.isa', memHost({}));
    expect(r.ok).toBe(false);
    expect(renderDiagnostic(r.diagnostics[0]!, undefined, { color: false })).toBe("nowhere.isa: error ISA5001: cannot read 'nowhere.isa'");
    covered.add('ISA5001');
  });

  const pgJson = (): Record<string, unknown> => {
    const r = loadIsaFile('isas/pg.isa');
    if (!r.ok) throw new Error('pg.isa must load');
    return JSON.parse(exportIsaJson(r.isa)) as Record<string, unknown>;
  };

  test('ISA5002 schema error names the JSON path', () => {
    const j = pgJson() as { instructions: { encoding: { width: unknown } }[] };
    j.instructions[3]!.encoding.width = 'wide';
    const r = loadIsaFile('spec.isa.json', memHost({ 'spec.isa.json': JSON.stringify(j) }));
    expect(r.ok).toBe(false);
    const lines = r.diagnostics.map((d) => renderDiagnostic(d, undefined, { color: false }));
    expect(
      lines.some((l) => /^spec\.isa\.json:1:\d+: error ISA5002: \/instructions\/3\/encoding\/width: must be integer$/.test(l)),
      lines.join('\n'),
    ).toBe(true);
    covered.add('ISA5002');
  });

  test('ISA5003 invalid JSON', () => {
    const r = loadIsaFile('spec.isa.json', memHost({ 'spec.isa.json': '{ "format": ' }));
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]!.code).toBe('ISA5003');
    expect(r.diagnostics[0]!.file).toBe('spec.isa.json');
    covered.add('ISA5003');
  });

  test('ISA2002 in the JSON form: the checker of the text form, at the pointer', () => {
    const j = pgJson() as { instructions: { semantics: { k: string; target: { reg: string } }[] }[] };
    const jmp = j.instructions.findIndex((i) => (i as unknown as { mnemonic: string }).mnemonic === 'JMP');
    j.instructions[jmp]!.semantics[0]!.target.reg = 'Q';
    const r = loadIsaFile('spec.isa.json', memHost({ 'spec.isa.json': JSON.stringify(j) }));
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => renderDiagnostic(d, undefined, { color: false }))).toContainEqual(
      expect.stringMatching(new RegExp(`^spec\\.isa\\.json:1:\\d+: error ISA2002: /instructions/${jmp}/semantics/0/target/reg: unknown name 'Q'$`)),
    );
  });

  test('ISA5009 a stated width the checker does not derive', () => {
    const j = pgJson() as { registers: { width: number; fields: unknown[] }[] };
    const r0 = j.registers.findIndex((x) => x.fields.length > 0);
    (j.registers[r0]!.fields[0] as { hi: number; lo: number }).lo += 0;
    const ins = (j as unknown as { instructions: { operands: { kind: string; width: number }[] }[] }).instructions.find((i) =>
      i.operands.some((o) => o.kind === 'reg'),
    )!;
    ins.operands.find((o) => o.kind === 'reg')!.width += 1;
    const r = loadIsaFile('spec.isa.json', memHost({ 'spec.isa.json': JSON.stringify(j) }));
    expect(r.diagnostics.map((d) => d.code)).toContain('ISA5009');
    covered.add('ISA5009');
  });

  test('ISA5010 JSON nested too deeply, before the schema runs', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    const r = loadIsaFile('spec.isa.json', memHost({ 'spec.isa.json': JSON.stringify({ format: 'isavirt-ir', x: deep }) }));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['ISA5010']);
    covered.add('ISA5010');
  });

  test('ISA5011 an internal error of the front end is a diagnostic, not an exception', () => {
    const host = {
      readFile: (p: string) => {
        if (p.endsWith('base.isa')) throw new Error('boom');
        return undefined;
      },
    };
    const r = loadIsaFile('t.isa', { readFile: (p) => (p === 't.isa' ? 'isa t;\nextends "base.isa";\n' : host.readFile(p)) });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['ISA5011']);
    covered.add('ISA5011');
  });

  test('ISA5006, ISA5007, ISA5008, ISA2033, ISA3020, ISA3021: bounds and extends (test/ir/bounds.test.ts, test/cli/bounds.test.ts)', () => {
    const big = loadIsaFile('big.isa', memHost({ 'big.isa': ' '.repeat(8 * 1024 * 1024 + 1) }));
    expect(big.diagnostics.map((d) => d.code)).toEqual(['ISA5006']);
    const out = loadIsaFile('a/t.isa', memHost({ 'a/t.isa': 'isa t;\nextends "../b.isa";\n', 'b.isa': 'isa b;\n' }));
    expect(out.diagnostics.map((d) => d.code)).toEqual(['ISA5007']);
    const notSpec = loadIsaFile('t.isa', memHost({ 't.isa': 'isa t;\nextends "x.txt";\n', 'x.txt': 'root:x:0:0\n' }));
    expect(notSpec.diagnostics.map((d) => d.code)).toEqual(['ISA5008']);
    for (const c of ['ISA5006', 'ISA5007', 'ISA5008', 'ISA2033', 'ISA3020', 'ISA3021']) covered.add(c);
  });

  test('every catalogue code has a case', () => {
    // ISA6xxx and later belong to other stages (the assembler) and are tested there.
    const all = Object.values(Diagnostics)
      .map((d) => d.code as string)
      .filter((c) => /^ISA[1-5]/.test(c));
    expect(new Set(all).size).toBe(all.length); // codes are unique
    const missing = all.filter((c) => !covered.has(c));
    expect(missing).toEqual([]);
  });

  test('the valid base spec used by the cases checks cleanly', () => {
    ok(spec());
  });
});
