// Loading a guest built by a real toolchain: an ELF32 executable (GNU `ld` output) becomes a
// Program like the assembler's. Only the program headers are read (PT_LOAD segments: file bytes,
// then zeros up to the memory size); sections, symbols and relocations are not needed to run it.
//
// Where the bytes go: a segment's physical address (p_paddr) is an address of the machine as the
// toolchain saw it; it is put where the spec's fetch space names that address in the reset state
// (a view: through its translation, so riscv.isa's 1 MiB takes 0x80000000 as word 0; a memory: the
// word itself). The entry (e_entry) becomes the pc, as a boot loader or `-bios none` would set it.
// Everything is bounded: the header count, each segment's size, the bytes loaded in all.

import type { Isa } from '../ir/index.js';
import { diag, Diagnostics, type Diagnostic } from '../syntax/index.js';
import { resetState, translateAddress } from '../exec/index.js';
import type { Program, Segment } from './assemble.js';
import { MAX_PROGRAM_WORDS } from './assemble.js';
import { fetchMemory } from './tables.js';

export type ElfResult = { ok: true; program: Program } | { ok: false; diagnostics: Diagnostic[] };

/** Most program headers read (a linked kernel has a handful). */
export const MAX_ELF_HEADERS = 64;

const PT_LOAD = 1;

/** Does the file begin with the ELF magic (0x7f 'E' 'L' 'F')? */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

const hex = (v: number) => '0x' + v.toString(16);

/** The ELF32 executable `bytes` (named `file` in diagnostics) as a program of `isa`. */
export function loadElf(isa: Isa, bytes: Uint8Array, file: string): ElfResult {
  const bad = (why: string, hint?: string): ElfResult => ({
    ok: false,
    diagnostics: [diag(Diagnostics.ElfNotLoadable, [why], undefined, { file, ...(hint ? { hint } : {}) })],
  });
  if (!isElf(bytes)) return bad('it does not begin with the ELF magic number');
  if (bytes.length < 52) return bad(`it has ${bytes.length} bytes, fewer than an ELF32 header's 52`);
  if (bytes[4] !== 1)
    return bad(
      bytes[4] === 2 ? 'it is a 64-bit ELF file (ELFCLASS64)' : 'its ELF class is not ELFCLASS32',
      'link it as ELF32, e.g. ld -m elf32lriscv or ld -m elf_i386',
    );
  const little = bytes[5] === 1;
  if (bytes[5] !== 1 && bytes[5] !== 2) return bad('its data encoding is neither little- nor big-endian');
  if ((little ? 'little' : 'big') !== isa.endian) return bad(`it is ${little ? 'little' : 'big'}-endian and ${isa.name} is ${isa.endian}-endian`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => dv.getUint16(o, little);
  const u32 = (o: number) => dv.getUint32(o, little);
  if (u16(16) !== 2) return bad(`it is not an executable (e_type ${u16(16)}, ET_EXEC is 2): link it`);
  const mem = fetchMemory(isa);
  if (!mem || mem.wordWidth !== 8) return bad(`${isa.name} fetches ${mem ? `${mem.wordWidth}-bit words` : 'from no memory'}, not bytes`);
  const entry = u32(24),
    phoff = u32(28),
    phentsize = u16(42),
    phnum = u16(44);
  const pcWidth = isa.registers.find((r) => r.name === isa.fetch.pc)?.width ?? 32;
  if (pcWidth < 32 && entry >= 2 ** pcWidth) return bad(`its entry ${hex(entry)} does not fit the ${pcWidth}-bit ${isa.fetch.pc}`);
  if (phnum > MAX_ELF_HEADERS) return bad(`it has ${phnum} program headers, more than the ${MAX_ELF_HEADERS} read`);
  if (phentsize < 32 || phoff + phnum * phentsize > bytes.length) return bad('its program headers lie outside the file');
  // Reset-state translation of the fetch space: where a boot loader's physical address lands.
  const reset = resetState(isa);
  const isView = isa.views.some((v) => v.name === isa.fetch.space);
  const words = new Map<number, bigint>();
  let loaded = 0;
  for (let k = 0; k < phnum; k++) {
    const h = phoff + k * phentsize;
    if (u32(h) !== PT_LOAD) continue;
    const offset = u32(h + 4),
      paddr = u32(h + 12),
      filesz = u32(h + 16),
      memsz = u32(h + 20);
    if (filesz > memsz) return bad(`segment ${k} has more file bytes (${filesz}) than memory bytes (${memsz})`);
    if (offset + filesz > bytes.length) return bad(`segment ${k}'s bytes lie outside the file`);
    loaded += memsz;
    if (loaded > Math.min(mem.size, MAX_PROGRAM_WORDS))
      return bad(
        `its segments hold ${loaded} bytes, more than ${Math.min(mem.size, MAX_PROGRAM_WORDS)}`,
        `${isa.name}'s ${mem.name} has ${mem.size} bytes; a program at most ${MAX_PROGRAM_WORDS}`,
      );
    for (let i = 0; i < memsz; i++) {
      const at = paddr + i;
      let addr: number;
      if (isView) {
        const t = translateAddress(isa, reset, isa.fetch.space, BigInt(at));
        if ('trap' in t) return bad(`segment ${k}: address ${hex(at)} traps (${t.trap}) in ${isa.fetch.space} at reset`);
        addr = t.addr;
      } else if (at < mem.size) addr = at;
      else return bad(`segment ${k}: address ${hex(at)} is outside ${mem.name} (0..${hex(mem.size - 1)})`);
      words.set(addr, i < filesz ? BigInt(bytes[offset + i]!) : 0n);
    }
  }
  if (words.size === 0) return bad('it has no loadable segment (PT_LOAD)');
  // One segment per run of consecutive words.
  const segments: Segment[] = [];
  for (const a of [...words.keys()].sort((x, y) => x - y)) {
    const last = segments[segments.length - 1];
    if (last && last.address + last.words.length === a) last.words.push(words.get(a)!);
    else segments.push({ address: a, words: [words.get(a)!], section: 'kernel' });
  }
  return { ok: true, program: { segments, entry, symbols: {}, labels: {}, lines: [], file } };
}
