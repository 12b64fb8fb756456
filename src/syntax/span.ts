// A place in a source file. Defined here, at the bottom of the front end, so that syntax/ depends
// on nothing above it; the IR re-exports it (src/ir/types.ts) because every stage's output points
// back at the spec.

/** A place in a source file; lines and columns are 1-based, end is exclusive. */
export interface Span {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}
