// The machine: a specified ISA made runnable. State lives in typed arrays (see layout.ts), each
// instruction's semantics is compiled to JavaScript once per spec (compile.ts), and a generated
// loop fetches, decodes and runs instructions until a halt, an unhandled trap, an illegal word or
// the step budget.
//
// Hooks for the monitors (src/vmm/):
// - Memory windows: `setWindows([{ memory, base, size }])` (or the `windows` option). While set,
//   every access to that memory — fetches, loads, stores, translations' results, the trap entry —
//   sees the guest's words [0, size) at host words [base, base + size); an access at or beyond
//   `size` raises the spec's first trap of kind `memory` (resource control). Windows are baked
//   into a second compiled variant, so a machine without windows pays nothing for them.
// - `onTrap(trap, returnPc, machine)`: called for every trap before the spec's trap entry runs
//   (instruction traps, fetch traps, illegal words, timer interrupts). Return true when the monitor
//   handled it (the machine then just continues at whatever pc the hook left), false to take it
//   through the spec's trap entry. The compiled loop calls the hook in place (it does not return
//   for a trap), so a trap costs a call. `onTrapIndex(t, returnPc)` is the same hook for a monitor
//   that wants nothing allocated per trap: the trap's index in isa.traps and the return pc as the
//   machine holds it (a number; a bigint for a pc wider than 32 bits). A hook may throw: the run
//   ends and the exception reaches run()'s caller, the counters up to date.
// - `decodeAt(pc)` gives the decoded instruction and its operand values, so a monitor can emulate
//   it against a virtual state with the reference interpreter (`runSemantics` in interpret.ts);
//   `execute(decoded)` instead runs the compiled semantics against this machine's own state;
//   `executeAt(pc)` does both without building the decode result.
// - Monitor windows: `setMonitorWindows([...])` gives the monitor's own accesses on the guest's
//   behalf (`execute`, `executeAt`, `takeTrap*`, `decodeAt(pc, true)`) the windowed view of memory
//   while `run()` — direct execution — keeps seeing host storage as it is. That is a monitor's
//   software mapping of guest-physical storage, which it may do for itself; the real machine never
//   remaps a raw access. Same arrays, a second compiled variant.
// - `trapPc`: inside the trap hook, the pc of the instruction that raised the trap (the return pc
//   of a software trap is the next instruction's).
// - `snapshot()` / `restore(state)` convert to and from the interpreter's ConcreteState.
//
// Hot straight-line code runs as compiled blocks (compile.ts): they stay valid across writes to
// registers (a guard) and to memory made through the machine (writeMem, loadImage, restore, the
// compiled semantics); the typed arrays `u`, `w` and `mems` are exposed for reading, and a write
// into `mems` directly would not invalidate the blocks decoded from it.

import type { Instruction, Isa, Trap } from '../ir/index.js';
import type { ConcreteState } from './state.js';
import {
  compileProgram,
  instantiate,
  ST_FETCH_TRAP,
  ST_HALT,
  ST_ILLEGAL,
  ST_STOP,
  ST_TIMER,
  ST_TRAP,
  type CompiledFns,
  type Exchange,
  type MemoryWindow,
  type Program,
  type TypedMemory,
} from './compile.js';
import { allocMemory, DEFAULT_MEMORY_CAP, layOut, MachineError, type Layout, type MemSlot } from './layout.js';

export { MachineError } from './layout.js';
export type { MemoryWindow } from './compile.js';

/** Default step budget of `run()`. */
export const DEFAULT_MAX_STEPS = 10_000_000;

/** With a time limit, RUN is given the budget in slices: its budget test ends each slice at a block
 *  boundary, and the clock is read between slices. A slice doubles while one takes under 1 ms and
 *  halves above 8 ms, so the clock is read a few hundred times a second at most, and a slow guest
 *  (every instruction trapping into a monitor) still stops within a slice of its limit. */
const SLICE_MIN = 1 << 10;
const SLICE_MAX = 1 << 20;

