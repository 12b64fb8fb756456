// grammar/ must not drift from the parser and lexer: the EBNF is regenerated in memory and compared
// with the committed file; the TextMate grammar's keyword lists are compared with the lexer's.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getSerializedGrammar } from '../../src/syntax/parser.js';
import { keywordWords, hyphenatedClaims } from '../../src/syntax/tokens.js';
// @ts-expect-error: a plain .mjs module shared with scripts/grammar.mjs, no type declarations
import { renderEbnf } from '../../scripts/ebnf.mjs';

const read = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');

describe('grammar/isa.ebnf', () => {
  it('is exactly what the parser generates (run `npm run grammar` after changing the parser)', () => {
    expect(read('grammar/isa.ebnf')).toBe(renderEbnf(getSerializedGrammar()));
  });

  it('defines every rule it uses', () => {
    const text = read('grammar/isa.ebnf').replace(/\(\*[\s\S]*?\*\)/, '');
    const defined = new Set([...text.matchAll(/^(\w+)\s+::=/gm)].map((m) => m[1]));
    const used = new Set([...text.replace(/'[^']*'/g, '').matchAll(/\b([a-z]\w*)\b/g)].map((m) => m[1]));
    for (const name of used) expect(defined, `rule ${name}`).toContain(name);
    expect(defined.has('spec')).toBe(true);
  });
});

describe('grammar/diagrams.html', () => {
  it('has a diagram for every parser rule and needs no network', () => {
    const html = read('grammar/diagrams.html');
    for (const rule of getSerializedGrammar()) expect(html).toContain(`"name": "${rule.name}"`);
    expect(html).not.toMatch(/<script src=|<link rel='stylesheet' href=/);
  });
});

interface Pattern {
  match?: string;
  begin?: string;
  end?: string;
  name?: string;
  patterns?: Pattern[];
  include?: string;
}

describe('grammar/isa.tmLanguage.json', () => {
  const tm = JSON.parse(read('grammar/isa.tmLanguage.json')) as { scopeName: string; patterns: Pattern[]; repository: Record<string, Pattern> };
  const all: Pattern[] = [];
  const walk = (p: Pattern) => {
    all.push(p);
    p.patterns?.forEach(walk);
  };
  tm.patterns.forEach(walk);
  Object.values(tm.repository).forEach(walk);

  it('has scope source.isa and every include resolves', () => {
    expect(tm.scopeName).toBe('source.isa');
    for (const p of all) if (p.include) expect(Object.keys(tm.repository)).toContain(p.include.replace(/^#/, ''));
  });

  it('every regex compiles', () => {
    const regexes = all.flatMap((p) => [p.match, p.begin, p.end].filter((r): r is string => r !== undefined));
    expect(regexes.length).toBeGreaterThan(20);
    for (const r of regexes) expect(() => new RegExp(r), r).not.toThrow();
  });

  /** Words in `\b(a|b|c)\b`-style alternations of the patterns under these repository keys. */
  function words(keys: string[]): Set<string> {
    const out = new Set<string>();
    for (const key of keys) {
      const stack = [tm.repository[key]!];
      while (stack.length) {
        const p = stack.pop()!;
        p.patterns?.forEach((q) => stack.push(q));
        for (const r of [p.match, p.begin]) {
          if (!r) continue;
          for (const m of r.matchAll(/\(([a-z_|-]+)\)/g)) for (const w of m[1]!.split('|')) out.add(w);
        }
      }
    }
    return out;
  }

  it("highlights exactly the lexer's keywords", () => {
    const highlighted = words(['keywords', 'roles', 'trap-kinds']);
    expect([...highlighted].sort()).toEqual([...keywordWords].sort());
  });

  it('knows every claim word', () => {
    const claims = words(['claims']);
    // Hyphenated claims are tokens; the others are names the checker accepts (src/ir/types.ts Claim).
    for (const t of hyphenatedClaims) expect(claims).toContain(t.LABEL!.replace(/'/g, ''));
    for (const c of ['privileged', 'sensitive', 'innocuous']) expect(claims).toContain(c);
  });

  it('recognises the pieces of pg.isa', () => {
    const find = (name: string) => all.find((p) => p.name === name)!;
    const doc = new RegExp(find('comment.line.documentation.isa').match!);
    expect(doc.test('/// The mode M')).toBe(true);
    const hex = new RegExp(find('constant.numeric.hex.isa').match!);
    expect('encoding 0x01:8 rd:4'.match(hex)?.[0]).toBe('0x01');
    const claim = new RegExp(find('constant.language.claim.isa').match!);
    expect('claims privileged, control-sensitive;'.match(new RegExp(claim, 'g'))).toEqual(['privileged', 'control-sensitive']);
  });
});
