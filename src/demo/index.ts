// The fidelity demonstration: witnesses replayed on the bare machine and under the monitors.
export { demoIsa, encodeInstruction } from './demo.js';
export type { DemoOptions, DemoResult, OffenderDemo, RunSummary } from './demo.js';
export { diffGuestStates, describeDiff, lockstep } from './diff.js';
export type { StateDiff, Divergence, Lockstep } from './diff.js';
export { renderDemoText, demoJson } from './render.js';
export { finalState, finalStateText, traceLines, eventLines, instructionText } from './run-report.js';
export type { FinalState, TraceLine, EventLine } from './run-report.js';
