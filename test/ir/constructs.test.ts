// Every construct of the language, from small inline specs to the expected IR.
import { describe, expect, test } from 'vitest';
import type { Expr, Isa, Stmt } from '../../src/ir/index.js';
import { ok, spec } from './helpers.js';

/** The IR without spans, for comparisons. */
function strip<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'span' ? undefined : x))) as T;
}

const semOf = (isa: Isa, mn = 'X'): Stmt[] => strip(isa.instructions.find((i) => i.mnemonic === mn)!.semantics);
const one = (body: string, ops = '', enc = 'encoding 0x01:8;', extra = ''): Stmt[] =>
  semOf(ok(spec({ extra, instructions: `instruction X(${ops}) {\n  ${enc}\n  semantics {\n    ${body}\n  }\n}` })));
const valueOf = (body: string, ops = '', enc?: string, extra = ''): Expr => {
  const s = one(body, ops, enc, extra)[0]!;
  if (s.k !== 'let' && s.k !== 'assign') throw new Error('not a let or assignment');
  return s.value;
};

const c = (width: number, value: string): Expr => ({ k: 'const', width, value });
const PC: Expr = { k: 'reg', width: 8, reg: 'PC' };
const Mreg: Expr = { k: 'reg', width: 1, reg: 'M' };

describe('declarations', () => {
  test('header, doc comment, endian, defaults', () => {
    const isa = ok('/// The machine.\n/// Second line.\n' + spec({ header: 'isa demo;\nendian big;' }).replace(/^isa t;\n/, ''));
    expect(isa.name).toBe('demo');
    expect(isa.doc).toBe('The machine.\nSecond line.');
    expect(isa.endian).toBe('big');
    expect(isa.format).toBe('isavirt-ir');
    expect(isa.version).toBe(1);
    expect(isa.source).toBe('t.isa');
    expect(isa.extends).toEqual([]);
    expect(isa.guestMode).toBe('usr'); // default: least privileged
    expect(ok(spec()).endian).toBe('little');
  });

  test('registers: roles, readonly, clock, init, fields with roles and docs', () => {
    const isa = ok(
      spec({ extra: 'readonly register T : 16 clock = 0x10;\nregister PSW : 8 control {\n  /// The mode bit.\n  S = 7 mode;\n  IE = 6;\n  CC = 3..0;\n}' }),
    );
    const t = strip(isa.registers.find((r) => r.name === 'T')!);
    expect(t).toEqual({ name: 'T', width: 16, role: 'plain', readonly: true, clock: true, init: '0x10', fields: [] });
    const psw = strip(isa.registers.find((r) => r.name === 'PSW')!);
    expect(psw.role).toBe('control');
    expect(psw.fields).toEqual([
      { name: 'S', hi: 7, lo: 7, role: 'mode', doc: 'The mode bit.' },
      { name: 'IE', hi: 6, lo: 6, role: 'control' },
      { name: 'CC', hi: 3, lo: 0, role: 'control' },
    ]);
    expect(strip(isa.registers.find((r) => r.name === 'M')!).role).toBe('mode');
  });

  test('register files with names, memories with roles', () => {
    const isa = ok(spec({ extra: 'readonly registers seg[4] : 16 control names es, cs, ss, ds;\nmemory IO : 8 [16] control;' }));
    expect(strip(isa.files.find((f) => f.name === 'seg')!)).toEqual({
      name: 'seg',
      count: 4,
      width: 16,
      role: 'control',
      readonly: true,
      names: ['es', 'cs', 'ss', 'ds'],
    });
    expect(strip(isa.memories.find((m) => m.name === 'IO')!)).toEqual({ name: 'IO', wordWidth: 8, size: 16, role: 'control' });
  });

  test('modes in order, guest mode, span of a mode', () => {
    const isa = ok(spec({ modes: 'modes {\n  /// Kernel.\n  k when M == 1;\n  u when !M;\n}\nguest mode k;' }));
    expect(strip(isa.modes)).toEqual([
      { name: 'k', when: { k: 'binop', width: 1, op: 'eq', a: Mreg, b: c(1, '0x1') }, doc: 'Kernel.' },
      { name: 'u', when: { k: 'unop', width: 1, op: 'not', a: Mreg } },
    ]);
    expect(isa.guestMode).toBe('k');
    expect(isa.modes[1]!.span).toEqual({ file: 't.isa', line: 9, col: 3, endLine: 9, endCol: 13 });
  });

  test('mode predicates may read mode fields', () => {
    const isa = ok(spec({ extra: 'register SR : 8 { S = 5 mode; }', modes: 'modes { s when SR.S; u when !SR.S; }' }));
    expect(strip(isa.modes[0]!.when)).toEqual({ k: 'field', width: 1, reg: 'SR', field: 'S', hi: 5, lo: 5 });
  });

  test('translation, view, fetch through a view', () => {
    const isa = ok(
      spec({
        extra: 'register B : 8 control;\ntranslate reloc(a : 8) : 8 {\n  if a > B { trap priv; }\n  let p = a + B;\n  return p;\n}\nview V = E via reloc;',
        fetch: 'fetch V at PC;',
      }),
    );
    expect(strip(isa.translations[0]!)).toEqual({
      name: 'reloc',
      param: { name: 'a', width: 8 },
      resultWidth: 8,
      body: [
        {
          k: 'if',
          cond: { k: 'binop', width: 1, op: 'ugt', a: { k: 'param', width: 8, name: 'a' }, b: { k: 'reg', width: 8, reg: 'B' } },
          then: [{ k: 'trap', trap: 'priv' }],
          else: [],
        },
        { k: 'let', name: 'p', value: { k: 'binop', width: 8, op: 'add', a: { k: 'param', width: 8, name: 'a' }, b: { k: 'reg', width: 8, reg: 'B' } } },
      ],
      result: { k: 'local', width: 8, name: 'p' },
    });
    expect(strip(isa.views)).toEqual([{ name: 'V', memory: 'E', translation: 'reloc' }]);
    expect(isa.fetch.space).toBe('V');
    expect(isa.fetch.pc).toBe('PC');
  });

  test('traps: kinds, vectors, timer, docs', () => {
    const isa = ok(spec({ traps: 'trap priv kind privilege vector 1;\n/// Tick.\ntrap tick kind interrupt vector 9 every 100 when M == 0;' }));
    expect(strip(isa.traps)).toEqual([
      { name: 'priv', kind: 'privilege', vector: 1 },
      { name: 'tick', kind: 'interrupt', vector: 9, timer: { period: 100, when: { k: 'binop', width: 1, op: 'eq', a: Mreg, b: c(1, '0x0') } }, doc: 'Tick.' },
    ]);
  });

  test('trap entry with trap_vector and return_pc; reset', () => {
    const isa = ok(spec({ extra: 'trap entry {\n  E[0] = trap_vector;\n  E[1] = return_pc;\n  PC = E[2];\n}\nreset {\n  M = 1;\n}' }));
    expect(strip(isa.trapEntry)).toEqual([
      { k: 'assign', target: { k: 'mem', space: 'E', addr: c(8, '0x0'), words: 1, width: 8 }, value: { k: 'builtin', width: 8, name: 'trap_vector' } },
      { k: 'assign', target: { k: 'mem', space: 'E', addr: c(8, '0x1'), words: 1, width: 8 }, value: { k: 'builtin', width: 8, name: 'return_pc' } },
      { k: 'assign', target: { k: 'reg', reg: 'PC', width: 8 }, value: { k: 'mem', width: 8, space: 'E', addr: c(8, '0x2'), words: 1 } },
    ]);
    expect(strip(isa.reset)).toEqual([{ k: 'assign', target: { k: 'reg', reg: 'M', width: 1 }, value: c(1, '0x1') }]);
  });

  test('functions with lets; calls from semantics', () => {
    const isa = ok(
      spec({
        extra: 'function inc(x : 8) : 8 {\n  let one : 8 = 1;\n  return x + one;\n}\nfunction twice(x : 8) : 8 { return inc(inc(x)); }',
        instructions: 'instruction X() {\n  encoding 1:8;\n  semantics { PC = twice(PC); }\n}',
      }),
    );
    expect(strip(isa.functions[0]!)).toEqual({
      name: 'inc',
      params: [{ name: 'x', width: 8 }],
      resultWidth: 8,
      body: [{ k: 'let', name: 'one', value: c(8, '0x1') }],
      result: { k: 'binop', width: 8, op: 'add', a: { k: 'param', width: 8, name: 'x' }, b: { k: 'local', width: 8, name: 'one' } },
    });
    expect(semOf(isa)).toEqual([{ k: 'assign', target: { k: 'reg', reg: 'PC', width: 8 }, value: { k: 'call', width: 8, fn: 'twice', args: [PC] } }]);
  });

  test('assumptions', () => {
    const isa = ok(spec({ extra: 'assume kernel_low : PC < 0x80;' }));
    expect(strip(isa.assumptions)).toEqual([{ name: 'kernel_low', holds: { k: 'binop', width: 1, op: 'ult', a: PC, b: c(8, '0x80') } }]);
  });
});