/** The message of a run the time limit stopped (the machine's and the monitor's). */
export function timeLimitMessage(limitMs: number, pc: bigint, steps: number): string {
  return `stopped by the time limit of ${limitMs / 1000} s at pc=${hex(pc)} after ${steps} instructions (an endless loop? raise the time limit)`;
}

/** Called for every trap before the trap entry; return true if the monitor handled it. */
export type TrapHook = (trap: Trap, returnPc: bigint, machine: Machine) => boolean;
/** TrapHook without allocation: the trap's index in isa.traps, the return pc as the machine holds
 *  it (a number, or a bigint for a pc wider than 32 bits). Takes precedence over `onTrap`. */
export type TrapIndexHook = (trap: number, returnPc: number | bigint) => boolean;

/** Status of `executeAt`. */
export const EXEC_DONE = 0;
export const EXEC_HALT = ST_HALT;
/** No encoding matches the word(s) at pc. */
export const EXEC_ILLEGAL = ST_ILLEGAL;
/** The instruction trapped (every write discarded): `execTrap`, `execReturnPc`. */
export const EXEC_TRAP = ST_TRAP;
/** Fetching the instruction trapped: `execTrap`. */
export const EXEC_FETCH_TRAP = ST_FETCH_TRAP;

export interface MachineOptions {
  /** Bytes all memories may take together (default 64 MiB); a spec beyond it is refused. */
  memoryCap?: number;
  windows?: MemoryWindow[];
  onTrap?: TrapHook;
  onTrapIndex?: TrapIndexHook;
  /** Record up to this many steps (pc, mnemonic, operands). */
  trace?: number;
  /** Budget of `run()` when none is given (default 10 million). */
  maxSteps?: number;
  /** Wall-clock limit of the machine's runs together, in milliseconds from its first `run()`
   *  (default none): a run past it ends with `kind: 'time'`. */
  timeLimitMs?: number;
  /** Skip the reset (all state zero or init, reset block not run). */
  noReset?: boolean;
  /** Compile hot straight-line runs of instructions into blocks (default true); false runs every
   *  instruction through the one-instruction loop (for comparison). */
  blocks?: boolean;
}

export interface TraceEntry {
  pc: bigint;
  mnemonic: string;
  operands: Record<string, bigint>;
}

export type RunOutcome =
  | { kind: 'halted'; steps: number; pc: bigint; message: string }
  /** A trap nobody took: no trap entry in the spec, or the entry itself trapped (`double`). */
  | { kind: 'trap'; trap: string; steps: number; pc: bigint; double: boolean; message: string }
  | { kind: 'budget'; steps: number; message: string }
  /** The time limit ran out (`MachineOptions.timeLimitMs`): where it stopped depends on the host's speed. */
  | { kind: 'time'; steps: number; pc: bigint; limitMs: number; message: string }
  | { kind: 'illegal'; steps: number; pc: bigint; message: string };

/** One step: the instruction completed (or its trap was taken, `trap` says which), or the run ended. */
export type StepOutcome = RunOutcome | { kind: 'stepped'; steps: 1; trap?: string };

export type DecodeResult =
  | {
      kind: 'instr';
      instr: Instruction;
      /** Index in isa.instructions. */
      index: number;
      operands: Record<string, bigint>;
      /** Words the instruction takes. */
      length: number;
      pc: bigint;
      nextPc: bigint;
    }
  | { kind: 'trap'; trap: string }
  | { kind: 'illegal' };

export type ExecResult =
  | { kind: 'done' }
  | { kind: 'halt' }
  /** Every write was discarded; the trap was not taken. */
  | { kind: 'trap'; trap: string; returnPc: bigint };

export interface Counters {
  /** Instructions attempted (what the step budget counts). */
  steps: number;
  /** Instructions completed (not trapped). */
  instructions: number;
  /** Traps raised, whether a monitor handled them or the trap entry ran. */
  traps: number;
}

const hex = (v: bigint | number): string => '0x' + BigInt(v).toString(16);
const maskB = (w: number): bigint => (1n << BigInt(w)) - 1n;

