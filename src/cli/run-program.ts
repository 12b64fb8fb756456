// `isavirt run <spec> <program.s> --monitor none|trap|hybrid|patched [--trace] [--compare]`: run a
// guest program on the bare machine or under a monitor; --compare runs it on both and diffs them.
// Every run shows what happened: how it ended, how many instructions ran directly and how many the
// monitor emulated (traps, reflections), the final state the guest sees, and with --trace every
// instruction in assembly syntax with what the monitor did with each trap and why. The JSON shape
// (`--format json`, isavirt-run version 2) is documented in src/demo/run-report.ts.
import { type Isa, assertNever } from '../ir/index.js';
import { defineCommand } from './command.js';
import { EXIT, UsageError, paint, type CliIO } from './io.js';
import { assembleOrExit, loadSpecOrExit } from './spec.js';
import { privilegedInstances, type Placement, type PrivilegedInstance } from '../vmm/index.js';
import { DEFAULT_MEMORY_CAP, MachineError, layOut, resetState, type ConcreteState } from '../exec/index.js';

type Monitor = 'none' | 'trap' | 'hybrid' | 'patched';

interface Args {
  spec: string;
  program: string;
  monitor?: Monitor;
  trace?: boolean;
  compare?: boolean;
  maxSteps: number;
  timeLimit: number;
  format: 'text' | 'json';
  monitorControl?: string[];
  set?: string[];
  guestControl?: boolean;
  memoryCap?: number;
}

/** `--monitor-control IDTR=0x7f0007ff` (repeatable): values the monitor keeps in the real machine. */
function parseMonitorControl(isa: Isa, elements: readonly { name: string; width: number }[], items: readonly string[]): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  const names = elements.map((e) => e.name);
  for (const item of items) {
    const m = /^\s*([A-Za-z_][\w.[\]]*)\s*=\s*(0x[0-9a-fA-F_]+|0b[01_]+|[0-9_]+)\s*$/.exec(item);
    if (!m) throw new UsageError(`--monitor-control ${item}: write NAME=VALUE, e.g. ${names[0] ?? 'R'}=0x100`);
    const element = elements.find((e) => e.name === m[1]);
    if (!element)
      throw new UsageError(
        `--monitor-control ${item}: ${m[1]} is not a control element of ${isa.name} (${names.slice(0, 12).join(', ')}${names.length > 12 ? ', ...' : ''})`,
      );
    const value = BigInt(m[2]!.replace(/_/g, ''));
    // A value wider than the element would be cut silently by the machine: the user meant something else.
    if (value >> BigInt(element.width) !== 0n)
      throw new UsageError(`--monitor-control ${item}: ${element.name} has ${element.width} bits, and ${m[2]} needs ${value.toString(2).length}`);
    out[element.name] = value;
  }
  return out;
}

/** `--set eax=0x2badb002` (repeatable): the guest's state at the start, after reset, as a boot
 *  loader leaves it (a register, a field `R.F`, a file entry `x[10]` or its name `a0`). */
function seededState(isa: Isa, items: readonly string[]): ConcreteState | undefined {
  if (items.length === 0) return undefined;
  const s = resetState(isa);
  for (const item of items) {
    const m = /^\s*([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*)|\[(\d+)\])?\s*=\s*(0x[0-9a-fA-F_]+|0b[01_]+|[0-9_]+)\s*$/.exec(item);
    if (!m) throw new UsageError(`--set ${item}: write NAME=VALUE, e.g. ${isa.registers[0]?.name ?? 'R'}=0x100`);
    const value = BigInt(m[4]!.replace(/_/g, ''));
    const fits = (w: number) => {
      if (value >> BigInt(w) !== 0n) throw new UsageError(`--set ${item}: ${m[1]} has ${w} bits, and ${m[4]} needs ${value.toString(2).length}`);
    };
    const reg = isa.registers.find((r) => r.name === m[1]);
    const named = isa.files.map((f) => ({ f, i: f.names.indexOf(m[1]!) })).find((x) => x.i >= 0);
    if (reg && m[2] !== undefined) {
      const f = reg.fields.find((x) => x.name === m[2]);
      if (!f) throw new UsageError(`--set ${item}: register ${reg.name} has no field ${m[2]}`);
      fits(f.hi - f.lo + 1);
      const fm = ((1n << BigInt(f.hi - f.lo + 1)) - 1n) << BigInt(f.lo);
      s.regs[reg.name] = ((s.regs[reg.name] ?? 0n) & ~fm) | (value << BigInt(f.lo));
    } else if (reg && m[3] === undefined) {
      fits(reg.width);
      s.regs[reg.name] = value;
    } else {
      const file = m[3] !== undefined ? isa.files.find((f) => f.name === m[1]) : named?.f;
      const index = m[3] !== undefined ? Number(m[3]) : (named?.i ?? -1);
      if (!file || m[2] !== undefined || index < 0 || index >= file.count)
        throw new UsageError(`--set ${item}: ${m[1]}${m[3] !== undefined ? `[${m[3]}]` : ''} is not a register of ${isa.name}`);
      fits(file.width);
      s.files[file.name]![index] = value;
    }
  }
  return s;
}

