// Concrete machine states as plain data: what the reference interpreter, witnesses, the demo and
// the reports exchange. (The fast machine keeps its state in typed arrays; it converts to and from
// this form at its edges.)

/** A concrete state of a specified machine. Absent entries are zero. */
export interface ConcreteState {
  /** Register name -> value. */
  regs: Record<string, bigint>;
  /** Register file name -> values by index. */
  files: Record<string, bigint[]>;
  /** Memory name -> word address -> value (sparse; absent words are zero). */
  mem: Record<string, Map<number, bigint>>;
}

/** What running one instruction's semantics did (the trap entry is not run here). */
export type Outcome =
  /** `output`: the bytes stored at the console (absent: none). */
  | { kind: 'done'; state: ConcreteState; output?: number[] }
  | { kind: 'halt'; state: ConcreteState; output?: number[] }
  /** A trap discards every write of the instruction: `state` is the state before it. */
  | { kind: 'trap'; trap: string; state: ConcreteState };