export class Machine {
  readonly layout: Layout;
  readonly u: Uint32Array;
  readonly w: BigUint64Array;
  readonly mems: TypedMemory[];
  onTrap: TrapHook | undefined;
  onTrapIndex: TrapIndexHook | undefined;
  readonly counters: Counters = { steps: 0, instructions: 0, traps: 0 };
  trace: TraceEntry[] = [];
  traceLimit: number;
  /** Set by a halt; `run()` and `step()` do nothing until reset() or restore(). */
  halted = false;
  readonly maxSteps: number;
  readonly timeLimitMs: number | undefined;
  /** When the time limit runs out (performance.now()), set by the first run(). */
  private deadline: number | undefined;
  private slice = SLICE_MIN;

  private readonly x: Exchange = { n: 0, t: 0, ret: 0, pc: 0, ins: 0, ops: [], len: 0, out: [], ca: -1 };
  private readonly tc: Int32Array;
  private program!: Program;
  private fns!: CompiledFns;
  /** What execute/executeAt/takeTrap/decodeAt(pc, true) run: `fns`, or the monitor-window variant. */
  private mfns!: CompiledFns;
  private wins: MemoryWindow[] = [];
  private mwins: MemoryWindow[] = [];
  private readonly blocks: boolean;
  private lastTrap = -1;
  /** Index of the spec's illegal-instruction trap (-1: none). */
  private readonly illegalTrap: number;
  /** 2^(pc width) for a pc held as a number; 0 when the pc is a bigint (wider than 32 bits). */
  private readonly pcLimit: number;
  /** Steps of the current run() before the RUN call in progress, and instructions of that RUN
   *  call that trapped (they do not count as completed). */
  private runBase = 0;
  private runTrapped = 0;
  /** Why the handler stopped RUN: an outcome, or an exception of the hook to rethrow. */
  private stopOutcome: RunOutcome | undefined;
  private stopError: { error: unknown } | undefined;

  constructor(
    readonly isa: Isa,
    options: MachineOptions = {},
  ) {
    const cap = options.memoryCap ?? DEFAULT_MEMORY_CAP;
    if (!Number.isFinite(cap) || cap < 0) throw new MachineError('the memory cap must be a non-negative number of bytes');
    // Lay out (and refuse oversized memories) before allocating anything.
    this.layout = layOut(isa, cap);
    this.u = new Uint32Array(this.layout.n32);
    this.w = new BigUint64Array(this.layout.n64);
    this.mems = this.layout.memList.map(allocMemory);
    this.onTrap = options.onTrap;
    this.onTrapIndex = options.onTrapIndex;
    this.illegalTrap = (isa.traps ?? []).findIndex((t) => t.kind === 'illegal');
    this.pcLimit = this.layout.pc.wide ? 0 : 2 ** this.layout.pc.width;
    this.traceLimit = Math.max(0, Math.floor(options.trace ?? 0));
    this.maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
    const limit = options.timeLimitMs;
    if (limit !== undefined && !(limit > 0 && Number.isFinite(limit))) throw new MachineError('the time limit must be a positive number of milliseconds');
    this.timeLimitMs = limit;
    this.tc = new Int32Array((isa.traps ?? []).filter((t) => t.timer).length);
    this.blocks = options.blocks ?? true;
    this.x.ca = isa.console?.address ?? -1;
    this.setWindows(options.windows ?? []);
    if (options.noReset) this.clear();
    else this.reset();
  }

  // ---- configuration ----

  /** Install memory windows (an empty list removes them). Compiled once per configuration. */
  setWindows(windows: MemoryWindow[]): void {
    this.program = compileProgram(this.isa, this.layout, windows);
    this.fns = instantiate(this.program, this.u, this.w, this.mems, this.x, this.tc, this.handleTrap, this.blocks);
    this.wins = windows.map((w) => ({ ...w }));
    this.setMonitorWindows(this.mwins);
  }