/** `--memory-cap` is in MiB; the largest is 16 GiB. */
const MAX_MEMORY_CAP_MIB = 16 * 1024;

/** The largest step budget: a run this long already takes minutes, and the budget is what bounds a run. */
export const MAX_STEPS = 1_000_000_000;

/** `--time-limit`, in seconds: the default stops a forgotten endless loop within a minute; the
 *  largest is a day. */
export const DEFAULT_TIME_LIMIT_S = 60;
const MAX_TIME_LIMIT_S = 24 * 3600;

const TRACE_LIMIT = 10_000;
const hex = (v: bigint | number) => '0x' + BigInt(v).toString(16);

async function patchLists(isa: Isa, monitor: Monitor): Promise<{ offenders?: string[]; privileged?: (string | PrivilegedInstance)[] }> {
  if (monitor !== 'patched') return {};
  // The analysis decides what to patch: sensitive and not privileged.
  const { analyzeIsa } = await import('../analysis/index.js');
  const a = await analyzeIsa(isa);
  return {
    offenders: a.theorem1.offenders.map((o) => o.mnemonic),
    privileged: privilegedInstances(a),
  };
}

export default defineCommand<Args>({
  command: 'run <spec> <program>',
  describe: 'run a guest program on the bare machine or under a monitor (trap, hybrid, patched)',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', describe: 'the .isa spec' })
      .positional('program', { type: 'string', describe: 'the guest program (.s, or an ELF32 executable)' })
      .option('monitor', { choices: ['none', 'trap', 'hybrid', 'patched'] as const, describe: 'where the guest runs (default none; with --compare, trap)' })
      .option('trace', {
        type: 'boolean',
        default: false,
        describe: `print every instruction run (up to ${TRACE_LIMIT}) in assembly syntax, and what the monitor did with each trap and why`,
      })
      .option('compare', { type: 'boolean', default: false, describe: 'run on the bare machine too and diff the guest states (exit 1 if they differ)' })
      .option('set', {
        type: 'string',
        array: true,
        describe: "NAME=VALUE: the guest's register at the start, after reset (repeatable; a boot loader's state)",
      })
      .option('monitor-control', { type: 'string', array: true, describe: 'NAME=VALUE: a value the monitor keeps in a real control element (repeatable)' })
      .option('guest-control', {
        type: 'boolean',
        default: false,
        describe: "pass the guest's control values through to the real machine (by default the monitor keeps its own IDT, GDT... registers)",
      })
      .option('max-steps', { type: 'number', requiresArg: true, default: 1_000_000, describe: `step budget of each run (at most ${MAX_STEPS})` })
      .option('time-limit', {
        type: 'number',
        requiresArg: true,
        default: DEFAULT_TIME_LIMIT_S,
        describe: `seconds each run may take (at most ${MAX_TIME_LIMIT_S}); a run it stops exits ${EXIT.badInput}, since where it stopped depends on the host's speed`,
      })
      .option('memory-cap', {
        type: 'number',
        requiresArg: true,
        describe: `MiB the machine may allocate for the spec's memories (default ${DEFAULT_MEMORY_CAP / 2 ** 20}, at most ${MAX_MEMORY_CAP_MIB})`,
      })
      .option('format', { requiresArg: true, choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' }),
  examples: [
    ['isavirt run isas/m68010.isa isas/m68010/kernel.s --monitor trap --trace', 'under the trap-and-emulate monitor, every trap and what the monitor did'],
    ['isavirt run isas/riscv.isa isas/riscv/kernel.s --monitor trap --format json', "the final state and the monitor's counts as JSON"],
    ['isavirt run isas/m68000.isa isas/m68000/movesr.s --compare', 'bare machine against the monitor'],
    [
      'isavirt run isas/riscv.isa isas/riscv/kernel.s --set a0=0 --set mscratch=0x1000',
      'registers as a boot loader leaves them; a linked ELF32 kernel is run the same way',
    ],
    ['isavirt run isas/x86-386.isa isas/x86-386/redpill.s --compare --monitor-control IDTR=0x7f0007ff', "the red pill, the monitor's IDT at 0x7f00"],
  ],
  async run(args, io: CliIO) {
    if (!Number.isInteger(args.maxSteps) || args.maxSteps < 1) throw new UsageError('--max-steps must be a positive whole number');
    if (args.maxSteps > MAX_STEPS)
      throw new UsageError(
        `--max-steps ${args.maxSteps} is more than the limit of ${MAX_STEPS} steps (a run that long takes many minutes; a guest that needs more is probably looping)`,
      );
    if (!(args.timeLimit > 0 && args.timeLimit <= MAX_TIME_LIMIT_S))
      throw new UsageError(`--time-limit must be a number of seconds above 0 and at most ${MAX_TIME_LIMIT_S}`);
    if (args.memoryCap !== undefined && (!Number.isInteger(args.memoryCap) || args.memoryCap < 1 || args.memoryCap > MAX_MEMORY_CAP_MIB)) {
      throw new UsageError(`--memory-cap must be a whole number of MiB from 1 to ${MAX_MEMORY_CAP_MIB}`);
    }
    const memoryCap = (args.memoryCap ?? DEFAULT_MEMORY_CAP / 2 ** 20) * 2 ** 20;
    const isa = await loadSpecOrExit(args.spec, io);
    // The spec's memories, not the program, decide what the machine allocates: say so, and how to raise it.
    try {
      layOut(isa, memoryCap);
    } catch (e) {
      if (!(e instanceof MachineError)) throw e;
      io.err(`${paint(io.colorErr).error('error:')} ${args.spec}: ${e.message.replace(/ \(raise it with the memory cap option[^)]*\)$/, '')}`);
      io.err(`hint: --memory-cap N allows N MiB (at most ${MAX_MEMORY_CAP_MIB})`);
      return EXIT.badInput;
    }
    const asm = assembleOrExit(isa, args.program, io);
    const { GuestSession, VmmError } = await import('../vmm/index.js');
    const { diffGuestStates, describeDiff, finalState, finalStateText, traceLines, eventLines } = await import('../demo/index.js');
    const monitor: Monitor = args.monitor ?? (args.compare ? 'trap' : 'none');
    const p = paint(io.colorOut);
    const { elementsOfRole } = await import('../vmm/index.js');
    const monitorControl = parseMonitorControl(isa, elementsOfRole(isa, 'control'), args.monitorControl ?? []);
    const opts = {
      maxSteps: args.maxSteps,
      timeLimitMs: args.timeLimit * 1000,
      trace: args.trace ? TRACE_LIMIT : 0,
      monitorControl,
      ownControl: !args.guestControl,
      memoryCap,
      ...(await patchLists(isa, monitor)),
    };
    const seeded = seededState(isa, args.set ?? []);
    const image = seeded ? { state: seeded, program: asm.program } : { program: asm.program };
    // One session per run: the state at the start is kept so the report can say what the run changed.
    const runOne = (kind: Monitor) => {
      const s = new GuestSession(isa, kind, image, opts);
      const start = s.guestState();
      const run = s.result(s.run());
      return { run, final: finalState(isa, start, run.guestState, run.mode) };
    };
    let runs;
    try {
      runs = args.compare ? [runOne('none'), runOne(monitor)] : [runOne(monitor)];
    } catch (e) {
      if (e instanceof VmmError) {
        io.err(`${paint(io.colorErr).error('error:')} ${args.program}: ${e.message}`);
        return EXIT.badInput;
      }
      throw e;
    }
    const diffs = args.compare ? diffGuestStates(isa, runs[0]!.run.guestState, runs[1]!.run.guestState, 1000) : [];
    const sameEnd = !args.compare || runs[0]!.run.outcome.kind === runs[1]!.run.outcome.kind;
    if (args.format === 'json') {
      const out = {
        format: 'isavirt-run',
        version: 2,
        spec: isa.name,
        program: args.program,
        runs: runs.map(({ run: r, final }) => ({
          monitor: r.monitor,
          outcome: r.outcome.kind,
          message: r.outcome.message,
          steps: r.outcome.steps,
          mode: r.mode,
          stats: r.stats,
          placement: r.placement,
          allocation: r.allocation,
          patches: r.patches.map((s) => ({ address: s.address, mnemonic: s.mnemonic })),
          final: { mode: final.mode, registers: final.registers, fields: final.fields, files: final.files, memory: final.memory },
          console: isa.console ? consoleJson(r.output) : undefined,
          trace: r.trace ? traceLines(isa, r.trace) : undefined,
          events: r.events ? eventLines(r.events) : undefined,
        })),
        differences: args.compare ? diffs : undefined,
      };
      io.out(JSON.stringify(out, null, 2));
    } else {
      for (const { run: r, final } of runs) {
        const name = r.monitor === 'none' ? 'bare machine' : `monitor ${r.monitor}`;
        io.out(`${p.bold(name)}: ${r.outcome.message}`);
        io.out(`  virtual mode at the end: ${r.mode ?? '?'}`);
        const st = r.stats;
        if (r.monitor === 'none') io.out(`  ${plural(st.direct, 'instruction')} completed, ${plural(st.traps, 'trap')}`);
        else {
          io.out(
            `  efficiency: ${st.direct} instructions ran directly, ${st.emulated} ${r.monitor === 'hybrid' ? 'emulated or interpreted' : 'emulated'} by the monitor; ${plural(st.traps, 'trap')}, ${st.reflected} reflected into the guest`,
          );
          io.out(`  guest storage: ${placementText(r.placement)}`);
        }
        if (r.patches.length) io.out(`  patched: ${r.patches.map((s) => `${s.mnemonic} at ${hex(s.address)}`).join(', ')}`);
        if (r.trace) {
          io.out('  trace:');
          const events = eventLines(r.events ?? []);
          const event = (i: number) => `                       ${p.warn(events[i]!.action)}: ${events[i]!.reason}`;
          let e = 0;
          for (const t of traceLines(isa, r.trace)) {
            io.out(`    ${String(t.step).padStart(5)}  ${t.pc.padStart(10)}  ${t.text}`);
            for (; e < events.length && events[e]!.step <= t.step; e++) io.out(event(e));
          }
          for (; e < events.length; e++) io.out(event(e));
          if (r.trace.length >= TRACE_LIMIT) io.out(`    (the trace stops after ${TRACE_LIMIT} instructions)`);
        }
        if (isa.console) {
          io.out(`  console (${plural(r.output.length, 'byte')}):`);
          for (const line of consoleLines(r.output)) io.out(`    | ${line}`);
        }
        io.out('  final state:');
        for (const line of finalStateText(isa, final)) io.out(`  ${line}`);
      }
      if (args.compare) {
        if (diffs.length === 0 && sameEnd) io.out(p.ok('no difference: the guest sees the same machine'));
        else {
          io.out(p.warn(`the runs diverge${sameEnd ? '' : ` (bare machine: ${runs[0]!.run.outcome.kind}, monitor: ${runs[1]!.run.outcome.kind})`}:`));
          for (const d of diffs.slice(0, 40)) io.out(`  ${describeDiff(d)}`);
          if (diffs.length > 40) io.out(`  ... and ${diffs.length - 40} more`);
        }
      }
    }
    // A run the clock stopped is no result (another host stops it elsewhere): say where, and exit 2.
    let timed = false;
    for (const { run: r } of runs) {
      const o = r.outcome;
      if (o.kind !== 'time') continue;
      timed = true;
      const where = r.monitor === 'none' ? 'on the bare machine' : `under the ${r.monitor} monitor`;
      io.err(
        `${paint(io.colorErr).error('error:')} ${args.program}: ${where}, stopped by the time limit of ${o.limitMs / 1000} s at pc=${hex(o.pc)} after ${o.steps} instructions`,
      );
    }
    if (timed) {
      io.err('hint: --time-limit S allows S seconds (and --max-steps N bounds a run by its steps, the same on every host)');
      return EXIT.badInput;
    }
    if (args.compare) return diffs.length === 0 && sameEnd ? EXIT.ok : EXIT.finding;
    return EXIT.ok;
  },
});

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The console's bytes in JSON: `text` has one character per byte (code 0..255), so the bytes
 *  come back exactly (Buffer.from(text, 'latin1')). */
function consoleJson(out: Uint8Array): { bytes: number; text: string } {
  return { bytes: out.length, text: Buffer.from(out).toString('latin1') };
}

/** The console's bytes as lines for the text report; other control characters shown as \xNN. */
function consoleLines(out: Uint8Array): string[] {
  let text = '';
  for (const b of out) text += b === 10 || (b >= 0x20 && b < 0x7f) ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function placementText(pl: Placement): string {
  switch (pl.kind) {
    case 'none':
      return 'the bare machine';
    case 'identity':
      return "the whole specified storage (the spec's translations give the monitor nothing to relocate with)";
    case 'relocation':
      return (
        `${pl.windows.map((w) => `${w.memory}[${hex(w.base)}..${hex(w.base + w.size - 1)}]`).join(', ')}, ` +
        `through the relocation (${pl.registers.map((r) => `${r.base}, ${r.bound}`).join('; ')} composed with the allocation)`
      );
    default:
      return assertNever(pl, 'placement');
  }
}
