// `isavirt run <spec> <program.s> --monitor none|trap|hybrid|patched [--trace] [--compare]`: run a
// guest program on the bare machine or under a monitor; --compare runs it on both and diffs them.
import type { Isa } from '../ir/types.js';
import { defineCommand } from './command.js';
import { EXIT, UsageError, paint, type CliIO } from './io.js';
import { assembleOrExit, loadSpecOrExit } from './spec.js';

type Monitor = 'none' | 'trap' | 'hybrid' | 'patched';

interface Args {
  spec: string;
  program: string;
  monitor?: Monitor;
  trace?: boolean;
  compare?: boolean;
  maxSteps: number;
  format: 'text' | 'json';
  monitorControl?: string[];
  guestControl?: boolean;
}

/** `--monitor-control IDTR=0x7f0007ff` (repeatable): values the monitor keeps in the real machine. */
function parseMonitorControl(isa: Isa, names: readonly string[], items: readonly string[]): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const item of items) {
    const m = /^\s*([A-Za-z_][\w.[\]]*)\s*=\s*(0x[0-9a-fA-F_]+|0b[01_]+|[0-9_]+)\s*$/.exec(item);
    if (!m) throw new UsageError(`--monitor-control ${item}: write NAME=VALUE, e.g. ${names[0] ?? 'R'}=0x100`);
    if (!names.includes(m[1]!)) throw new UsageError(`--monitor-control ${item}: ${m[1]} is not a control element of ${isa.name} (${names.slice(0, 12).join(', ')}${names.length > 12 ? ', ...' : ''})`);
    out[m[1]!] = BigInt(m[2]!.replace(/_/g, ''));
  }
  return out;
}

const TRACE_LIMIT = 10_000;
const hex = (v: bigint | number) => '0x' + BigInt(v).toString(16);

async function patchLists(isa: Isa, monitor: Monitor): Promise<{ offenders?: string[]; privileged?: string[] }> {
  if (monitor !== 'patched') return {};
  // The analysis decides what to patch: sensitive and not privileged.
  const { analyzeIsa } = await import('../analysis/index.js');
  const a = await analyzeIsa(isa);
  return {
    offenders: a.theorem1.offenders.map((o) => o.mnemonic),
    privileged: a.instructions.filter((c) => c.privileged.value === 'yes').map((c) => c.mnemonic),
  };
}

