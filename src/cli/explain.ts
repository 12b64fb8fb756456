// `isavirt explain <spec> <MNEMONIC>`: why one instruction is classified as it is, in plain words.
import { defineCommand } from './command.js';
import { EXIT, paint } from './io.js';
import { outputWidth } from './progress.js';
import { loadSpecOrExit } from './spec.js';
import { isaIndex } from '../ir/index.js';

export default defineCommand<{ spec: string; mnemonic: string; detail?: boolean }>({
  command: 'explain <spec> <mnemonic>',
  describe: 'explain for learners why one instruction is (or is not) privileged and sensitive',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', describe: '.isa or .isa.json file' })
      .positional('mnemonic', { type: 'string', describe: 'the instruction (case does not matter)' })
      .option('detail', { type: 'boolean', describe: 'append the expert evidence (solver queries) of check --explain' }),
  examples: [
    ['isavirt explain isas/x86-386.isa POPF', 'why POPF breaks Theorem 1'],
    ['isavirt explain isas/pg.isa LPSW', 'why LPSW is privileged and sensitive'],
  ],
  async run(args, io) {
    const isa = await loadSpecOrExit(args.spec, io);
    const { analyzeIsa } = await import('../analysis/index.js');
    const { explainForLearner, findInstruction } = await import('../explain/index.js');
    // Only the one instruction is analysed: the theorems then speak of it alone, which is all we say.
    const wanted =
      isaIndex(isa).instructions.get(args.mnemonic) ?? isa.instructions.find((i) => i.mnemonic.toLowerCase() === String(args.mnemonic).toLowerCase());
    const analysis = await analyzeIsa(isa, wanted ? { only: [wanted.mnemonic] } : { only: [] });
    const found = findInstruction(isa, analysis, String(args.mnemonic));
    if (!found.ok) {
      const p = paint(io.colorErr);
      io.err(`${p.error('error:')} ${found.message}${found.suggestion ? `; did you mean '${found.suggestion}'?` : ''}`);
      if (!found.suggestion) io.err(`its instructions: ${isa.instructions.map((i) => i.mnemonic).join(', ')}`);
      return EXIT.badInput;
    }
    const width = outputWidth();
    io.write(explainForLearner(isa, analysis, found.instruction, found.classification, { color: io.colorOut, width }));
    if (args.detail) {
      const { renderExplainText } = await import('../report/index.js');
      io.write('\nEvidence in detail\n' + renderExplainText(analysis, found.classification, { isa, color: io.colorOut, width }));
    }
    return EXIT.ok;
  },
});
