// The monitors: a guest program run on the bare machine (`none`), under Popek and Goldberg's
// trap-and-emulate monitor (`trap`), under their hybrid monitor (`hybrid`, Theorem 3), or patched
// before it runs (`patched`).
//
// The monitor's three parts (P&G 1974, section 3):
// - the dispatcher: the machine's onTrap hook. It gets EVERY trap the guest raises (privilege,
//   illegal, memory, arithmetic, software, fetch faults) and decides by one rule, never by the
//   trap's kind: run the trapping instruction on the *virtual* machine — the guest's virtual mode,
//   the shadow control state, the guest's own storage as the virtual machine sees it. If the
//   virtual machine traps too, reflect that trap into the guest (the spec's trap entry on the
//   virtual state, as the bare machine takes it); otherwise emulate: the instruction's effect on the
//   virtual state is kept and the guest resumes. So an undefined-instruction trap for a system
//   instruction in real user mode (ARM, MIPS) is emulated, and a kernel-only address (MIPS kseg0)
//   that faults only because the guest kernel runs in real user mode is emulated too;
// - the interpreter routines: the trapping instruction's own compiled semantics run against the
//   virtual state (`Machine.executeAt`, the same semantics as interpret.ts `runSemantics`);
// - the allocator: where the guest's storage lies, which the monitor may arrange only with what
//   the spec gives it — its translations and its traps. A raw access (a physical `E[a]` outside
//   any view) is never remapped: the real machine has no such mechanism, and remapping it would
//   hide exactly the instructions that let a guest see the monitor's storage. Two placements:
//   * relocation (P&G's own machine): when every translation is a base-and-bound relocation
//     (`if a >= B { trap <memory> } return a + L`, L and B control elements) and code is fetched
//     through a view, the guest's storage is a window of host storage (default: the upper half) and
//     the real relocation register composes the guest's base with the allocation, as P&G's
//     allocator does: real L = guest L + window base, real B = the guest's bound clamped so that
//     no direct access leaves the window. Direct execution then sees host storage through the
//     spec's own translation; the monitor's accesses on the guest's behalf (emulation, reflection)
//     go through its software mapping of guest-physical words (Machine.setMonitorWindows). An
//     access the clamp cuts off traps, and the rule above lets the virtual machine decide it;
//   * identity (every other spec): the guest's storage is the whole specified storage, the real
//     control elements that translations read hold the guest's own values, and the monitor's own
//     storage lies outside the specified machine. (A table register the monitor owns, an IDTR,
//     then points into the guest's storage: an instruction that reads it without trapping sees the
//     guest's words at the monitor's address, a difference all the same, as on the real machine.)
//   A window at 0 over a whole memory is the identity; any other allocation on a spec without a
//   relocation to compose is refused (VmmError), never simulated behind the spec's back.
//
// The guest kernel runs in the spec's guest mode; the monitor keeps the virtual mode (the values
// of the mode elements the guest believes in) and a shadow of the control elements. Control
// elements the machine consults to keep the monitor in control (`ownableControl`: what the trap
// entry, timers and assumptions read — descriptor-table registers, the interrupt flag, the I/O
// privilege level...) hold the monitor's own values, those it booted with, as a real monitor that
// owns its IDT and GDT does, or the caller's (`monitorControl`); every other control element holds
// the guest's value (composed with the allocation under relocation), as the best monitor mirrors
// whatever it need not own — the correspondence the analysis decides the exact verdict under. The
// shadow is what the guest's trapping instructions and its trap entry see.
//
// Efficiency is counted, not assumed: `stats` says how many instructions ran directly, how many
// the monitor emulated (or, hybrid, interpreted), how many traps it reflected; with a trace,
// `events` says for every trap what the monitor did and why.
//
// Cost per trap: the machine calls the dispatcher from inside its compiled loop; the dispatcher
// reads and writes the mode and control elements straight in the machine's typed arrays
// (ElementBank), looks the mode up in a table (ModeTable), keeps the virtual state in arrays it
// reuses, and emulates with `Machine.executeAt`: nothing is allocated for a trap that the guest
// survives (events are recorded only with a trace).

import type { Isa } from '../ir/index.js';
import type { PrivilegedInstance } from './patch.js';
import { patchProgram, type PatchSite } from './patch.js';
import {
  type ConcreteState,
  createMachine,
  EXEC_DONE,
  EXEC_FETCH_TRAP,
  EXEC_HALT,
  EXEC_ILLEGAL,
  EXEC_TRAP,
  MachineError,
  timeLimitMessage,
  type DecodeResult,
  type Machine,
  type MemoryWindow,
  type RunOutcome,
  type TraceEntry,
  translateAddress,
} from '../exec/index.js';
import { type Program, programImage } from '../asm/index.js';
import {
  assumptionsHold,
  ElementBank,
  elementsOfRole,
  exprReads,
  modeAssignment,
  ModeTable,
  modeRank,
  ownedControlDefaults,
  readElement,
  writeElement,
  type Element,
  type Val,
} from './elements.js';
import { composeRelocation, defaultWindows, relocations, type ControlPart, type Relocation } from './placement.js';
import { isaIndex } from '../ir/index.js';

export type MonitorKind = 'none' | 'trap' | 'hybrid' | 'patched';
export const MONITORS: readonly MonitorKind[] = ['none', 'trap', 'hybrid', 'patched'];

/** A problem with the guest or the configuration that the user can fix (a message, not a crash). */
export class VmmError extends Error {}