export default defineCommand<Args>({
  command: 'run <spec> <program>',
  describe: 'run a guest program on the bare machine or under a monitor (trap, hybrid, patched)',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', describe: 'the .isa spec' })
      .positional('program', { type: 'string', describe: 'the guest program (.s)' })
      .option('monitor', { choices: ['none', 'trap', 'hybrid', 'patched'] as const, describe: 'where the guest runs (default none; with --compare, trap)' })
      .option('trace', { type: 'boolean', default: false, describe: `print every instruction run (up to ${TRACE_LIMIT})` })
      .option('compare', { type: 'boolean', default: false, describe: 'run on the bare machine too and diff the guest states (exit 1 if they differ)' })
      .option('monitor-control', { type: 'string', array: true, describe: 'NAME=VALUE: a value the monitor keeps in a real control element (repeatable)' })
      .option('guest-control', { type: 'boolean', default: false, describe: "pass the guest's control values through to the real machine (by default the monitor keeps its own IDT, GDT... registers)" })
      .option('max-steps', { type: 'number', default: 1_000_000, describe: 'step budget of each run' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' }),
  examples: [
    ['isavirt run isas/riscv.isa isas/riscv/kernel.s --monitor trap', 'run under the trap-and-emulate monitor'],
    ['isavirt run isas/m68000.isa isas/m68000/movesr.s --compare', 'bare machine against the monitor'],
    ['isavirt run isas/x86-386.isa isas/x86-386/redpill.s --compare --monitor-control IDTR=0x7f0007ff', 'the red pill, the monitor\'s IDT at 0x7f00'],
  ],
  async run(args, io: CliIO) {
    if (!Number.isInteger(args.maxSteps) || args.maxSteps < 1) throw new UsageError('--max-steps must be a positive whole number');
    const isa = await loadSpecOrExit(args.spec, io);
    const asm = assembleOrExit(isa, args.program, io);
    const { runGuest, VmmError } = await import('../vmm/index.js');
    const { diffGuestStates, describeDiff } = await import('../demo/index.js');
    const monitor: Monitor = args.monitor ?? (args.compare ? 'trap' : 'none');
    const p = paint(io.colorOut);
    const { elementsOfRole } = await import('../vmm/elements.js');
    const controlNames = elementsOfRole(isa, 'control').map((e) => e.name);
    const monitorControl = parseMonitorControl(isa, controlNames, args.monitorControl ?? []);
    const opts = {
      maxSteps: args.maxSteps, trace: args.trace ? TRACE_LIMIT : 0, monitorControl, ownControl: !args.guestControl,
      ...(await patchLists(isa, monitor)),
    };
    const image = { program: asm.program };
    let runs;
    try {
      runs = args.compare ? [runGuest(isa, 'none', image, opts), runGuest(isa, monitor, image, opts)] : [runGuest(isa, monitor, image, opts)];
    } catch (e) {
      if (e instanceof VmmError) {
        io.err(`${paint(io.colorErr).error('error:')} ${args.program}: ${e.message}`);
        return EXIT.badInput;
      }
      throw e;
    }
    const diffs = args.compare ? diffGuestStates(isa, runs[0]!.guestState, runs[1]!.guestState, 1000) : [];
    const sameEnd = !args.compare || runs[0]!.outcome.kind === runs[1]!.outcome.kind;
    if (args.format === 'json') {
      const out = {
        format: 'isavirt-run', version: 1, spec: isa.name, program: args.program,
        runs: runs.map((r) => ({
          monitor: r.monitor, outcome: r.outcome.kind, message: r.outcome.message, steps: r.outcome.steps, mode: r.mode, stats: r.stats,
          allocation: r.allocation, patches: r.patches.map((s) => ({ address: s.address, mnemonic: s.mnemonic })),
          trace: r.trace?.map((t) => ({ pc: hex(t.pc), mnemonic: t.mnemonic, operands: Object.fromEntries(Object.entries(t.operands).map(([k, v]) => [k, hex(v)])) })),
        })),
        differences: args.compare ? diffs : undefined,
      };
      io.out(JSON.stringify(out, null, 2));
    } else {
      for (const r of runs) {
        const name = r.monitor === 'none' ? 'bare machine' : `monitor ${r.monitor}`;
        io.out(`${p.bold(name)}: ${r.outcome.message}`);
        io.out(`  virtual mode at the end: ${r.mode ?? '?'}; direct ${r.stats.direct}, emulated ${r.stats.emulated}, traps ${r.stats.traps}, reflected ${r.stats.reflected}`);
        if (r.patches.length) io.out(`  patched: ${r.patches.map((s) => `${s.mnemonic} at ${hex(s.address)}`).join(', ')}`);
        for (const t of r.trace ?? []) {
          const ops = Object.entries(t.operands).map(([k, v]) => `${k}=${hex(v)}`).join(' ');
          io.out(`  ${hex(t.pc).padStart(10)}  ${t.mnemonic} ${ops}`.trimEnd());
        }
      }
      if (args.compare) {
        if (diffs.length === 0 && sameEnd) io.out(p.ok('no difference: the guest sees the same machine'));
        else {
          io.out(p.warn(`the runs diverge${sameEnd ? '' : ` (bare machine: ${runs[0]!.outcome.kind}, monitor: ${runs[1]!.outcome.kind})`}:`));
          for (const d of diffs.slice(0, 40)) io.out(`  ${describeDiff(d)}`);
          if (diffs.length > 40) io.out(`  ... and ${diffs.length - 40} more`);
        }
      }
    }
    if (args.compare) return diffs.length === 0 && sameEnd ? EXIT.ok : EXIT.finding;
    return EXIT.ok;
  },
});