describe('instructions', () => {
  test('operands, syntax, encoding mask/match, claims, doc', () => {
    const isa = ok(
      spec({
        instructions:
          '/// Move.\ninstruction MOV(rd : reg r, v : imm 4, s : simm 6, a : addr 8) {\n  syntax "MOV {rd}, #{v}, {s}, [{a}]";\n  encoding 0b01:2 rd:2 v:4 s:6 0:2 a:8;\n  claims innocuous, not privileged;\n}',
      }),
    );
    const i = strip(isa.instructions[0]!);
    expect(i.mnemonic).toBe('MOV');
    expect(i.doc).toBe('Move.');
    expect(i.operands).toEqual([
      { name: 'rd', kind: 'reg', width: 2, file: 'r' },
      { name: 'v', kind: 'imm', width: 4 },
      { name: 's', kind: 'simm', width: 6 },
      { name: 'a', kind: 'addr', width: 8 },
    ]);
    expect(i.syntax).toEqual([
      { k: 'text', text: 'MOV ' },
      { k: 'operand', name: 'rd' },
      { k: 'text', text: ', #' },
      { k: 'operand', name: 'v' },
      { k: 'text', text: ', ' },
      { k: 'operand', name: 's' },
      { k: 'text', text: ', [' },
      { k: 'operand', name: 'a' },
      { k: 'text', text: ']' },
    ]);
    expect(i.encoding).toEqual({
      width: 24,
      items: [
        { k: 'fixed', width: 2, value: '0x1' },
        { k: 'field', operand: 'rd', width: 2, lo: 0 },
        { k: 'field', operand: 'v', width: 4, lo: 0 },
        { k: 'field', operand: 's', width: 6, lo: 0 },
        { k: 'fixed', width: 2, value: '0x0' },
        { k: 'field', operand: 'a', width: 8, lo: 0 },
      ],
      mask: '0xc00300',
      match: '0x400000',
    });
    expect(i.claims).toEqual([
      { claim: 'innocuous', negated: false },
      { claim: 'privileged', negated: true },
    ]);
    expect(i.semantics).toEqual([]);
  });

  test('default syntax', () => {
    const isa = ok(spec({ instructions: 'instruction ADD(rd : reg r, rs : reg r) { encoding 0:4 rd:2 rs:2; }\ninstruction NOP() { encoding 0xff:8; }' }));
    expect(isa.instructions[0]!.syntax).toEqual([
      { k: 'text', text: 'ADD ' },
      { k: 'operand', name: 'rd' },
      { k: 'text', text: ', ' },
      { k: 'operand', name: 'rs' },
    ]);
    expect(isa.instructions[1]!.syntax).toEqual([{ k: 'text', text: 'NOP' }]);
  });

  test('hyphenated claims', () => {
    const isa = ok(
      spec({
        instructions:
          'instruction X() {\n  encoding 1:8;\n  claims control-sensitive, mode-sensitive, location-sensitive, user-sensitive, timing-dependent, sensitive;\n}',
      }),
    );
    expect(isa.instructions[0]!.claims.map((x) => x.claim)).toEqual([
      'control-sensitive',
      'mode-sensitive',
      'location-sensitive',
      'user-sensitive',
      'timing-dependent',
      'sensitive',
    ]);
  });

  test('encodings wider than one word, a wide field', () => {
    const isa = ok(spec({ instructions: 'instruction J(a : addr 8) {\n  encoding 0x7:4 0:4 a:16;\n}' }));
    expect(isa.instructions[0]!.encoding).toMatchObject({ width: 24, mask: '0xff0000', match: '0x700000' });
  });
});

