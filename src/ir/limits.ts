// Every size bound of the front end, in one place, documented in grammar/LANGUAGE.md ("Limits").
// Each is checked before anything proportional to it is allocated or expanded, so a hostile spec
// gets one clear diagnostic instead of exhausting memory or time. Change a value here and in
// LANGUAGE.md together.

export { MAX_DECLARATIONS, MAX_SPEC_CHARS } from '../syntax/index.js';

/** Bits of register and register-file state together (memories are counted separately). */
export const MAX_STATE_BITS = 1 << 22;

/** A memory may have at most 2^MAX_MEMORY_LOG2 words, so every address is exact in a JSON number. */
export const MAX_MEMORY_LOG2 = 52;

/** Registers in one register file. */
export const MAX_FILE_REGISTERS = 1 << 16;

/** IR nodes of a whole spec once `for` loops are unrolled. */
export const MAX_IR_NODES = 200_000;

/** Iterations of one `for` loop. */
export const MAX_LOOP_ITERATIONS = 64;

/**
 * IR nodes of one body (instruction semantics, trap entry, function...) once every function call
 * in it is inlined, as the machine and the solver do. Functions calling functions can multiply:
 * forty functions each calling the previous twice expand to 2^40 nodes from 196 lines.
 */
export const MAX_INLINED_NODES = 1_000_000;

/** Nesting of a `.isa.json` file, checked before the schema's recursive validators run. */
export const MAX_JSON_DEPTH = 200;
