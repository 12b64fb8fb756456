// The front end's layering, enforced: syntax/ imports nothing outside itself, ir/ imports only
// syntax/. A later stage may import the front end, never the other way round (ARCHITECTURE.md).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

function importsOf(folder: string): { file: string; from: string }[] {
  const out: { file: string; from: string }[] = [];
  for (const f of readdirSync(`src/${folder}`).filter((x) => x.endsWith('.ts'))) {
    const text = readFileSync(`src/${folder}/${f}`, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)) out.push({ file: `${folder}/${f}`, from: m[1]! });
  }
  return out;
}

describe('layering of the front end', () => {
  test('syntax/ depends on nothing above it', () => {
    expect(importsOf('syntax').filter((i) => i.from.startsWith('../'))).toEqual([]);
  });

  test('ir/ depends only on syntax/', () => {
    expect(importsOf('ir').filter((i) => i.from.startsWith('../') && !i.from.startsWith('../syntax/'))).toEqual([]);
  });
});