export interface MonitorStats {
  /** Guest instructions attempted (what the step budget counts). */
  steps: number;
  /** Instructions the machine completed directly. */
  direct: number;
  /** Instructions the monitor ran on the guest's behalf (emulated or interpreted). */
  emulated: number;
  /** Traps raised (into the monitor, or natively into the guest's handler). */
  traps: number;
  /** Traps the monitor passed on to the guest's own handler. */
  reflected: number;
}

/** What the monitor did with one trap (recorded with a trace): the real trap, and either the
 *  emulation (the virtual machine does not trap) or the reflection (it does, `reflected` says
 *  with which trap), with the reason in words. */
export interface MonitorEvent {
  /** The guest step (1-based, as the trace counts them) the trap interrupted. */
  step: number;
  /** The pc of the instruction that trapped (or was interpreted). */
  pc: bigint;
  /** The real machine's trap ('' for an instruction the hybrid monitor interprets). */
  trap: string;
  action: 'emulated' | 'reflected' | 'interpreted';
  /** The trap the virtual machine raised, reflected into the guest. */
  reflected?: string;
  /** The virtual mode the instruction ran in. */
  mode: string | undefined;
  reason: string;
}

/** How the monitor placed the guest's storage (monitor.ts header). */
export type Placement = { kind: 'none' } | { kind: 'identity' } | { kind: 'relocation'; windows: MemoryWindow[]; registers: { base: string; bound: string }[] };

export interface GuestOptions {
  /** Step budget (default 1,000,000). */
  maxSteps?: number;
  /** Wall-clock limit of the session's runs, milliseconds from its first run (default none). */
  timeLimitMs?: number;
  /** Record up to this many steps. */
  trace?: number;
  /** The guest's allocation under relocation (default: the upper half of every memory a view
   *  shows). A spec whose translations the monitor cannot compose takes only the identity (a
   *  window at 0 covering the whole memory, or none). */
  allocation?: MemoryWindow[];
  /** Values the monitor keeps in the real control elements while the guest runs (by element
   *  name, "GDTR", "EFLAGS.IF"), over the defaults below; the guest's own values live in the shadow. */
  monitorControl?: Record<string, bigint>;
  /** Does the monitor keep its own values (those it booted with) in the control elements it can
   *  own (`ownableControl`: descriptor-table registers, interrupt flag...)? Default true; false
   *  passes the guest's values through to the real machine (only `monitorControl` is kept). */
  ownControl?: boolean;
  /** patched: the instructions to patch (sensitive and not privileged). */
  offenders?: readonly string[];
  /** patched: instructions that trap in the guest mode, for specs without an illegal trap. */
  privileged?: readonly (string | PrivilegedInstance)[];
  memoryCap?: number;
}

/** What the guest starts from: an assembled program (after reset), or a whole guest-visible state
 *  (optionally with a program written over it, whose entry becomes the pc). */
export type GuestImage = { program: Program } | { state: ConcreteState; program?: Program };

export interface GuestRun {
  monitor: MonitorKind;
  outcome: RunOutcome;
  /** The state the guest sees: virtual mode and control, its memory from its allocation. */
  guestState: ConcreteState;
  /** The virtual mode at the end (for `none`: the machine's mode). */
  mode: string | undefined;
  trace?: TraceEntry[];
  /** With a trace: every trap and what the monitor did with it (up to the trace limit). */
  events?: MonitorEvent[];
  stats: MonitorStats;
  allocation: MemoryWindow[];
  placement: Placement;
  patches: PatchSite[];
  /** The guest's console output: the bytes it stored at its console address (`console`). */
  output: Uint8Array;
}

export const DEFAULT_GUEST_STEPS = 1_000_000;

/** Thrown from the trap hook to end `Machine.run()`: the guest halted or a trap could not be taken. */
class Stop {
  constructor(readonly outcome: RunOutcome) {}
}
/** Thrown from the hybrid monitor's hook when the virtual mode becomes privileged: interpret now. */
class Switch {}

const hex = (v: bigint | number) => '0x' + BigInt(v).toString(16);

/** The control elements the monitor composes with its allocation under the default placement
 *  (P&G's R): the monitor cannot also keep values of its own choosing in them. */
export function composedControl(isa: Isa): string[] {
  const ctl = elementsOfRole(isa, 'control');
  const r = relocations(isa, ctl);
  if (!r || defaultWindows(isa, r).length === 0) return [];
  return [...new Set(r.flatMap((x) => [ctl[x.base.el]!.name, ctl[x.bound.el]!.name]))];
}

/** The default allocation: under relocation, the upper half of every memory a view shows (the
 *  monitor keeps the lower); otherwise none (the guest has the whole storage). */
export function defaultAllocation(isa: Isa): MemoryWindow[] {
  const r = relocations(isa, elementsOfRole(isa, 'control'));
  return r ? defaultWindows(isa, r) : [];
}

/** The words the monitor keeps in its own memory (outside every allocation), so that a test can
 *  see they are never touched. */
function monitorWord(i: number): bigint {
  return BigInt((i * 0x9e3779b1 + 0x5a) >>> 0) | 1n;
}

