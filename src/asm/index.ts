// The assembler and disassembler generated from a spec.
export { assemble, describeSyntax, DIRECTIVES, MAX_PROGRAM_WORDS } from './assemble.js';
export type { AssembleResult, Program, Segment, Section } from './assemble.js';
export { disassemble, disassembleProgram } from './disassemble.js';
export type { DisasmLine, DisasmOptions } from './disassemble.js';
export { isElf, loadElf, MAX_ELF_HEADERS } from './elf.js';
export type { ElfResult } from './elf.js';
export { loadProgram, programImage, forEachWord, formatListing } from './load.js';
export { ASM, ASM_CODES, formatAsmDiagnostic } from './diagnostics.js';
export type { AsmDiagnostic } from './diagnostics.js';
export { fetchMemory, registerName, defaultSyntax } from './tables.js';