  /** Windows only for the monitor's accesses on the guest's behalf (see the file header); an empty
   *  list gives them the same view as direct execution. */
  setMonitorWindows(windows: MemoryWindow[]): void {
    this.mwins = windows.map((w) => ({ ...w }));
    // The monitor's variant runs one instruction at a time (emulation, reflection): no blocks.
    this.mfns =
      windows.length === 0
        ? this.fns
        : instantiate(compileProgram(this.isa, this.layout, windows), this.u, this.w, this.mems, this.x, this.tc, this.handleTrap, false);
  }

  get monitorWindows(): MemoryWindow[] {
    return this.mwins.map((w) => ({ ...w }));
  }

  /** The console's output so far: every byte stored at the spec's console address (`console`
   *  declaration), in order; reset() clears it. */
  get output(): Uint8Array {
    return Uint8Array.from(this.x.out);
  }

  /** Where direct execution finds a memory console's word: the guest's console address plus the
   *  base of the guest's allocation in that memory (a monitor's placement; default 0). */
  setConsoleBase(base: number): void {
    if (this.isa.console && this.layout.mems.has(this.isa.console.space)) this.x.ca = this.isa.console.address + base;
  }

  /** Inside the trap hook: the pc of the instruction that raised the trap (as `pcValue` gives it). */
  get trapPc(): number | bigint {
    return this.x.pc;
  }

  get windows(): MemoryWindow[] {
    return this.wins.map((w) => ({ ...w }));
  }

  /** The generated JavaScript of this machine's current configuration. */
  compiledSource(): string {
    return this.program.source;
  }

  // ---- state ----

  private clear(): void {
    // The whole state is replaced: no compiled block survives it.
    this.fns.FLUSH();
    this.u.fill(0);
    this.w.fill(0n);
    // A 36- or 64-bit memory is a BigUint64Array, which only takes bigint.
    for (const m of this.mems) {
      if (m instanceof BigUint64Array) m.fill(0n);
      else m.fill(0);
    }
    for (const r of this.layout.regs.values()) this.setRegRaw(r.reg.name, BigInt(r.reg.init ?? '0x0'));
    this.program.timers.forEach((t, i) => (this.tc[i] = this.isa.traps[t]!.timer!.period));
    this.halted = false;
  }

  /** Zero every element (or its init value), run the reset block, clear counters and trace. A reset
   *  block that traps leaves the zeroed state. */
  reset(): void {
    this.clear();
    this.x.out.length = 0;
    this.fns.RS();
    this.counters.steps = this.counters.instructions = this.counters.traps = 0;
    this.trace = [];
  }

  private setRegRaw(name: string, v: bigint): void {
    const r = this.layout.regs.get(name);
    if (!r) throw new MachineError(`unknown register ${JSON.stringify(name)}`);
    v &= maskB(r.width);
    if (r.wide) this.w[r.slot] = v;
    else this.u[r.slot] = Number(v);
  }

  readReg(name: string): bigint {
    const r = this.layout.regs.get(name);
    if (!r) throw new MachineError(`unknown register ${JSON.stringify(name)}`);
    return r.wide ? this.w[r.slot]! : BigInt(this.u[r.slot]!);
  }

  writeReg(name: string, value: bigint): void {
    this.setRegRaw(name, value);
  }

  private fileSlot(name: string, index: number) {
    const f = this.layout.files.get(name);
    if (!f) throw new MachineError(`unknown register file ${JSON.stringify(name)}`);
    return { f, i: f.base + (((index % f.count) + f.count) % f.count) };
  }

  readFile(name: string, index: number): bigint {
    const { f, i } = this.fileSlot(name, index);
    return f.wide ? this.w[i]! : BigInt(this.u[i]!);
  }

  writeFile(name: string, index: number, value: bigint): void {
    const { f, i } = this.fileSlot(name, index);
    const v = value & maskB(f.width);
    if (f.wide) this.w[i] = v;
    else this.u[i] = Number(v);
  }

  private mem(name: string): MemSlot {
    const m = this.layout.mems.get(name);
    if (!m) throw new MachineError(`unknown memory ${JSON.stringify(name)}`);
    return m;
  }