/** A guest on a machine, under one monitor; `run` may be called repeatedly (the demo steps it). */
export class GuestSession {
  readonly machine: Machine;
  readonly stats: MonitorStats = { steps: 0, direct: 0, emulated: 0, traps: 0, reflected: 0 };
  readonly allocation: MemoryWindow[];
  readonly placement: Placement;
  readonly patches: PatchSite[] = [];
  /** With a trace: what the monitor did with each trap. */
  readonly events: MonitorEvent[] = [];
  private readonly virt: boolean;
  /** The relocations composed with the allocation (empty: identity placement). */
  private readonly relocs: (Relocation & { window: MemoryWindow })[] = [];
  /** The last reflected trap (for the step-budget message). */
  private lastReflect: { trap: number; pc: Val } | undefined;
  private readonly modeEls: Element[];
  private readonly ctlEls: Element[];
  private readonly modeBank: ElementBank;
  private readonly ctlBank: ElementBank;
  private readonly modes: ModeTable;
  /** The virtual mode and control (what the guest believes), and what install() put in the real
   *  machine; arrays reused for the whole session. */
  private readonly vmode: Val[];
  private readonly vctl: Val[];
  private readonly putMode: Val[];
  private readonly putCtl: Val[];
  /** Ranks (ModeTable) of vmode and putMode, kept up to date with them. */
  private vrank = 0;
  private putRank = 0;
  /** Values of the mode elements that give the guest mode (found on first need). */
  private guestAssignment: Val[] | undefined;
  private guestAssignmentRank = 0;
  /** The control values install() writes (scratch). */
  private readonly realCtl: Val[];
  /** Must install() read the elements back (overlapping elements, assumptions to keep)? */
  private readonly readBack: boolean;
  /** The real mode and control elements hold exactly the virtual values (install() found so). */
  private installedVirtual = false;
  private readonly own: (Val | undefined)[];
  private readonly ownGiven: (bigint | undefined)[];
  /** Per trap index: of kind privilege / interrupt. */
  private readonly privilegeTrap: boolean[];
  private readonly interruptTrap: boolean[];
  private readonly illegalTrap: number;
  private readonly sites = new Map<bigint, PatchSite>();
  private interpreted = 0;
  private interpTraps = 0;
  private finished: RunOutcome | undefined;
  private readonly guestRank: number;
  private readonly traceLimit: number;

  constructor(
    readonly isa: Isa,
    readonly kind: MonitorKind,
    image: GuestImage,
    private readonly opts: GuestOptions = {},
  ) {
    this.virt = kind !== 'none';
    this.modeEls = elementsOfRole(isa, 'mode');
    this.ctlEls = elementsOfRole(isa, 'control');
    this.guestRank = modeRank(isa, isa.guestMode);
    this.traceLimit = Math.max(0, opts.trace ?? 0);
    const given = opts.monitorControl ?? {};
    for (const k of Object.keys(given)) {
      if (!this.ctlEls.some((e) => e.name === k)) throw new VmmError(`monitorControl: ${k} is not a control element of ${isa.name}`);
    }
    const own = { ...(this.virt && opts.ownControl !== false ? ownedControlDefaults(isa) : {}), ...given };
    this.ownGiven = this.ctlEls.map((e) => own[e.name]);
    this.privilegeTrap = isa.traps.map((t) => t.kind === 'privilege');
    this.interruptTrap = isa.traps.map((t) => t.kind === 'interrupt');
    this.illegalTrap = isa.traps.findIndex((t) => t.kind === 'illegal');
    this.allocation = [];
    this.placement = { kind: this.virt ? 'identity' : 'none' };
    if (this.virt) {
      const relocs = relocations(isa, this.ctlEls);
      const asked = opts.allocation ?? (relocs ? defaultWindows(isa, relocs) : []);
      for (const w of asked) {
        const m = isaIndex(isa).memories.get(w.memory);
        if (!m) throw new VmmError(`allocation: no memory ${w.memory} in ${isa.name}`);
        if (!(w.size > 0 && w.base >= 0 && w.base + w.size <= m.size))
          throw new VmmError(`allocation of ${w.memory}: [${w.base}, ${w.base + w.size}) is not inside its ${m.size} words`);
      }
      // A window at 0 over the whole memory places nothing: that is the identity.
      const placed = asked.filter((w) => !(w.base === 0 && w.size === isaIndex(isa).memories.get(w.memory)!.size));
      if (placed.length > 0) {
        if (!relocs) {
          throw new VmmError(
            `allocation: the monitor may place a guest only through the spec's translations, and ${isa.name}'s are not base-and-bound relocations it can compose with an allocation (the guest gets the whole storage)`,
          );
        }
        for (const r of relocs) {
          const window = placed.find((w) => w.memory === r.memory);
          if (!window) throw new VmmError(`allocation: memory ${r.memory} is relocated by ${r.translation} and needs a window too`);
          this.relocs.push({ ...r, window });
        }
        const composed = new Set(this.relocs.flatMap((r) => [this.ctlEls[r.base.el]!.name, this.ctlEls[r.bound.el]!.name]));
        const clash = Object.keys(given).filter((k) => composed.has(k));
        if (clash.length) {
          throw new VmmError(
            `monitorControl: ${clash.join(', ')} ${clash.length === 1 ? 'is' : 'are'} the relocation the monitor composes from the guest's own and its allocation; it cannot also keep a value of its choosing there`,
          );
        }
        this.allocation = placed.map((w) => ({ ...w }));
        this.placement = {
          kind: 'relocation',
          windows: this.allocation.map((w) => ({ ...w })),
          registers: this.relocs.map((r) => ({ base: r.base.name, bound: r.bound.name })),
        };
      }
    }
    try {
      this.machine = createMachine(isa, {
        onTrapIndex: this.virt ? this.dispatch : undefined,
        trace: this.traceLimit,
        memoryCap: opts.memoryCap,
        timeLimitMs: opts.timeLimitMs,
      });
      // Emulation and reflection reach the guest's storage through the monitor's own mapping;
      // direct execution sees host storage through the spec's translations only.
      if (this.allocation.length) this.machine.setMonitorWindows(this.allocation);
      // The guest's console is at its own address: in its allocation when one is placed.
      const consoleWindow = this.allocation.find((w) => w.memory === isa.console?.space);
      if (consoleWindow) this.machine.setConsoleBase(consoleWindow.base);
    } catch (e) {
      if (e instanceof MachineError) throw new VmmError(e.message);
      throw e;
    }
    if (this.virt && this.traceLimit > 0) this.machine.traceFallback = this.traceVirtual;
    this.modeBank = new ElementBank(this.machine, this.modeEls);
    this.ctlBank = new ElementBank(this.machine, this.ctlEls);
    this.modes = new ModeTable(isa, this.modeEls);
    this.own = this.ownGiven.map((v, i) => (v === undefined ? undefined : this.ctlBank.valueOf(i, v)));
    this.vmode = new Array<Val>(this.modeEls.length).fill(0);
    this.putMode = new Array<Val>(this.modeEls.length).fill(0);
    this.vctl = new Array<Val>(this.ctlEls.length).fill(0);
    this.putCtl = new Array<Val>(this.ctlEls.length).fill(0);
    this.realCtl = new Array<Val>(this.ctlEls.length).fill(0);
    this.readBack = this.isa.assumptions.length > 0 || this.modeBank.overlaps(this.ctlBank);
    if (kind === 'patched' && image.program) {
      const p = patchProgram(isa, image.program, opts.offenders ?? [], opts.privileged ?? []);
      if (p.problems.length) throw new VmmError(p.problems.join('\n'));
      this.patches.push(...p.sites);
      for (const s of p.sites) this.sites.set(BigInt(s.address), s);
      image = { ...image, program: p.program };
    }
    this.load(image);
    if (this.virt) {
      // The guest starts in whatever mode its image says (after reset: the most privileged one):
      // that becomes the virtual mode, and the real machine drops to the guest mode.
      this.modeBank.readAll(this.vmode);
      this.ctlBank.readAll(this.vctl);
      this.install();
    }
  }

