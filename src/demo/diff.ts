// Differences between two guest-visible states, named as a student reads them ("EFLAGS.IF",
// "r[3]", "E[0x300]"), and the lockstep comparison that finds the first step where two runs of the
// same guest part ways.

import type { Isa } from '../ir/index.js';
import type { ConcreteState, RunOutcome } from '../exec/index.js';
import type { GuestSession } from '../vmm/index.js';
import { instructionText } from './run-report.js';

export interface StateDiff {
  /** "EFLAGS.IF", "r[3]", "E[0x300]". */
  element: string;
  /** Hex values: on the bare machine, and under the monitor. */
  bare: string;
  monitor: string;
}

const hex = (v: bigint) => '0x' + v.toString(16);
const maskB = (w: number) => (1n << BigInt(w)) - 1n;

/** Every element whose value differs, registers split into the fields that cover the bits. */
export function diffGuestStates(isa: Isa, a: ConcreteState, b: ConcreteState, limit = 64): StateDiff[] {
  const out: StateDiff[] = [];
  for (const r of isa.registers) {
    const x = a.regs[r.name] ?? 0n,
      y = b.regs[r.name] ?? 0n;
    if (x === y) continue;
    const bits = x ^ y;
    let covered = 0n;
    for (const f of r.fields) {
      const fm = maskB(f.hi - f.lo + 1) << BigInt(f.lo);
      if (!(fm & bits)) continue;
      covered |= fm;
      out.push({ element: `${r.name}.${f.name}`, bare: hex((x & fm) >> BigInt(f.lo)), monitor: hex((y & fm) >> BigInt(f.lo)) });
    }
    if (bits & ~covered) out.push({ element: r.name, bare: hex(x), monitor: hex(y) });
  }
  for (const f of isa.files) {
    const fa = a.files[f.name] ?? [],
      fb = b.files[f.name] ?? [];
    for (let i = 0; i < f.count; i++) {
      const x = fa[i] ?? 0n,
        y = fb[i] ?? 0n;
      if (x !== y) out.push({ element: `${f.names[i] ?? `${f.name}[${i}]`}`, bare: hex(x), monitor: hex(y) });
    }
  }
  for (const m of isa.memories) {
    const ma = a.mem[m.name] ?? new Map<number, bigint>(),
      mb = b.mem[m.name] ?? new Map<number, bigint>();
    const addrs = [...new Set([...ma.keys(), ...mb.keys()])].sort((p, q) => p - q);
    for (const ad of addrs) {
      const x = ma.get(ad) ?? 0n,
        y = mb.get(ad) ?? 0n;
      if (x !== y) out.push({ element: `${m.name}[${hex(BigInt(ad))}]`, bare: hex(x), monitor: hex(y) });
      if (out.length >= limit) return out;
    }
  }
  return out.slice(0, limit);
}

/** One line in words: "EFLAGS.IF: bare machine 0x0, under the monitor 0x1". */
export function describeDiff(d: StateDiff, other = 'under the monitor'): string {
  return `${d.element}: bare machine ${d.bare}, ${other} ${d.monitor}`;
}

export interface Divergence {
  /** 1-based step after which the states first differ. */
  step: number;
  /** The instruction of that step (from the bare run's trace). */
  pc: string;
  instruction: string;
  differs: StateDiff[];
  /** How each run ended when they ended differently (e.g. one halted, one trapped). */
  outcomes?: { bare: string; monitor: string };
}

export interface Lockstep {
  divergence?: Divergence;
  bare: RunOutcome;
  monitor: RunOutcome;
}

function endText(o: RunOutcome | undefined): string {
  return o ? `${o.kind}: ${o.message}` : 'still running';
}

function instrText(isa: Isa, s: GuestSession, i: number): { pc: string; instruction: string } {
  const t = s.machine.trace[i];
  if (!t) return { pc: '?', instruction: '(no instruction: a trap or the end of the run)' };
  // In the spec's assembly syntax, as the guest's code listing shows it.
  return { pc: hex(t.pc), instruction: instructionText(isa, t) };
}

/**
 * Step two sessions of the same guest one instruction at a time (both need a trace of at least
 * `maxSteps`) and report the first step after which their guest states differ.
 */
export function lockstep(isa: Isa, bare: GuestSession, monitor: GuestSession, maxSteps: number): Lockstep {
  let ob: RunOutcome | undefined, om: RunOutcome | undefined;
  for (let step = 1; step <= maxSteps; step++) {
    const rb = bare.run(1);
    const rm = monitor.run(1);
    if (rb.kind !== 'budget') ob = rb;
    if (rm.kind !== 'budget') om = rm;
    // Registers alone when the storage is known equal (a snapshot of a megabyte memory per step
    // was most of the demo's time); the whole guest state otherwise, to name the differing words.
    const differs =
      bare.sameStorage(monitor) === true
        ? diffGuestStates(isa, bare.guestRegisters(), monitor.guestRegisters())
        : diffGuestStates(isa, bare.guestState(), monitor.guestState());
    const ended = (ob === undefined) !== (om === undefined) || (ob && om && ob.kind !== om.kind);
    if (differs.length > 0 || ended) {
      const at = instrText(isa, bare, step - 1);
      // Let both runs finish (within the budget) so the outcomes say where each one ended.
      const left = maxSteps - step;
      const fb = ob ?? finish(bare, left, maxSteps),
        fm = om ?? finish(monitor, left, maxSteps);
      return {
        divergence: { step, ...at, differs, outcomes: ended ? { bare: endText(ob), monitor: endText(om) } : undefined },
        bare: fb,
        monitor: fm,
      };
    }
    if (ob && om) return { bare: ob, monitor: om };
  }
  return { bare: ob ?? finish(bare, 0, maxSteps), monitor: om ?? finish(monitor, 0, maxSteps) };
}

/** Run the rest of the budget; a run still going says so (not as an endless loop). */
function finish(s: GuestSession, left: number, maxSteps: number): RunOutcome {
  const o = left > 0 ? s.run(left) : undefined;
  if (o && o.kind !== 'budget') return o;
  const pc = s.machine.pc;
  return { kind: 'budget', steps: maxSteps, message: `still running after ${maxSteps} steps (pc=${hex(pc)})` };
}