  /** A physical word (windows do not apply); the address wraps modulo the memory's size. */
  readMem(name: string, addr: number | bigint): bigint {
    const m = this.mem(name);
    const v = this.mems[m.index]![Number(BigInt(addr) & BigInt(m.size - 1))]!;
    return BigInt(v);
  }

  writeMem(name: string, addr: number | bigint, value: bigint): void {
    const m = this.mem(name);
    const i = Number(BigInt(addr) & BigInt(m.size - 1));
    const v = value & maskB(m.wordWidth);
    const arr = this.mems[m.index]!;
    if (arr instanceof BigUint64Array) arr[i] = v;
    else arr[i] = Number(v);
    // Code or translation state compiled blocks depend on may have changed.
    this.fns.WCHK(m.index, i);
  }

  /** Write `words` at consecutive physical addresses of `memory` from `address` (wrapping). */
  loadImage(memory: string, address: number | bigint, words: readonly (number | bigint)[]): void {
    let a = BigInt(address);
    for (const wd of words) {
      this.writeMem(memory, a, BigInt(wd));
      a++;
    }
  }

  get pc(): bigint {
    return this.readReg(this.isa.fetch.pc);
  }

  set pc(v: bigint) {
    this.writeReg(this.isa.fetch.pc, v);
  }

  /** The state as plain data (memory words that are zero are left out). */
  snapshot(): ConcreteState {
    const regs: Record<string, bigint> = {};
    for (const r of this.layout.regs.values()) regs[r.reg.name] = this.readReg(r.reg.name);
    const files: Record<string, bigint[]> = {};
    for (const f of this.layout.files.values()) {
      const arr: bigint[] = new Array(f.count);
      for (let i = 0; i < f.count; i++) arr[i] = f.wide ? this.w[f.base + i]! : BigInt(this.u[f.base + i]!);
      files[f.file.name] = arr;
    }
    const mem: Record<string, Map<number, bigint>> = {};
    for (const m of this.layout.memList) {
      const map = new Map<number, bigint>();
      const arr = this.mems[m.index]!;
      for (let i = 0; i < arr.length; i++) {
        const v = arr[i]!;
        if (v !== 0 && v !== 0n) map.set(i, BigInt(v));
      }
      mem[m.memory.name] = map;
    }
    return { regs, files, mem };
  }

  /** Replace the whole state (absent elements become zero); clears `halted` and the timers. */
  restore(s: ConcreteState): void {
    this.fns.FLUSH();
    this.u.fill(0);
    this.w.fill(0n);
    // A 36- or 64-bit memory is a BigUint64Array, which only takes bigint.
    for (const m of this.mems) {
      if (m instanceof BigUint64Array) m.fill(0n);
      else m.fill(0);
    }
    for (const [name, v] of Object.entries(s.regs ?? {})) this.setRegRaw(name, v);
    for (const [name, vs] of Object.entries(s.files ?? {})) vs.forEach((v, i) => this.writeFile(name, i, v));
    for (const [name, words] of Object.entries(s.mem ?? {})) {
      const m = this.mem(name);
      for (const [a, v] of words) {
        if (!Number.isInteger(a) || a < 0 || a >= m.size) throw new MachineError(`memory ${name}: address ${a} is outside it`);
        this.writeMem(name, a, v);
      }
    }
    this.program.timers.forEach((t, i) => (this.tc[i] = this.isa.traps[t]!.timer!.period));
    this.halted = false;
  }

  // ---- running ----

  private pcRepr(v: bigint): number | bigint {
    const p = this.layout.pc;
    const m = v & maskB(p.width);
    return p.wide ? m : Number(m);
  }