  // ---- loading ----

  private windowOf(memory: string): MemoryWindow | undefined {
    return this.allocation.find((w) => w.memory === memory);
  }

  /** Host address of a guest-physical word (throws a VmmError outside the allocation). */
  private hostAddr(memory: string, a: number): number {
    const w = this.windowOf(memory);
    if (!w) return a;
    if (a >= w.size) throw new VmmError(`guest word ${memory}[${hex(a)}] lies outside the guest's allocation of ${hex(w.size)} words`);
    return w.base + a;
  }

  /** Replace the machine's whole state by `s` (host addresses), element by element. (Not
   *  Machine.restore: it cannot clear memories of more than 32-bit words, see the report.) */
  private overwrite(s: ConcreteState): void {
    const m = this.machine;
    const now = m.snapshot();
    for (const r of this.isa.registers) m.writeReg(r.name, s.regs[r.name] ?? 0n);
    for (const f of this.isa.files) for (let i = 0; i < f.count; i++) m.writeFile(f.name, i, s.files[f.name]?.[i] ?? 0n);
    for (const mem of this.isa.memories) {
      for (const a of now.mem[mem.name]?.keys() ?? []) m.writeMem(mem.name, a, 0n);
      for (const [a, v] of s.mem[mem.name] ?? []) {
        if (!Number.isInteger(a) || a < 0 || a >= mem.size) throw new VmmError(`memory ${mem.name}: address ${a} is outside it`);
        m.writeMem(mem.name, a, v);
      }
    }
  }

  private load(image: GuestImage): void {
    const m = this.machine;
    if ('state' in image) {
      const s = image.state;
      const mem: ConcreteState['mem'] = {};
      for (const [name, words] of Object.entries(s.mem)) {
        const out = new Map<number, bigint>();
        for (const [a, v] of words) out.set(this.hostAddr(name, a), v);
        mem[name] = out;
      }
      this.overwrite({ regs: s.regs, files: s.files, mem });
    }
    if (image.program) {
      const img = programImage(this.isa, image.program);
      for (const [a, w] of img.words) m.writeMem(img.memory, this.hostAddr(img.memory, a), w);
      m.pc = BigInt(image.program.entry);
    }
    // The monitor's own memory: a few words below and above each allocation.
    for (const w of this.allocation) {
      const size = isaIndex(this.isa).memories.get(w.memory)!.size;
      for (let i = 0; i < Math.min(64, w.base); i++) m.writeMem(w.memory, i, monitorWord(i));
      for (let i = w.base + w.size; i < Math.min(size, w.base + w.size + 64); i++) m.writeMem(w.memory, i, monitorWord(i));
    }
  }

  // ---- the virtual state ----

  /** The guest's (virtual) mode. */
  get virtualMode(): string | undefined {
    if (!this.virt) {
      const vals: Val[] = [];
      this.modeBank.readAll(vals);
      return this.modes.name(vals);
    }
    this.sync();
    return this.modes.name(this.vmode);
  }

  /** Is the guest running with less privilege than it believes it has? */
  private deprivileged(): boolean {
    return this.vrank < this.putRank;
  }

