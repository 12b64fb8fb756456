// The machine: state and layout, compiled and interpreted semantics, stepping, traps. What other
// stages may use of it.

export {
  decodeOperands,
  diffStates,
  evalExpr,
  evalExprOutcome,
  fetchDecode,
  mask,
  modeOf,
  resetState,
  runSemantics,
  toHex,
  translateAddress,
  zeroState,
} from './interpret.js';
export { DEFAULT_MEMORY_CAP, layOut } from './layout.js';
export { EXEC_DONE, EXEC_FETCH_TRAP, EXEC_HALT, EXEC_ILLEGAL, EXEC_TRAP, MachineError, createMachine, timeLimitMessage } from './machine.js';
export type { DecodeResult, Machine, MemoryWindow, RunOutcome, TraceEntry } from './machine.js';
export type { ConcreteState, Outcome } from './state.js';
