// Expected verdicts for the PDP-10, MC68000, MC68010, RISC-V and ARMv7-A specs, as data, each with
// the source it rests on. `t1Offenders`/`t3Offenders` are mnemonics exactly as in the specs, sorted.
//
// Where the faithful semantics find more than the paper names, the expectation follows the
// semantics (verdicts must come from them, never from tuning) and `literature` records what the
// paper says, so the difference stays visible.

import type { ExpectedVerdicts } from './expected.js';

export type { ExpectedVerdicts };

export const expected: ExpectedVerdicts[] = [
  {
    // Popek & Goldberg 1974, section 5: JRST 1 (return to user mode) is sensitive but not
    // privileged, so the PDP-10 fails Theorem 1 (and Theorem 2 with it) but satisfies the hybrid
    // condition. DEC PDP-10 System Reference Manual 1969, 2.9: JRSTF (JRST 2,) restores the flags,
    // User included, in executive mode and cannot clear User in user mode — control-sensitive in
    // executive mode only, like JRST 1. JSR, JSP and PUSHJ store the PC word, whose bit 5 is the
    // User flag (SRM 2.9), so they reveal the mode (mode-sensitive) and break Theorem 1. None is
    // user-sensitive: in user mode JRST 1 and JRSTF change no mode or control state, and the PC-word
    // stores depend on the mode alone, which under the hybrid monitor is the real user mode the
    // guest's user code expects (user-sensitive = control-sensitive in user mode, or
    // location-sensitive between two user-mode states). So Theorem 3 holds, as P&G conclude.
    spec: 'isas/pdp10.isa',
    theorem1: 'fails',
    theorem2: 'fails',
    theorem3: 'holds',
    t1Offenders: ['JRST1', 'JRSTF', 'JSP', 'JSR', 'PUSHJ'],
    t3Offenders: [],
    // Each saves or restores the flags word with the User bit, without trapping: no monitor.
    trapAndEmulate: ['JRST1', 'JRSTF', 'JSP', 'JSR', 'PUSHJ'],
    hybridMonitor: [],
    literature: {
      theorem1: 'fails',
      theorem3: 'holds',
      t1Offenders: ['JRST1'],
      t3Offenders: [],
      note: 'P&G 1974 section 5 name only JRST 1 for Theorem 1; the PC-word stores (JSR, JSP, PUSHJ) and JRSTF are not discussed there. Theorem 3 agrees with the paper.',
    },
  },
  {
    // Motorola M68000 PRM 1992, MOVE from SR: not privileged on the MC68000 (privileged from the
    // MC68010 on); it reads S (mode-sensitive) and the interrupt mask and T bit (control state:
    // location-sensitive), also from user state, so it also breaks the hybrid condition. Every
    // other SR/USP/RTE/STOP/RESET instruction raises a privilege violation in user state (PRM 6.2.3).
    spec: 'isas/m68000.isa',
    theorem1: 'fails',
    theorem2: 'fails',
    theorem3: 'fails',
    t1Offenders: ['MOVE_FROM_SR'],
    t3Offenders: ['MOVE_FROM_SR'],
    trapAndEmulate: ['MOVE_FROM_SR'],
    hybridMonitor: ['MOVE_FROM_SR'],
  },
  {
    // MC68010 data sheet 1985 / PRM 1992: MOVE from SR made privileged and MOVE from CCR added for
    // exactly this reason; the 68010 supports a trap-and-emulate monitor. No clock is modelled.
    spec: 'isas/m68010.isa',
    theorem1: 'holds',
    theorem2: 'holds',
    theorem3: 'holds',
    t1Offenders: [],
    t3Offenders: [],
    trapAndEmulate: [],
    hybridMonitor: [],
  },
  {
    // RISC-V Privileged Architecture 1.12, 2.1 and 3.1.6.5: every access to state above the current
    // privilege level (CSRs by address bits [9:8], MRET, SRET, WFI, SFENCE.VMA) raises an
    // illegal-instruction exception; "the baseline privileged architecture is designed to simplify
    // the use of classic virtualization techniques, where a guest OS is run at user-level, as the
    // few privileged instructions can be easily detected and trapped" (P 1.12, chapter 5,
    // introduction; the same sentence in P 1.10 chapter 5). The counters cycle/time/instret are
    // clock state, hidden from the guest by the monitor (`assume counters_hidden`: mcounteren
    // CY/TM/IR clear, P 3.1.11), so no guest-mode instance reads a clock without trapping and
    // Theorem 2 holds too. (Requires the analysis to compare memory through views virtually for
    // mode-sensitivity as it does for location-sensitivity: M-mode bypasses Sv32.)
    //
    // riscv.isa has ONE CSRRW/CSRRS/CSRRC/CSRRWI/CSRRSI/CSRRCI each with the real 12-bit csr field.
    // Decided per instance (per csr value), every instance that touches control state is
    // privileged and every other one (a nonexistent CSR, a hidden counter) traps in the guest mode,
    // so the literature verdict holds (confirmed with the per-instance analysis).
    spec: 'isas/riscv.isa',
    theorem1: 'holds',
    theorem2: 'holds',
    theorem3: 'holds',
    t1Offenders: [],
    t3Offenders: [],
  },
  {
    // Penneman, Kinalis, Schuermans, Levenslaan & Sheikh 2013 (J. Systems Architecture 59(3)),
    // sensitive non-privileged ARMv7-A instructions: CPS, MRS, MSR, RFE, SRS, LDM/STM of the User
    // registers, LDM exception return and the data-processing exception returns (SUBS PC, LR /
    // MOVS PC, LR); ARM ARM DDI 0406C B9.3. WFI is an offender here although Penneman et al. do not
    // list it: the spec halts in every mode (no interrupts are modelled), and a guest that can stop
    // the machine without trapping takes the processor from the monitor, which is control
    // sensitivity by the exact definitions (issue 10, case 3; DESIGN.md). Whether an ARMv7-A WFI at
    // PL0 really suspends the processor (rather than being trapped, as HCR.TWI makes it with the
    // Virtualization Extensions) is the spec's modelling and was not re-checked against the manual.
    //
    // Theorem 3 (hybrid) fails on MRS CPSR alone: in User mode it reads the A, I and F mask bits,
    // control state the monitor owns, so two User-mode states that differ only there give different
    // results. The others, run in User mode, change no mode or control state (CPS and MSR leave
    // the privileged CPSR fields alone there, ARM B9.3) and give the same results whatever the
    // control state; what they depend on is the mode alone, and under the hybrid monitor the
    // guest's User mode runs in the real User mode, so none can show (user-sensitive =
    // control-sensitive in User mode, or location-sensitive between two User-mode states).
    spec: 'isas/armv7.isa',
    theorem1: 'fails',
    theorem2: 'fails',
    theorem3: 'fails',
    t1Offenders: [
      'CPSID',
      'CPSIE',
      'CPS_MODE',
      'LDM_RET',
      'LDM_USER',
      'MOVS_PC_LR',
      'MRS_CPSR',
      'MRS_SPSR',
      'MSR_CPSR',
      'MSR_SPSR',
      'RFE',
      'SRS',
      'STM_USER',
      'SUBS_PC_LR',
      'WFI',
    ],
    t3Offenders: ['MRS_CPSR', 'WFI'],
    trapAndEmulate: [
      'CPSID',
      'CPSIE',
      'CPS_MODE',
      'LDM_RET',
      'LDM_USER',
      'MOVS_PC_LR',
      'MRS_CPSR',
      'MRS_SPSR',
      'MSR_CPSR',
      'MSR_SPSR',
      'RFE',
      'SRS',
      'STM_USER',
      'SUBS_PC_LR',
      'WFI',
    ],
    hybridMonitor: ['MRS_CPSR', 'WFI'],
  },
];