  /** Put the real machine in its running configuration for the current virtual state: a virtual
   *  mode more privileged than the guest mode runs in the guest mode; control elements hold the
   *  guest's values unless the monitor keeps its own, then the spec's assumptions are restored. */
  private install(): void {
    const vrank = this.modes.rank(this.vmode);
    let real = this.vmode,
      realRank = vrank;
    if (vrank < this.guestRank) {
      if (!this.guestAssignment) {
        const a = modeAssignment(this.isa, this.isa.guestMode);
        if (!a) throw new VmmError(`no values of the mode elements put the machine in its guest mode ${this.isa.guestMode}`);
        this.guestAssignment = a.map((v, i) => this.modeBank.valueOf(i, v));
        this.guestAssignmentRank = this.modes.rank(this.guestAssignment);
      }
      real = this.guestAssignment;
      realRank = this.guestAssignmentRank;
    }
    const realCtl = this.realCtl;
    for (let i = 0; i < realCtl.length; i++) realCtl[i] = this.own[i] ?? this.vctl[i]!;
    for (const r of this.relocs) {
      // P&G's allocator: the real relocation register composes the guest's with the allocation.
      const c = composeRelocation(getPart(this.vctl, r.base), getPart(this.vctl, r.bound), r.window, r.base.width, r.resultWidth);
      setPart(realCtl, r.base, c.base, this.ctlBank);
      setPart(realCtl, r.bound, c.bound, this.ctlBank);
    }
    this.modeBank.writeAll(real);
    this.ctlBank.writeAll(realCtl);
    this.vrank = vrank;
    if (this.readBack) {
      // Elements that overlap (a mode field inside a control register) or the assumptions kept
      // below may leave other values than those written.
      if (this.isa.assumptions.length) this.keepAssumptions();
      this.modeBank.readAll(this.putMode);
      this.ctlBank.readAll(this.putCtl);
      this.putRank = this.modes.rank(this.putMode);
      this.installedVirtual = false;
      return;
    }
    let same = real === this.vmode;
    for (let i = 0; i < real.length; i++) this.putMode[i] = real[i]!;
    for (let i = 0; i < realCtl.length; i++) {
      const v = (this.putCtl[i] = realCtl[i]!);
      if (v !== this.vctl[i]) same = false;
    }
    this.putRank = realRank;
    this.installedVirtual = same;
  }

  private registerState(): ConcreteState {
    const regs: Record<string, bigint> = {};
    for (const r of this.isa.registers) regs[r.name] = this.machine.readReg(r.name);
    const files: Record<string, bigint[]> = {};
    for (const f of this.isa.files) files[f.name] = Array.from({ length: f.count }, (_, i) => this.machine.readFile(f.name, i));
    return { regs, files, mem: {} };
  }

  /** The monitor keeps the spec's `assume` invariants in the real state (x86: IOPL below the guest's
   *  CPL): when one fails, the smallest values of the control elements it reads that satisfy them all. */
  private keepAssumptions(): void {
    const m = this.machine;
    if (assumptionsHold(this.isa, this.registerState())) return;
    const reads = new Set<string>();
    for (const a of this.isa.assumptions) exprReads(a.holds, reads);
    const els = this.ctlEls.filter((e) => reads.has(e.name) || (e.k !== 'file' && reads.has(e.reg)));
    const bits = els.reduce((n, e) => n + e.width, 0);
    if (els.length === 0 || bits > 12) return;
    const saved = els.map((e) => readElement(m, e));
    for (let code = 0n; code < 1n << BigInt(bits); code++) {
      let rest = code;
      for (const e of els) {
        writeElement(m, e, rest & ((1n << BigInt(e.width)) - 1n));
        rest >>= BigInt(e.width);
      }
      if (assumptionsHold(this.isa, this.registerState())) return;
    }
    els.forEach((e, i) => writeElement(m, e, saved[i]!));
  }

  /** The guest changed a mode or control element directly (no trap): that is now its value. */
  private sync(): void {
    if (!this.virt) return;
    const ctlChanged = this.ctlBank.sync(this.putCtl, this.vctl);
    if (this.modeBank.sync(this.putMode, this.vmode) !== 0) {
      this.vrank = this.modes.rank(this.vmode);
      this.putRank = this.modes.rank(this.putMode);
    }
    // A relocation register the guest wrote directly is its own value: compose it again.
    if (ctlChanged !== 0 && this.relocs.length) this.install();
  }

  /** Substitute the virtual mode and control into the machine (for emulation and reflection). */
  private enter(): void {
    // Nothing to substitute when the machine already holds the virtual values (sync keeps the two
    // equal: it sets both from what the guest wrote).
    if (this.installedVirtual) return;
    this.modeBank.writeAll(this.vmode);
    this.ctlBank.writeAll(this.vctl);
  }

  /** Take the virtual mode and control back from the machine and reinstall the real ones. */
  private leave(): void {
    this.modeBank.readAll(this.vmode);
    this.ctlBank.readAll(this.vctl);
    this.install();
  }

  // ---- the dispatcher and the interpreter routines ----

  /** The dispatcher: the machine calls it for every trap, from inside its run loop, with the trap's
   *  index and the return pc as the machine holds it. One rule for every kind of trap: run the
   *  instruction on the virtual machine; its trap is reflected, its success emulated. */
  private readonly dispatch = (t: number, ret: Val): boolean => {
    const m = this.machine;
    this.sync();
    // Any trap at a patch site but an interrupt comes from the patch word, never from the original
    // (which does not run): usually its undefined opcode, but fetching it may fault first (x86: an
    // opcode byte that asks for more bytes than the code segment's limit allows).
    const site = this.sites.size && !this.interruptTrap[t] ? this.siteAt(BigInt(ret)) : undefined;
    if (site) {
      const returnPc = BigInt(ret);
      // The trace shows the original, not the patch word (which decodes to nothing, or to the
      // privileged instruction patched in).
      const shown = { pc: returnPc, mnemonic: site.mnemonic, operands: site.operands };
      const last = m.trace[m.trace.length - 1];
      if (last && last.pc === returnPc && this.privilegeTrap[t]) m.trace[m.trace.length - 1] = shown;
      else if (m.trace.length < this.traceLimit) m.trace.push(shown);
      this.enter();
      this.emulateEntered(this.decodedSite(site, returnPc), t);
      return true;
    }
    if (this.interruptTrap[t]) {
      // Asynchronous: no instruction to run again. The virtual machine takes it as the bare one.
      this.enter();
      this.note(t, ret, 'reflected', t, 'an interrupt: the guest takes it as the bare machine would');
      this.reflect(t, ret);
    } else {
      const pc = m.trapPc;
      this.enter();
      this.onVirtual(t, pc, m.executeAt(pc));
    }
    if (this.kind === 'hybrid' && this.deprivileged()) throw new Switch();
    return true;
  };

