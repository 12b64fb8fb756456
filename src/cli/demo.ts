// `isavirt demo <spec> [--instruction MNEMONIC]`: each instruction that breaks Theorem 1, run from
// its witness on the bare machine and under the trap-and-emulate monitor, side by side.
import { defineCommand } from './command.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import { startProgress } from './progress.js';
import { loadSpecOrExit } from './spec.js';

export default defineCommand<{ spec: string; instruction?: string; format: 'text' | 'json' }>({
  command: 'demo <spec>',
  describe: 'show each fidelity failure as two diverging runs (bare machine vs trap-and-emulate)',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', describe: 'the .isa spec' })
      .option('instruction', { type: 'string', describe: 'only this instruction (mnemonic)' })
      .option('format', { requiresArg: true, choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' }),
  examples: [
    ['isavirt demo isas/x86-386.isa --instruction POPF', 'POPF on the bare machine and under the monitor'],
    ['isavirt demo isas/pg.isa', 'Theorem 1 holds: nothing diverges'],
  ],
  async run(args, io: CliIO) {
    const isa = await loadSpecOrExit(args.spec, io);
    if (args.instruction !== undefined && args.instruction.trim() === '') throw new UsageError('--instruction needs a mnemonic');
    const { analyzeIsa } = await import('../analysis/index.js');
    const { demoIsa, renderDemoText, demoJson } = await import('../demo/index.js');
    const progress = await startProgress(`analysing ${isa.name}`, io);
    const analysis = await analyzeIsa(isa, { onInstruction: (d, t, m) => progress.update(d, t, m) }).finally(() => progress.stop());
    const r = demoIsa(isa, analysis, { instruction: args.instruction });
    if (r.notFound) {
      // A real instruction that breaks nothing is an answer; a name the spec lacks is bad input.
      const known = isa.instructions.some((i) => i.mnemonic.toLowerCase() === args.instruction!.toLowerCase());
      if (known) {
        io.out(r.notFound);
        return EXIT.ok;
      }
      io.err(r.notFound);
      return EXIT.badInput;
    }
    io.out(args.format === 'json' ? JSON.stringify(demoJson(r), null, 2) : renderDemoText(r));
    return r.offenders.some((o) => o.status === 'diverges') ? EXIT.finding : EXIT.ok;
  },
});
