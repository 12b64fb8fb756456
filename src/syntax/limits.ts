// The bounds the lexer and parser enforce themselves (the rest are in src/ir/limits.ts, which
// re-exports these; grammar/LANGUAGE.md "Limits" documents them all).

/** Characters in one spec file (text or JSON); checked before lexing. The 80386 spec has 61 000. */
export const MAX_SPEC_CHARS = 8 * 1024 * 1024;

/** Declarations in a spec after `extends` are merged; one file's are counted before parsing too. */
export const MAX_DECLARATIONS = 20_000;