  /** The trace's view of an instruction the real machine cannot fetch: as the virtual machine
   *  fetches it (the real state put back afterwards; decoding writes nothing). */
  private readonly traceVirtual = (pc: bigint): TraceEntry | undefined => {
    this.sync();
    this.enter();
    const d = this.machine.decodeAt(pc, true);
    this.install();
    return d.kind === 'instr' ? { pc: d.pc, mnemonic: d.instr.mnemonic, operands: d.operands } : undefined;
  };

  /** Record what the monitor did (only with a trace, up to its limit). */
  private note(t: number, pc: Val, action: MonitorEvent['action'], reflected: number | undefined, reason: string): void {
    if (this.traceLimit === 0 || this.events.length >= this.traceLimit) return;
    this.events.push({
      step: this.machine.counters.steps + this.interpreted + 1,
      pc: BigInt(pc),
      trap: t >= 0 ? this.isa.traps[t]!.name : '',
      action,
      reflected: reflected === undefined ? undefined : this.isa.traps[reflected]!.name,
      mode: this.modes.name(this.vmode),
      reason,
    });
  }

  /** What follows running the instruction at `pc` on the virtual machine (`executeAt`'s status),
   *  for the real trap `t` (-1: the hybrid monitor interprets it, no real trap). */
  private onVirtual(t: number, pc: Val, st: number): void {
    const m = this.machine;
    // Events (and their words) only with a trace: an untraced trap allocates nothing.
    const rec = this.traceLimit > 0 && this.events.length < this.traceLimit;
    switch (st) {
      case EXEC_DONE:
        this.stats.emulated++;
        if (rec) this.note(t, pc, t >= 0 ? 'emulated' : 'interpreted', undefined, this.reason(t, st, -1));
        this.leave();
        return;
      case EXEC_HALT:
        if (rec) this.note(t, pc, t >= 0 ? 'emulated' : 'interpreted', undefined, this.reason(t, st, -1));
        return this.emulatedHalt(BigInt(pc), this.isa.instructions[m.execIndex]!.mnemonic);
      case EXEC_TRAP:
      case EXEC_FETCH_TRAP: {
        const vt = m.execTrap;
        const ret = st === EXEC_TRAP ? m.execReturnPc : pc;
        if (t < 0) this.interpTraps++;
        if (rec) this.note(t, pc, 'reflected', vt, this.reason(t, st, vt));
        return this.reflect(vt, ret, pc);
      }
      case EXEC_ILLEGAL:
        if (this.illegalTrap < 0) {
          this.leave();
          throw new Stop({ kind: 'illegal', steps: 0, pc: BigInt(pc), message: `illegal instruction at pc=${hex(pc)}: no encoding matches` });
        }
        if (t < 0) this.interpTraps++;
        if (rec) this.note(t, pc, 'reflected', this.illegalTrap, this.reason(t, st, this.illegalTrap));
        return this.reflect(this.illegalTrap, pc);
      default:
        throw new Error(`internal: unknown execution status ${st}`);
    }
  }

  /** The monitor's reason in words: the real trap `t` (-1: the hybrid monitor interprets), what
   *  the virtual machine did (`executeAt`'s status), the trap it raised (`vt`). Called before
   *  leave(), so vmode is still the mode the instruction ran in. */
  private reason(t: number, st: number, vt: number): string {
    const mode = this.modes.name(this.vmode) ?? '?';
    if (t < 0 && (st === EXEC_DONE || st === EXEC_HALT))
      return `virtual mode ${mode}: the hybrid monitor runs no instruction of a privileged virtual mode directly`;
    const why = t >= 0 ? `${this.isa.traps[t]!.name} in the real ${this.isa.guestMode} mode` : `interpreted in virtual mode ${mode}`;
    // The action ("emulated", "reflected") is printed before the reason: the reason says why.
    switch (st) {
      case EXEC_DONE:
        return `${why}; the virtual machine (${mode}) would not trap, so the monitor does what it would do`;
      case EXEC_HALT:
        return `${why}; the virtual machine (${mode}) would halt`;
      case EXEC_TRAP:
        return `${why}; the virtual machine (${mode}) traps too (${this.isa.traps[vt]!.name}), so the guest's own handler runs`;
      case EXEC_FETCH_TRAP:
        return `${why}; the virtual machine (${mode}) faults fetching it (${this.isa.traps[vt]!.name}), so the guest's own handler runs`;
      default:
        return `${why}; no encoding matches on the virtual machine either, so the guest's own handler runs`;
    }
  }

  /** The patch site a trapping pc stands on: sites are at the program's addresses in the fetch
   *  memory; a pc seen through a translation (x86: an offset in the code segment) is translated
   *  with the machine's current registers. */
  private siteAt(pc: bigint): PatchSite | undefined {
    const direct = this.sites.get(pc);
    if (direct || !this.isa.views.some((v) => v.name === this.isa.fetch.space)) return direct;
    const t = translateAddress(this.isa, this.registerState(), this.isa.fetch.space, pc);
    return 'addr' in t ? this.sites.get(BigInt(t.addr)) : undefined;
  }

