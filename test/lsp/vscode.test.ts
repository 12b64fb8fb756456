// The VS Code extension folder: a manifest VS Code accepts, the grammar in step with grammar/.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = 'editors/vscode';
const json = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

describe('editors/vscode', () => {
  const pkg = json(`${dir}/package.json`);

  it('contributes the isa language with its grammar and configuration', () => {
    const lang = pkg.contributes.languages.find((l: any) => l.id === 'isa');
    expect(lang.extensions).toEqual(['.isa']);
    const config = json(`${dir}/${lang.configuration}`);
    expect(config.comments).toEqual({ lineComment: '//', blockComment: ['/*', '*/'] });
    expect(config.brackets).toContainEqual(['{', '}']);
    const grammar = pkg.contributes.grammars.find((g: any) => g.language === 'isa');
    const tm = json(`${dir}/${grammar.path}`);
    expect(tm.scopeName).toBe(grammar.scopeName);
  });

  it('ships a grammar identical to grammar/isa.tmLanguage.json', () => {
    expect(readFileSync(`${dir}/syntaxes/isa.tmLanguage.json`, 'utf8')).toBe(readFileSync('grammar/isa.tmLanguage.json', 'utf8'));
  });

  it('starts isavirt lsp through vscode-languageclient, declared as its own dependency', () => {
    expect(pkg.dependencies['vscode-languageclient']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.main).toBe('./extension.js');
    const root = json('package.json');
    expect(root.dependencies?.['vscode-languageclient']).toBeUndefined();
    const src = readFileSync(`${dir}/extension.js`, 'utf8');
    expect(src).toContain("require('vscode-languageclient/node')");
    expect(src).toContain("['lsp', '--stdio']");
  });
});
