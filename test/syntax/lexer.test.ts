import { describe, expect, test } from 'vitest';
import { IsaLexer, parseNumber, parseCharLit, keywordWords } from '../../src/syntax/tokens.js';
import { parseText } from '../../src/syntax/parse.js';

const kinds = (text: string): string[] => IsaLexer.tokenize(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);

describe('lexer', () => {
  test('keywords vs names: a keyword prefix does not split a name', () => {
    expect(kinds('memory memory_trap interrupt in inx register registers regs mode modes')).toEqual([
      'KwMemory:memory',
      'Identifier:memory_trap',
      'KwInterrupt:interrupt',
      'KwIn:in',
      'Identifier:inx',
      'KwRegister:register',
      'KwRegisters:registers',
      'Identifier:regs',
      'KwMode:mode',
      'KwModes:modes',
    ]);
  });

  test('every listed keyword is its own token', () => {
    for (const w of keywordWords) expect(kinds(w)).toEqual([`Kw${w[0]!.toUpperCase()}${w.slice(1)}:${w}`]);
  });

  test('hyphenated claims are single tokens; elsewhere a hyphen is minus', () => {
    expect(kinds('control-sensitive user-sensitive timing-dependent')).toEqual([
      'ControlSensitive:control-sensitive',
      'UserSensitive:user-sensitive',
      'TimingDependent:timing-dependent',
    ]);
    expect(kinds('a-b user-sensitivex')).toEqual(['Identifier:a', 'Minus:-', 'Identifier:b', 'Identifier:user', 'Minus:-', 'Identifier:sensitivex']);
  });

  test('operators: longest match', () => {
    expect(kinds('>>> >> >= > << <= < == = != ! || | && & ++ + .. .').map((k) => k.split(':')[0])).toEqual([
      'ShiftRightArith',
      'ShiftRight',
      'GreaterEq',
      'Greater',
      'ShiftLeft',
      'LessEq',
      'Less',
      'EqEq',
      'Equals',
      'NotEq',
      'Bang',
      'OrOr',
      'Pipe',
      'AndAnd',
      'Amp',
      'PlusPlus',
      'Plus',
      'DotDot',
      'Dot',
    ]);
    expect(kinds('0..7')).toEqual(['NumberLit:0', 'DotDot:..', 'NumberLit:7']);
  });

  test('comments and doc comments are kept in the comments group, not in the token stream', () => {
    const r = IsaLexer.tokenize('/// doc\n// plain\n/* block\n */ isa x;');
    expect(r.tokens.map((t) => t.image)).toEqual(['isa', 'x', ';']);
    expect(r.groups['comments']!.map((t) => t.tokenType.name)).toEqual(['DocComment', 'LineComment', 'BlockComment']);
  });

  test('numbers and character literals', () => {
    expect(parseNumber('42')).toBe(42n);
    expect(parseNumber('0x2A')).toBe(42n);
    expect(parseNumber('0b10_1010')).toBe(42n);
    expect(parseNumber('1_000')).toBe(1000n);
    expect(parseNumber('0xFFFF_FFFF_FFFF_FFFF')).toBe(0xffffffffffffffffn);
    for (const bad of ['0x', '0b2', '12ab', '1__0', '0x_1', '1_']) expect(parseNumber(bad)).toBeUndefined();
    expect(parseCharLit("'a'")).toBe(97);
    expect(parseCharLit("'\\n'")).toBe(10);
    expect(parseCharLit("'\\''")).toBe(39);
  });

  test('lexical errors become diagnostics with places', () => {
    const r = parseText('isa x;\n  @ $\n', 'l.isa');
    expect(r.ast).toBeUndefined();
    expect(r.diagnostics.map((d) => `${d.span!.line}:${d.span!.col} ${d.code}`)).toEqual(['2:3 ISA1001', '2:5 ISA1001']);
  });
});
