// chevrotain's runtime, loaded from its single-file bundle when possible.
//
// The package's entry point (lib/src/api.js) imports lodash-es module by module: about a second of
// startup for every command. The same package ships lib/chevrotain.mjs, one bundled file of the same
// version that loads in a few tens of milliseconds. Its path is not in the package's `exports`, so
// it is found next to the resolved entry point; if that fails for any reason, the entry point is used.

import type * as Chevrotain from 'chevrotain';

async function load(): Promise<typeof Chevrotain> {
  try {
    const entry = import.meta.resolve('chevrotain');
    const bundled = (await import(new URL('../chevrotain.mjs', entry).href)) as typeof Chevrotain;
    const plain = bundled as unknown as { VERSION?: string; CstParser?: unknown };
    if (plain.VERSION?.startsWith('11.') && typeof plain.CstParser === 'function') return bundled;
  } catch {
    // fall through to the package entry point
  }
  return import('chevrotain');
}

const chevrotain = await load();

export const { createToken, Lexer, CstParser, EOF } = chevrotain;