  /** Fetch and decode the instruction at `pc` (through the fetch space; may trap, never writes). */
  decodeAt(pc: bigint, monitorView = false): DecodeResult {
    const st = (monitorView ? this.mfns : this.fns).DEC(this.pcRepr(pc));
    if (st === ST_TRAP) return { kind: 'trap', trap: this.isa.traps[this.x.t]!.name };
    if (st !== 0) return { kind: 'illegal' };
    const instr = this.isa.instructions[this.x.ins]!;
    const operands: Record<string, bigint> = {};
    instr.operands.forEach((o, i) => (operands[o.name] = BigInt(this.x.ops[i]!)));
    const p = pc & maskB(this.layout.pc.width);
    return {
      kind: 'instr',
      instr,
      index: this.x.ins,
      operands,
      length: this.x.len,
      pc: p,
      nextPc: (p + BigInt(this.x.len)) & maskB(this.layout.pc.width),
    };
  }

  /** Run one decoded instruction's compiled semantics on this machine's state at `d.pc` (the pc
   *  register is set to it first). A trap discards every write and is not taken. */
  execute(d: Extract<DecodeResult, { kind: 'instr' }>): ExecResult {
    const instr = this.isa.instructions[d.index];
    if (!instr) throw new MachineError('execute: no such instruction');
    this.pc = d.pc;
    const args = instr.operands.map((o) => {
      const v = (d.operands[o.name] ?? 0n) & maskB(o.width);
      return o.width <= 32 ? Number(v) : v;
    });
    const st = this.mfns.I[d.index]!(...args, this.pcRepr(d.nextPc));
    if (st === ST_HALT) return { kind: 'halt' };
    if (st === ST_TRAP) {
      const t = this.isa.traps[this.x.t]!;
      const soft = t.kind === 'software' || t.kind === 'interrupt';
      return { kind: 'trap', trap: t.name, returnPc: soft ? d.nextPc : d.pc };
    }
    return { kind: 'done' };
  }

  /** The pc register as the machine holds it (a number; a bigint for a pc wider than 32 bits). */
  pcValue(): number | bigint {
    const p = this.layout.pc;
    return p.wide ? this.w[p.slot]! : this.u[p.slot]!;
  }

  /** `execute(decodeAt(pc))` without building the decode result, for a monitor's dispatcher: fetch,
   *  decode and run the instruction at `pc` (as `pcValue` gives it) on this machine's state, the pc
   *  register set to it first. Returns EXEC_DONE, EXEC_HALT, EXEC_ILLEGAL, EXEC_TRAP (every write
   *  discarded, the trap not taken: `execTrap`, `execReturnPc`) or EXEC_FETCH_TRAP (`execTrap`;
   *  nothing ran). `execIndex` is then the instruction's index in isa.instructions. */
  executeAt(pc: number | bigint): number {
    // A pc of the other representation (or out of range) goes through the masking conversion.
    if (typeof pc === 'number' ? !(pc >= 0 && pc < this.pcLimit && Number.isInteger(pc)) : this.pcLimit !== 0) {
      pc = this.pcRepr(BigInt(pc));
    }
    return this.mfns.EX(pc);
  }

  /** After executeAt: the trap raised (index into isa.traps). */
  get execTrap(): number {
    return this.x.t;
  }

  /** After executeAt returned EXEC_TRAP: the trap's return pc (as `pcValue` gives it). */
  get execReturnPc(): number | bigint {
    return this.x.ret;
  }

  /** After executeAt ran an instruction: its index in isa.instructions. */
  get execIndex(): number {
    return this.x.ins;
  }

  /** Take trap `name` through the spec's trap entry (no hook). Returns null when the entry ran, or
   *  why the run must stop. */
  takeTrap(name: string, returnPc: bigint): RunOutcome | null {
    const t = this.layout.traps.get(name);
    if (t === undefined) throw new MachineError(`unknown trap ${JSON.stringify(name)}`);
    return this.enter(t, this.pcRepr(returnPc), 0);
  }

  /** `takeTrap` by the trap's index, the return pc as `pcValue` gives it (nothing allocated unless
   *  the run must stop). */
  takeTrapIndex(t: number, returnPc: number | bigint): RunOutcome | null {
    if (!this.isa.traps[t]) throw new MachineError(`unknown trap number ${t}`);
    if (typeof returnPc === 'number' ? !(returnPc >= 0 && returnPc < this.pcLimit && Number.isInteger(returnPc)) : this.pcLimit !== 0) {
      returnPc = this.pcRepr(BigInt(returnPc));
    }
    return this.enter(t, returnPc, 0);
  }

