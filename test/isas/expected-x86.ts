// Expected verdicts for the Intel 386 specs (isas/x86-386.isa, isas/x86-vt.isa), as data, each with
// the source it rests on. `t1Offenders`/`t3Offenders` are mnemonics exactly as in the specs, sorted.
//
// Where the faithful semantics find more (or less) than the paper names, the expectation follows
// the semantics (verdicts must come from them, never from tuning) and `literature` records what
// the paper says, so the difference stays visible.

import type { ExpectedVerdicts } from './expected.js';

export type { ExpectedVerdicts };

/** Robin and Irvine's seventeen, as mnemonics of isas/x86-386.isa (see the note below). */
const robinIrvine386 = [
  // "Sensitive register instructions": read or change the IDTR/GDTR/LDTR, CR0 (MSW), EFLAGS.
  'PUSHF',
  'POPF',
  'SGDT',
  'SIDT',
  'SLDT',
  'SMSW',
  // "Protection system references": the result depends on CPL, on descriptor DPLs checked against
  // it, or loads a segment's hidden descriptor at any CPL.
  'LAR',
  'LSL',
  'VERR',
  'VERW',
  'STR',
  'MOV_R_CS',
  'MOV_R_SS',
  'PUSH_CS',
  'PUSH_SS', // MOV/PUSH from CS or SS reveal the CPL
  'MOV_SS_R',
  'MOV_DS_R',
  'MOV_ES_R',
  'MOV_FS_R',
  'MOV_GS_R', // MOV to a segment register
  'POP_SS',
  'POP_DS',
  'POP_ES',
  'POP_FS',
  'POP_GS', // POP of a segment register
  'CALLF',
  'JMPF',
  'RETF',
  'INT', // far CALL, far JMP, far RET, INT n
  'INT3', // INT 3 (CC), GNU's encoding of `int 3`: INT n with n = 3 (issue 11: the real encodings)
].sort();

/** What the faithful 386 semantics derive: Robin and Irvine's list, plus IRET. */
const offenders386 = [...robinIrvine386, 'IRET'].sort();

/** MOV and PUSH from CS or SS reveal the CPL and nothing else: mode-sensitive only. */
const modeOnly386 = ['MOV_R_CS', 'MOV_R_SS', 'PUSH_CS', 'PUSH_SS'];

/** User-sensitive: every offender but those that depend on the mode alone. */
const userSensitive386 = offenders386.filter((m) => !modeOnly386.includes(m));

export const expected: ExpectedVerdicts[] = [
  {
    // J. S. Robin and C. E. Irvine, "Analysis of the Intel Pentium's Ability to Support a Secure
    // Virtual Machine Monitor", USENIX Security 2000: seventeen instructions are sensitive and
    // unprivileged, so the 386/Pentium fails Popek and Goldberg's Theorem 1 (and Theorem 2, which
    // needs Theorem 1). The privileged instructions of 80386 PRM 6.3.6.1 (LGDT, LIDT, LLDT, LTR,
    // LMSW, MOV CR0, CLTS, HLT) and the IOPL-sensitive ones (CLI, STI, IN, OUT: 6.3.6.2, made
    // privileged for a ring-3 guest by the assumption IOPL < 3) are not offenders; the integer
    // subset is innocuous.
    //
    // Theorem 3 (hybrid) fails too: all offenders but four misbehave in ring 3 itself because of
    // control state the monitor owns, so they are user-sensitive (control-sensitive in ring 3, or
    // location-sensitive between two ring-3 states), not only a problem of the deprivileged
    // kernel. A ring-3 program sees the monitor's real GDTR/IDTR/LDTR/TR/MSW with
    // SGDT/SIDT/SLDT/STR/SMSW (the "red pill": J. Rutkowska, "Red Pill... or how to detect VMM
    // using (almost) one CPU instruction", 2004), the real IF and IOPL with PUSHF, and its POPF
    // changes IF or not depending on the IOPL (the monitor keeps the real IOPL below 3; a guest may
    // give its user code IOPL 3), and so does IRET; LAR/LSL/VERR/VERW answer against the real
    // descriptor tables; MOV/POP to a segment register, far JMP/CALL/RET and INT n load hidden
    // descriptor caches (control state) at CPL 3. The hybrid monitor interprets only the virtual
    // supervisor mode, so these user-mode instructions still run directly and misbehave. MOV and
    // PUSH from CS or SS are not user-sensitive: they reveal only the CPL, and guest user code runs
    // at the real CPL 3 it expects.
    spec: 'isas/x86-386.isa',
    theorem1: 'fails',
    theorem2: 'fails',
    theorem3: 'fails',
    t1Offenders: offenders386,
    t3Offenders: userSensitive386,
    // The exact monitor: every offender but SMSW, SLDT and STR breaks it. Those three read CR0,
    // LDTR and TR, which nothing the machine consults on its own reads (not the trap entry, a
    // timer or an assumption), so the best monitor mirrors them and they show the guest its own
    // values. (A real monitor keeps its own LDT and TSS for reasons the spec does not model.)
    trapAndEmulate: offenders386.filter((m) => !['SMSW', 'SLDT', 'STR'].includes(m)),
    hybridMonitor: userSensitive386.filter((m) => !['SMSW', 'SLDT', 'STR'].includes(m)),
    literature: {
      theorem1: 'fails',
      t1Offenders: robinIrvine386,
      note:
        'Robin & Irvine list 17 instruction names; the spec splits them into one mnemonic per ' +
        "operand form. IRET is not on their list but the SDM IRET pseudo-code gives it POPF's flag " +
        "rule (IF only if CPL <= IOPL, IOPL only at CPL 0, no trap) and far RET's segment loads, so " +
        'the faithful semantics find it sensitive and unprivileged for the reasons they give for POPF ' +
        'and RET. PUSH/MOV from DS, ES, FS, GS are innocuous: those selectors are what the program ' +
        'loaded (plain state); only CS and SS carry the CPL in their RPL (SDM vol. 3A 5.5).',
    },
  },
  {
    // Intel SDM vol. 3C, chapters 24-25: in VMX non-root operation the guest runs on the VMCS
    // guest-state area (its own CPL, EFLAGS, segment state, GDTR/IDTR/LDTR/TR, CR0), so the
    // instructions of Robin and Irvine's list act on the guest's own state and are innocuous; what
    // the monitor owns (I/O ports, the VMCS) is reached only by instructions that cause VM exits
    // under the controls the monitor keeps set (HLT exiting, unconditional I/O exiting,
    // descriptor-table exiting, VMCALL and VMRESUME unconditionally: 25.1.2-25.1.3). Theorem 1
    // and Theorem 3 hold with guests in non-root operation (R. Uhlig et al., "Intel Virtualization
    // Technology", IEEE Computer 38(5), 2005: VT-x closes the virtualization holes of IA-32); no
    // instruction reads a clock, so Theorem 2 holds as well.
    spec: 'isas/x86-vt.isa',
    theorem1: 'holds',
    theorem2: 'holds',
    theorem3: 'holds',
    t1Offenders: [],
    t3Offenders: [],
  },
];
