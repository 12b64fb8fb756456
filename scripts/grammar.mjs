// Regenerates grammar/isa.ebnf and grammar/diagrams.html from the built parser (run after
// `npm run build`; `npm run grammar` does both). test/grammar fails if the committed EBNF drifts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createSyntaxDiagramsCode } from 'chevrotain';
import { renderEbnf } from './ebnf.mjs';

const { getSerializedGrammar } = await import('../dist/syntax/parser.js');
const rules = getSerializedGrammar();
writeFileSync(new URL('../grammar/isa.ebnf', import.meta.url), renderEbnf(rules));
writeFileSync(new URL('../grammar/diagrams.html', import.meta.url), inlineResources(createSyntaxDiagramsCode(rules)));
console.log('wrote grammar/isa.ebnf and grammar/diagrams.html');

/**
 * chevrotain's page loads its scripts and stylesheet from unpkg; inline the copies shipped in
 * node_modules so the diagrams open offline and from the published package.
 */
function inlineResources(html) {
  const require = createRequire(import.meta.url);
  // The package folder: the resolved entry point sits somewhere below it.
  let chevrotainRoot = dirname(require.resolve('chevrotain'));
  while (!existsSync(join(chevrotainRoot, 'package.json'))) chevrotainRoot = dirname(chevrotainRoot);
  const local = (url) => join(chevrotainRoot, 'diagrams', url.replace(/^https:\/\/unpkg\.com\/chevrotain@[^/]+\/diagrams\//, ''));
  return html
    .replace(/<link rel='stylesheet' href='([^']+)'>/g, (_m, url) => `<style>\n${readFileSync(local(url), 'utf8')}\n</style>`)
    .replace(/<script src='([^']+)'><\/script>/g, (_m, url) => `<script>\n${readFileSync(local(url), 'utf8')}\n</script>`);
}