describe('statements', () => {
  test('let with and without width, assignment, next_pc', () => {
    expect(one('let x = PC;\n    let y : 8 = 3;\n    PC = next_pc + y;')).toEqual([
      { k: 'let', name: 'x', value: PC },
      { k: 'let', name: 'y', value: c(8, '0x3') },
      {
        k: 'assign',
        target: { k: 'reg', reg: 'PC', width: 8 },
        value: { k: 'binop', width: 8, op: 'add', a: { k: 'builtin', width: 8, name: 'next_pc' }, b: { k: 'local', width: 8, name: 'y' } },
      },
    ]);
  });

  test('if / else if / else, trap, halt', () => {
    expect(one('if M == 0 { trap priv; } else if PC == 1 { halt; } else { PC = 0; }')).toEqual([
      {
        k: 'if',
        cond: { k: 'binop', width: 1, op: 'eq', a: Mreg, b: c(1, '0x0') },
        then: [{ k: 'trap', trap: 'priv' }],
        else: [
          {
            k: 'if',
            cond: { k: 'binop', width: 1, op: 'eq', a: PC, b: c(8, '0x1') },
            then: [{ k: 'halt' }],
            else: [{ k: 'assign', target: { k: 'reg', reg: 'PC', width: 8 }, value: c(8, '0x0') }],
          },
        ],
      },
    ]);
  });

  test('field, file element and multi-word memory targets', () => {
    const s = one('R.hi = 1;\n    r[rd] = PC;\n    E[PC, 2] = zext(PC, 16);', 'rd : reg r', 'encoding 0:6 rd:2;', 'register R : 8 { hi = 7..4; }');
    expect(s).toEqual([
      { k: 'assign', target: { k: 'field', reg: 'R', field: 'hi', hi: 7, lo: 4, width: 4 }, value: c(4, '0x1') },
      { k: 'assign', target: { k: 'file', file: 'r', index: { k: 'operand', width: 2, name: 'rd' }, width: 8 }, value: PC },
      { k: 'assign', target: { k: 'mem', space: 'E', addr: PC, words: 2, width: 16 }, value: { k: 'zext', width: 16, a: PC } },
    ]);
  });

  test('for loops unroll with the index as a constant; lets get per-iteration names', () => {
    const s = one('for i in 0..2 {\n      let v = r[i];\n      E[i] = v;\n    }');
    expect(s).toEqual(
      [0, 1, 2].flatMap((i) => [
        { k: 'let', name: `v.${i}`, value: { k: 'file', width: 8, file: 'r', index: c(2, '0x' + i) } },
        { k: 'assign', target: { k: 'mem', space: 'E', addr: c(8, '0x' + i), words: 1, width: 8 }, value: { k: 'local', width: 8, name: `v.${i}` } },
      ]),
    );
  });

  test('a loop index used as a bit index and alone takes the smallest width', () => {
    const s = one('for i in 0..3 {\n      let b = PC[i];\n      let n = i;\n    }');
    expect(s[0]).toEqual({ k: 'let', name: 'b.0', value: { k: 'slice', width: 1, a: PC, hi: 0, lo: 0 } });
    expect(s[1]).toEqual({ k: 'let', name: 'n.0', value: c(2, '0x0') });
    expect(s.length).toBe(8);
  });
});

