// The monitors: bare machine, trap-and-emulate, hybrid, patched guest.
export { GuestSession, runGuest, defaultAllocation, composedControl, VmmError, MONITORS, DEFAULT_GUEST_STEPS } from './monitor.js';
export type { MonitorKind, MonitorStats, MonitorEvent, Placement, GuestOptions, GuestImage, GuestRun } from './monitor.js';
export { patchProgram, privilegedInstances, undefinedWord } from './patch.js';
export type { PatchSite, PatchResult, PrivilegedInstance } from './patch.js';
export { elementsOfRole, modeAssignment, exprReads, modeRank, ownedControlDefaults, readElementOf, stmtsReads, writeElementOf } from './elements.js';
export type { Element } from './elements.js';
