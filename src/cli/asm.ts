// `isavirt asm <spec> <program.s>`: assemble a guest program for a spec and print its words.
import { disassembleProgram, fetchMemory, formatListing } from '../asm/index.js';
import { defineCommand } from './command.js';
import { EXIT } from './io.js';
import { assembleOrExit, loadSpecOrExit } from './spec.js';

export default defineCommand<{ spec: string; program: string; listing?: boolean; aliases?: boolean }>({
  command: 'asm <spec> <program>',
  describe: 'assemble a guest program (.s) for a spec and print its words',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', describe: 'the .isa spec' })
      .positional('program', { type: 'string', describe: 'the assembly program (.s)' })
      .option('listing', { type: 'boolean', default: false, describe: "print the source with each line's address and words" })
      .option('aliases', {
        type: 'boolean',
        default: true,
        describe: "print an instruction as the spec's pseudo-instruction for it, as GNU objdump does (--no-aliases: the instructions)",
      }),
  examples: [
    ['isavirt asm isas/riscv.isa isas/riscv/kernel.s', 'address, word and instruction for every word'],
    ['isavirt asm isas/riscv.isa isas/riscv/kernel.s --listing', 'the source beside its addresses and words'],
    ['isavirt asm isas/riscv.isa isas/riscv/kernel.s --no-aliases', 'every instruction by its own name (addi a0, zero, 21, not li a0, 21)'],
  ],
  async run(args, io) {
    const isa = await loadSpecOrExit(args.spec, io);
    const { program, text } = assembleOrExit(isa, args.program, io);
    const r = { program };
    if (args.listing) {
      io.out(formatListing(isa, r.program, text));
      return EXIT.ok;
    }
    const digits = Math.ceil((fetchMemory(isa)?.wordWidth ?? 32) / 4);
    let section = '';
    for (const l of disassembleProgram(isa, r.program, { aliases: args.aliases !== false })) {
      const seg = r.program.segments.find((s) => l.address >= s.address && l.address < s.address + s.words.length);
      if (seg && seg.section !== section) {
        section = seg.section;
        io.out(`.${section}`);
      }
      const words = l.words.map((w) => w.toString(16).padStart(digits, '0')).join(' ');
      io.out(`${l.address.toString(16).padStart(4, '0')}: ${words.padEnd(digits * 2 + 2)} ${l.text}`);
    }
    io.out(`.entry 0x${r.program.entry.toString(16)}`);
    return EXIT.ok;
  },
});