describe('expressions', () => {
  const bin = (op: string, a: Expr, b: Expr, width = a.width): Expr => ({ k: 'binop', width, op, a, b }) as Expr;

  test('precedence: * over + over << over ++ over < over == over & over ^ over | over && over ||', () => {
    expect(valueOf('PC = PC + PC * 2;')).toEqual(bin('add', PC, bin('mul', PC, c(8, '0x2'))));
    // An unsized shift amount takes the smallest width that holds its value (2 here).
    expect(valueOf('PC = PC << 1 + 1;')).toEqual(bin('shl', PC, bin('add', c(2, '0x1'), c(2, '0x1'))));
    expect(valueOf('M = PC < 4 == M;')).toEqual(bin('eq', bin('ult', PC, c(8, '0x4'), 1), Mreg, 1));
    expect(valueOf('PC = PC | PC ^ PC & PC;')).toEqual(bin('or', PC, bin('xor', PC, bin('and', PC, PC))));
    expect(valueOf('M = M || M && M;')).toEqual(bin('or', Mreg, bin('and', Mreg, Mreg)));
    expect(valueOf('PC = PC - PC - PC;')).toEqual(bin('sub', bin('sub', PC, PC), PC)); // left associative
  });

  test('comparisons, unsigned and signed', () => {
    const ops: [string, string][] = [
      ['<', 'ult'],
      ['<=', 'ule'],
      ['>', 'ugt'],
      ['>=', 'uge'],
      ['==', 'eq'],
      ['!=', 'ne'],
    ];
    for (const [src, op] of ops) expect(valueOf(`M = PC ${src} PC;`)).toEqual(bin(op, PC, PC, 1));
    for (const op of ['slt', 'sle', 'sgt', 'sge']) expect(valueOf(`M = ${op}(PC, 3);`)).toEqual(bin(op, PC, c(8, '0x3'), 1));
    expect(valueOf('PC = sdiv(PC, PC);')).toEqual(bin('sdiv', PC, PC));
    expect(valueOf('PC = srem(PC, 7);')).toEqual(bin('srem', PC, c(8, '0x7')));
    expect(valueOf('PC = PC / PC % PC;')).toEqual(bin('urem', bin('udiv', PC, PC), PC));
  });

  test('shifts keep the left width; the amount may be any width', () => {
    expect(valueOf('PC = PC >> M;')).toEqual(bin('lshr', PC, Mreg));
    expect(valueOf('PC = PC >>> 7;')).toEqual(bin('ashr', PC, c(3, '0x7')));
  });

  test('unary operators', () => {
    expect(valueOf('PC = -PC;')).toEqual({ k: 'unop', width: 8, op: 'neg', a: PC });
    expect(valueOf('PC = ~PC;')).toEqual({ k: 'unop', width: 8, op: 'not', a: PC });
    expect(valueOf('M = !M;')).toEqual({ k: 'unop', width: 1, op: 'not', a: Mreg });
    expect(valueOf('PC = -1;')).toEqual({ k: 'unop', width: 8, op: 'neg', a: c(8, '0x1') });
  });

  test('choice, concatenation, slices, bits, extension, characters', () => {
    expect(valueOf('PC = M ? PC : 0;')).toEqual({ k: 'ite', width: 8, cond: Mreg, then: PC, else: c(8, '0x0') });
    expect(valueOf('let x = PC ++ M ++ PC;')).toEqual({ k: 'concat', width: 17, parts: [PC, Mreg, PC] });
    expect(valueOf('let x = PC[7..4];')).toEqual({ k: 'slice', width: 4, a: PC, hi: 7, lo: 4 });
    expect(valueOf('M = PC[3];')).toEqual({ k: 'slice', width: 1, a: PC, hi: 3, lo: 3 });
    expect(valueOf('let x = sext(PC, 16);')).toEqual({ k: 'sext', width: 16, a: PC });
    expect(valueOf('let x = zext(5, 16);')).toEqual(c(16, '0x5'));
    expect(valueOf('PC = zext(PC, 8);')).toEqual(PC); // same width: no extension node
    expect(valueOf("PC = 'A';")).toEqual(c(8, '0x41'));
    expect(valueOf('PC = 0b1010_1010;')).toEqual(c(8, '0xaa'));
    expect(valueOf('PC = (PC);')).toEqual(PC);
  });

  test('x[i] is a file element, a memory word or a bit by what x is', () => {
    expect(valueOf('PC = r[1];')).toEqual({ k: 'file', width: 8, file: 'r', index: c(2, '0x1') });
    expect(valueOf('PC = E[PC];')).toEqual({ k: 'mem', width: 8, space: 'E', addr: PC, words: 1 });
    expect(valueOf('let w = E[PC, 4];')).toEqual({ k: 'mem', width: 32, space: 'E', addr: PC, words: 4 });
    expect(valueOf('M = r[1][7];')).toEqual({ k: 'slice', width: 1, a: { k: 'file', width: 8, file: 'r', index: c(2, '0x1') }, hi: 7, lo: 7 });
    expect(valueOf('M = E[0][0];')).toEqual({ k: 'slice', width: 1, a: { k: 'mem', width: 8, space: 'E', addr: c(8, '0x0'), words: 1 }, hi: 0, lo: 0 });
  });

  test('operands and an unsized literal against an operand', () => {
    expect(valueOf('PC = zext(v, 8) + 1;', 'v : imm 4', 'encoding 0:4 v:4;')).toEqual(
      bin('add', { k: 'zext', width: 8, a: { k: 'operand', width: 4, name: 'v' } }, c(8, '0x1')),
    );
  });
});

test('declaration order is kept in the IR', () => {
  const isa = ok(spec({ extra: 'register Z : 1;\nregister A : 1;', instructions: 'instruction B() { encoding 1:8; }\ninstruction A() { encoding 2:8; }' }));
  expect(isa.registers.map((r) => r.name)).toEqual(['PC', 'M', 'Z', 'A']);
  expect(isa.instructions.map((i) => i.mnemonic)).toEqual(['B', 'A']);
});