  private enter(t: number, ret: number | bigint, steps: number): RunOutcome | null {
    const trap = this.isa.traps[t]!;
    if ((this.isa.trapEntry ?? []).length === 0) {
      const pc = BigInt(ret);
      return {
        kind: 'trap',
        trap: trap.name,
        steps,
        pc,
        double: false,
        message: `trap ${trap.name} at pc=${hex(pc)} and the spec has no trap entry: the machine stops`,
      };
    }
    const st = this.mfns.TE(trap.vector & 0xff, ret);
    if (st === ST_TRAP) {
      const pc = BigInt(ret);
      const inner = this.isa.traps[this.x.t]!.name;
      return {
        kind: 'trap',
        trap: inner,
        steps,
        pc,
        double: true,
        message: `trap ${inner} while entering trap ${trap.name} (return pc=${hex(pc)}): the machine stops`,
      };
    }
    if (st === ST_HALT) {
      this.halted = true;
      return { kind: 'halted', steps, pc: this.pc, message: `halted in the trap entry of ${trap.name}` };
    }
    return null;
  }

  /** The compiled loop's trap handler (status 2 illegal, 3 trap, 4 timer; x.t, x.ret, x.pc, x.n
   *  set): the hook first, then the trap entry. 0: go on running; otherwise RUN returns it. */
  private readonly handleTrap = (st: number): number => {
    const x = this.x;
    let t: number, ret: number | bigint;
    if (st !== ST_TIMER) this.runTrapped++;
    if (st === ST_ILLEGAL) {
      // No illegal trap in the spec: run() reports the illegal word.
      if (this.illegalTrap < 0) return ST_ILLEGAL;
      t = this.illegalTrap;
      ret = x.pc;
    } else {
      t = x.t;
      ret = x.ret;
    }
    this.counters.traps++;
    this.lastTrap = t;
    const steps = this.runBase + x.n;
    if (this.onTrapIndex || this.onTrap) {
      const fns = this.fns,
        base = this.runBase,
        trapped = this.runTrapped;
      let handled: boolean;
      try {
        handled = this.onTrapIndex ? this.onTrapIndex(t, ret) : this.onTrap!(this.isa.traps[t]!, BigInt(ret), this);
      } catch (error) {
        this.stopError = { error };
        return ST_STOP;
      } finally {
        // A hook that ran the machine itself must not disturb this run's counting.
        this.runBase = base;
        this.runTrapped = trapped;
      }
      // A hook that recompiled the machine (new windows): leave this loop, run() enters the new one.
      if (this.fns !== fns) return handled ? ST_STOP : this.stopWith(this.enter(t, ret, steps));
      if (handled) return 0;
    }
    return this.stopWith(this.enter(t, ret, steps));
  };

  private stopWith(o: RunOutcome | null): number {
    if (!o) return 0;
    this.stopOutcome = o;
    return ST_STOP;
  }

  /** For the trace: what a monitor says is at `pc` when the real fetch cannot decode it (a guest
   *  kernel in real user mode whose code lies where only the kernel may fetch). */
  traceFallback: ((pc: bigint) => TraceEntry | undefined) | undefined;

  private record(): void {
    const d = this.decodeAt(this.pc);
    if (d.kind === 'instr') this.trace.push({ pc: d.pc, mnemonic: d.instr.mnemonic, operands: d.operands });
    else {
      const e = this.traceFallback?.(this.pc);
      if (e) this.trace.push(e);
    }
  }

