// `isavirt parse <spec...>`: check specs without analysing them.
import { defineCommand } from './command.js';
import { EXIT, paint } from './io.js';
import { loadSpec } from './spec.js';

export default defineCommand<{ spec: string[] }>({
  command: 'parse <spec...>',
  describe: 'check specs (syntax, names, widths, encodings) and print their diagnostics',
  builder: (y) => y.positional('spec', { type: 'string', array: true, describe: '.isa files to check' }),
  examples: [
    ['isavirt parse isas/pg.isa', 'check one spec; prints "ok isas/pg.isa"'],
    ['isavirt parse isas/*.isa', 'check the whole library'],
  ],
  async run(args, io) {
    const p = paint(io.colorOut);
    let code: number = EXIT.ok;
    // Check every file even after a failure, so one run reports everything.
    for (const spec of args.spec) {
      const loaded = await loadSpec(spec, io);
      if (loaded.ok) io.out(`${p.ok('ok')} ${spec}`);
      else code = EXIT.badInput;
    }
    return code;
  },
});
