// The front end's size bounds (src/ir/limits.ts, grammar/LANGUAGE.md "Limits"): each hostile input
// ends in one clear diagnostic, quickly, and never allocates in proportion to what it asks for.
import { describe, expect, test } from 'vitest';
import { loadIsaFile, parseIsaText } from '../../src/ir/index.js';
import { MAX_DECLARATIONS, MAX_INLINED_NODES, MAX_SPEC_CHARS, MAX_STATE_BITS } from '../../src/ir/limits.js';
import { memHost } from './helpers.js';
import { bigFiles, exponentialCalls, manyRegisters } from './hostile.js';

const load = (text: string) => parseIsaText(text, 'h.isa', memHost({}));
const codes = (text: string) => load(text).diagnostics.map((d) => d.code);

describe('inlined size of semantics', () => {
  test('forty functions each calling the previous twice: ISA3020 naming the call chain', () => {
    const r = load(exponentialCalls(40));
    expect(r.ok).toBe(false);
    const d = r.diagnostics.find((x) => x.code === 'ISA3020')!;
    expect(d).toBeDefined();
    expect(r.diagnostics.filter((x) => x.code === 'ISA3020')).toHaveLength(1);
    // The first function past the bound is reported, at its name, with the chain down to f0.
    expect(d.message).toMatch(
      /^function 'f\d+' expands to \d+ IR nodes once its function calls are inlined, more than the limit of 1000000: f\d+ -> f\d+ -> .* -> f1 -> f0$/,
    );
    expect(d.span?.line).toBeGreaterThan(7);
  });

  test('a small fan-out stays within the bound', () => {
    expect(load(exponentialCalls(10)).ok).toBe(true);
    expect(MAX_INLINED_NODES).toBeGreaterThan(2 ** 10 * 4);
  });
});

describe('declaration and state bounds', () => {
  test(`more than ${MAX_DECLARATIONS} declarations: ISA2033`, () => {
    expect(codes(manyRegisters(MAX_DECLARATIONS + 1, 1))).toEqual(['ISA2033']);
  });

  test(`more than ${MAX_STATE_BITS} bits of registers: ISA3021 before anything is allocated`, () => {
    expect(codes(bigFiles(2, 65536, 64))).toEqual(['ISA3021']);
  });

  test('a register file larger than 65536 registers', () => {
    expect(codes(bigFiles(1, 1 << 17, 8))).toContain('ISA3006');
  });

  test(`a spec file longer than ${MAX_SPEC_CHARS} characters: ISA5006 before lexing`, () => {
    const text = 'isa h;\n' + '// padding\n'.repeat(MAX_SPEC_CHARS / 10);
    const r = loadIsaFile('big.isa', memHost({ 'big.isa': text }));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['ISA5006']);
    const j = loadIsaFile('big.isa.json', memHost({ 'big.isa.json': ' '.repeat(MAX_SPEC_CHARS + 1) }));
    expect(j.diagnostics.map((d) => d.code)).toEqual(['ISA5006']);
  });
});

describe('messages in the right place, without false follow-ups', () => {
  const base = (body: string) =>
    `isa t;\nmemory E : 8 [256];\nregister PC : 8;\nregister M : 1 mode;\nmodes { sup when M == 1; }\nfetch E at PC;\ninstruction X() {\n  encoding 0x01:8;\n  semantics {\n    ${body}\n  }\n}\n`;

  test('zext(x, 4096): one error for the width, no "cannot make" follow-up', () => {
    const r = load(base('PC = zext(PC, 4096);'));
    expect(r.diagnostics.map((d) => `${d.code} ${d.span?.line}:${d.span?.col}`)).toEqual(['ISA3001 10:19']);
  });

  test('a 5000-term ?: chain far down a file is reported on its own line, not at the first token', () => {
    const r = load('\n'.repeat(120) + base('PC = ' + 'M == 1 ? 1 : '.repeat(5000) + '0;'));
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.code).toBe('ISA1016');
    expect(r.diagnostics[0]!.span!.line).toBe(130);
  });

  test('nested if statements are blocks nested too deeply, not an expression', () => {
    const r = load(base('if M == 1 { '.repeat(200) + 'halt; ' + '}'.repeat(200)));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['ISA1018']);
    expect(r.diagnostics[0]!.message).not.toContain('expression');
  });
});

describe('every body is bounded, not only instruction semantics', () => {
  test('a mode predicate calling the 2^40 function: ISA3020 once', () => {
    const text = exponentialCalls(40).replace('modes { sup when S == 0; }', 'modes { sup when f40(zext(S, 8)) == 0; }');
    const r = load(text);
    expect(r.diagnostics.filter((d) => d.code === 'ISA3020')).toHaveLength(1);
  });
});

describe('broken text stops early', () => {
  test('100 000 broken declarations: the first errors and ISA1017, the parse stopped', () => {
    const r = load('isa t;\n' + 'register 1 2 3\n'.repeat(100_000));
    expect(r.diagnostics.length).toBeLessThanOrEqual(26);
    expect(r.diagnostics.at(-1)!.code).toBe('ISA1017');
  });

  test('more declarations in one file than the limit: ISA2033 before parsing, at the one past it', () => {
    const r = load('isa t;\n' + 'register A : 8;\n'.repeat(MAX_DECLARATIONS + 5));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['ISA2033']);
    expect(r.diagnostics[0]!.span!.line).toBe(MAX_DECLARATIONS + 2);
  });
});

describe('an access through a view counts its translation', () => {
  test('a large translation read many times by one instruction: ISA3020 on the semantics', () => {
    const base = exponentialCalls(15)
      .replace('fetch M at PC;', 'translate T(a : 8) : 8 { return f15(a); }\nview V = M via T;\nfetch M at PC;')
      .replace('semantics { A = f15(A); }', 'semantics { A = V[A] + V[A + 1] + V[A + 2] + V[A + 3] + V[A + 4] + V[A + 5] + V[A + 6] + V[A + 7]; }');
    const r = load(base);
    const d = r.diagnostics.find((x) => x.code === 'ISA3020');
    expect(d?.message).toMatch(/^the semantics of 'NOP' expands to \d+ IR nodes .*: NOP -> translation T -> f15 -> /);
    // Read once, the same translation is fine.
    expect(load(base.replace(/semantics \{ A = .*; \}/, 'semantics { A = V[A]; }')).ok).toBe(true);
  });
});