  private decodedSite(s: PatchSite, pc: bigint): Extract<DecodeResult, { kind: 'instr' }> {
    const index = this.isa.instructions.findIndex((i) => i.mnemonic === s.mnemonic);
    const pcWidth = isaIndex(this.isa).registers.get(this.isa.fetch.pc)!.width;
    return {
      kind: 'instr',
      instr: this.isa.instructions[index]!,
      index,
      operands: s.operands,
      length: s.length,
      pc,
      nextPc: (pc + BigInt(s.length)) & ((1n << BigInt(pcWidth)) - 1n),
    };
  }

  /** A patch site: run the original instruction against the virtual state (already entered). */
  private emulateEntered(d: Extract<DecodeResult, { kind: 'instr' }>, t: number): void {
    const rec = this.traceLimit > 0 && this.events.length < this.traceLimit;
    const mode = rec ? (this.modes.name(this.vmode) ?? '?') : '';
    const r = this.machine.execute(d);
    if (r.kind === 'done') {
      this.stats.emulated++;
      if (rec) this.note(t, d.pc, 'emulated', undefined, `patched ${d.instr.mnemonic}: the monitor emulates the original on the virtual machine (${mode})`);
      this.leave();
      return;
    }
    if (r.kind === 'halt') return this.emulatedHalt(d.pc, d.instr.mnemonic);
    this.interpTraps++;
    const vt = this.machine.layout.traps.get(r.trap)!;
    if (rec) this.note(t, d.pc, 'reflected', vt, `patched ${d.instr.mnemonic}: the original traps on the virtual machine (${mode}): reflected into the guest`);
    this.reflect(vt, r.returnPc, d.pc);
  }

  private emulatedHalt(pc: bigint, mnemonic: string): never {
    this.stats.emulated++;
    this.leave();
    this.machine.halted = true;
    throw new Stop({ kind: 'halted', steps: 0, pc, message: `halted at pc=${hex(pc)} (${mnemonic}, emulated by the monitor)` });
  }

  /** Run the spec's trap entry (trap index `t`) against the virtual state (already entered): the
   *  guest's own handler. */
  private reflect(t: number, returnPc: Val, pc: Val = returnPc): void {
    this.stats.reflected++;
    this.lastReflect = { trap: t, pc };
    const out = this.machine.takeTrapIndex(t, returnPc);
    this.leave();
    if (out) throw new Stop(out);
  }

  /** Hybrid monitor: one instruction interpreted against the virtual state. */
  private interpretOne(): void {
    const m = this.machine;
    this.enter();
    const pc = m.pcValue();
    if (m.trace.length < this.traceLimit) {
      const d = m.decodeAt(BigInt(pc), true);
      if (d.kind === 'instr') m.trace.push({ pc: d.pc, mnemonic: d.instr.mnemonic, operands: d.operands });
    }
    // Counted once it ran (a halt ends the run from inside), so events name this step.
    try {
      this.onVirtual(-1, pc, m.executeAt(pc));
    } finally {
      this.interpreted++;
    }
  }

  // ---- running ----

  private totalSteps(): number {
    return this.machine.counters.steps + this.interpreted;
  }

  private updateStats(): void {
    const c = this.machine.counters;
    this.stats.steps = this.totalSteps();
    this.stats.direct = c.instructions;
    this.stats.traps = c.traps + this.interpTraps;
  }

  /** Run up to `maxSteps` more guest instructions (default: the session's budget). */
  run(maxSteps = this.opts.maxSteps ?? DEFAULT_GUEST_STEPS): RunOutcome {
    if (this.finished) return this.finished;
    const start = this.totalSteps();
    const reflectedBefore = this.stats.reflected;
    const m = this.machine;
    const done = (o: RunOutcome): RunOutcome => {
      this.updateStats();
      const out = { ...o, steps: this.totalSteps() } as RunOutcome;
      if (out.kind !== 'budget' && out.kind !== 'time') this.finished = out;
      return out;
    };
    for (;;) {
      const left = maxSteps - (this.totalSteps() - start);
      if (left <= 0) return done({ kind: 'budget', steps: 0, message: this.budgetMessage(maxSteps, reflectedBefore) });
      try {
        if (this.kind === 'hybrid' && this.deprivileged()) {
          // Interpreted one at a time, outside the machine's run: the clock is read here.
          if (m.timeUp()) return this.timeOutcome();
          this.interpretOne();
          continue;
        }
        const out = m.run({ maxSteps: left });
        if (out.kind === 'budget') continue;
        if (out.kind === 'time') return this.timeOutcome();
        return done(out);
      } catch (e) {
        if (e instanceof Stop) return done(e.outcome);
        if (e instanceof Switch) continue;
        throw e;
      }
    }
  }

  /** The time limit's outcome, counting the session's steps (the machine's and the interpreted). */
  private timeOutcome(): RunOutcome {
    this.updateStats();
    const steps = this.totalSteps(),
      limitMs = this.opts.timeLimitMs!,
      pc = this.machine.pc;
    return { kind: 'time', steps, pc, limitMs, message: timeLimitMessage(limitMs, pc, steps) };
  }