  /** Run until a halt, an untaken trap, an illegal word without an illegal trap, or `maxSteps`
   *  instructions (default: the machine's budget, 10 million). Never hangs. */
  run(opts: { maxSteps?: number } = {}): RunOutcome {
    const budget = Math.floor(opts.maxSteps ?? this.maxSteps);
    if (!(budget >= 0)) throw new MachineError('the step budget must be a non-negative number');
    let steps = 0;
    if (this.halted) return { kind: 'halted', steps: 0, pc: this.pc, message: `halted at pc=${hex(this.pc)}` };
    const timed = this.timeLimitMs !== undefined;
    let sliceStart = timed ? this.startClock() : 0;
    for (;;) {
      const left = budget - steps;
      if (left <= 0) {
        return {
          kind: 'budget',
          steps,
          message: `stopped after the step budget of ${budget} instructions at pc=${hex(this.pc)} (an endless loop? raise the budget)`,
        };
      }
      if (timed) {
        const now = performance.now();
        if (now >= this.deadline!) return this.timeOutcome(steps);
        const took = now - sliceStart;
        if (took < 1 && this.slice < SLICE_MAX) this.slice *= 2;
        else if (took > 8 && this.slice > SLICE_MIN) this.slice /= 2;
        sliceStart = now;
      }
      let st: number;
      this.runBase = steps;
      this.runTrapped = 0;
      this.stopOutcome = undefined;
      this.stopError = undefined;
      if (this.trace.length < this.traceLimit) {
        this.record();
        st = this.fns.RUN(1);
      } else st = this.fns.RUN(timed ? Math.min(left, this.slice) : left);
      const n = this.x.n;
      steps += n;
      this.counters.steps += n;
      this.counters.instructions += n - this.runTrapped;
      if (st === 0) continue;
      if (st === ST_STOP) {
        // (Set by handleTrap during RUN; the annotation undoes the narrowing of the resets above.)
        const e = this.stopError as { error: unknown } | undefined,
          o = this.stopOutcome as RunOutcome | undefined;
        this.stopError = this.stopOutcome = undefined;
        if (e) throw e.error;
        if (o) return o;
        continue; // recompiled by the hook: enter the new loop
      }
      if (st === ST_HALT) {
        this.halted = true;
        const at = BigInt(this.x.pc);
        return { kind: 'halted', steps, pc: at, message: `halted at pc=${hex(at)} after ${steps} instructions` };
      }
      if (st === ST_ILLEGAL) {
        // Only when the spec has no illegal trap (the handler takes it otherwise).
        const at = BigInt(this.x.pc);
        return { kind: 'illegal', steps, pc: at, message: `illegal instruction at pc=${hex(at)}: no encoding matches` };
      }
      throw new MachineError(`internal: unknown status ${st}`);
    }
  }

  /** Starts the time limit's clock (at the first run) and returns the time now. */
  private startClock(): number {
    const now = performance.now();
    this.deadline ??= now + this.timeLimitMs!;
    return now;
  }

  /** Has the time limit run out (false without one)? Starts its clock like a run. */
  timeUp(): boolean {
    return this.timeLimitMs !== undefined && this.startClock() >= this.deadline!;
  }

  private timeOutcome(steps: number): RunOutcome {
    return { kind: 'time', steps, pc: this.pc, limitMs: this.timeLimitMs!, message: timeLimitMessage(this.timeLimitMs!, this.pc, steps) };
  }

  /** Run exactly one instruction (taking its trap, if any). */
  step(): StepOutcome {
    const traps = this.counters.traps;
    const r = this.run({ maxSteps: 1 });
    if (r.kind !== 'budget') return r;
    if (this.counters.traps !== traps) {
      return { kind: 'stepped', steps: 1, trap: this.isa.traps[this.lastTrap]?.name };
    }
    return { kind: 'stepped', steps: 1 };
  }
}

/** A machine for `isa`, reset (unless `noReset`). Throws MachineError for a spec it cannot run
 *  (memories beyond the cap, malformed IR). */
export function createMachine(isa: Isa, options: MachineOptions = {}): Machine {
  return new Machine(isa, options);
}

/** The generated JavaScript for `isa` (without windows): for review and for the injection test. */
export function compiledSourceFor(isa: Isa, windows: MemoryWindow[] = []): string {
  return compileProgram(isa, layOut(isa, Number.MAX_SAFE_INTEGER), windows).source;
}