  /** Why the budget ran out: under a monitor that reflected traps in most of those steps, a loop of
   *  reflected traps (the guest's handler faults again), which a larger budget would not end. */
  private budgetMessage(maxSteps: number, reflectedBefore: number): string {
    const pc = hex(this.machine.pc);
    const k = this.stats.reflected - reflectedBefore;
    const last = this.lastReflect;
    if (k > 0 && last && 4 * k >= maxSteps) {
      return (
        `stopped after the step budget of ${maxSteps} instructions at pc=${pc}: the monitor reflected ${k} traps into the guest in them, ` +
        `the last (${this.isa.traps[last.trap]!.name}) at pc=${hex(last.pc)}: a loop of reflected traps (the guest's handler traps again), not a computation a larger budget would finish`
      );
    }
    const note = k > 0 ? `; the monitor reflected ${k} traps` : '';
    return `stopped after the step budget of ${maxSteps} instructions at pc=${pc}${note} (an endless loop? raise the budget with --max-steps)`;
  }

  /** What the guest sees now: the virtual mode and control state, its memory from its allocation. */
  /** The registers and register files the guest sees (virtual mode and control), no memory: what
   *  a step-by-step comparison needs when the storage is known to be equal (`sameStorage`). */
  guestRegisters(): ConcreteState {
    this.sync();
    const st = this.registerState();
    if (!this.virt) return st;
    this.modeEls.forEach((e, i) => writeGuest(st, e, BigInt(this.vmode[i]!)));
    this.ctlEls.forEach((e, i) => writeGuest(st, e, BigInt(this.vctl[i]!)));
    return st;
  }

  /** Does the guest see, word for word, the same storage as `other`'s guest? Undefined when that
   *  is not a plain comparison of the two machines' memories (a placement window or patch sites:
   *  the guest's words are then not the machine's). Cheap: no snapshot. */
  sameStorage(other: GuestSession): boolean | undefined {
    if (other.isa !== this.isa || this.allocation.length || other.allocation.length || this.patches.length || other.patches.length) return undefined;
    const a = this.machine.mems,
      b = other.machine.mems;
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!,
        y = b[i]!;
      // The typed arrays' bytes, compared natively (a megabyte per lockstep step otherwise).
      if (!Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength))) return false;
    }
    return true;
  }

  guestState(): ConcreteState {
    this.sync();
    const s = this.machine.snapshot();
    if (!this.virt) return s;
    const regs = { ...s.regs };
    const files: ConcreteState['files'] = { ...s.files };
    const st: ConcreteState = { regs, files, mem: s.mem };
    this.modeEls.forEach((e, i) => writeGuest(st, e, BigInt(this.vmode[i]!)));
    this.ctlEls.forEach((e, i) => writeGuest(st, e, BigInt(this.vctl[i]!)));
    for (const w of this.allocation) {
      const host = s.mem[w.memory] ?? new Map<number, bigint>();
      const g = new Map<number, bigint>();
      for (const [a, v] of host) if (a >= w.base && a < w.base + w.size) g.set(a - w.base, v);
      st.mem[w.memory] = g;
    }
    if (this.patches.length) {
      // The side table holds what the guest wrote there: the guest is shown its own words (a
      // patched word the guest has since overwritten is the guest's, and stays).
      const img = programImage(this.isa, { segments: [], entry: 0, symbols: {}, labels: {}, lines: [], file: '' }).memory;
      const g = (st.mem[img] = new Map(st.mem[img] ?? []));
      for (const p of this.patches) {
        p.patched.forEach((w, i) => {
          const a = p.address + i;
          if ((g.get(a) ?? 0n) !== w) return;
          if (p.original[i] === 0n) g.delete(a);
          else g.set(a, p.original[i]!);
        });
      }
    }
    return st;
  }

  result(outcome: RunOutcome): GuestRun {
    this.updateStats();
    return {
      monitor: this.kind,
      outcome,
      guestState: this.guestState(),
      mode: this.virtualMode,
      trace: this.traceLimit > 0 ? this.machine.trace.slice() : undefined,
      events: this.traceLimit > 0 ? this.events.slice() : undefined,
      stats: { ...this.stats },
      allocation: this.allocation.map((w) => ({ ...w })),
      placement: this.placement,
      patches: this.patches.slice(),
      output: this.machine.output,
    };
  }
}

function getPart(vals: readonly Val[], p: ControlPart): bigint {
  return (BigInt(vals[p.el]!) >> BigInt(p.lo)) & ((1n << BigInt(p.width)) - 1n);
}

function setPart(vals: Val[], p: ControlPart, v: bigint, bank: ElementBank): void {
  const m = ((1n << BigInt(p.width)) - 1n) << BigInt(p.lo);
  vals[p.el] = bank.valueOf(p.el, (BigInt(vals[p.el]!) & ~m) | ((v << BigInt(p.lo)) & m));
}

function writeGuest(s: ConcreteState, e: Element, v: bigint): void {
  switch (e.k) {
    case 'reg':
      s.regs[e.reg] = v;
      return;
    case 'field': {
      const fm = ((1n << BigInt(e.width)) - 1n) << BigInt(e.lo);
      s.regs[e.reg] = ((s.regs[e.reg] ?? 0n) & ~fm) | ((v << BigInt(e.lo)) & fm);
      return;
    }
    case 'file':
      s.files[e.file] = (s.files[e.file] ?? []).slice();
      s.files[e.file]![e.index] = v;
  }
}

/** Run a guest to its end (or the step budget) under one monitor. Throws VmmError for a guest or
 *  configuration the monitor cannot run (the CLI prints it). */
export function runGuest(isa: Isa, kind: MonitorKind, image: GuestImage, opts: GuestOptions = {}): GuestRun {
  const s = new GuestSession(isa, kind, image, opts);
  const out = s.run();
  return s.result(out);
}
