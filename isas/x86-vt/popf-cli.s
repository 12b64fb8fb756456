; popf-cli.s — the POPF guest kernel of isas/x86-386/popf-cli.s, on the 386 with VT-x.
;
; What it shows: with VMX non-root operation the same kernel behaves identically on the bare
; machine and under the trap-and-emulate monitor. The monitor runs the guest kernel in non-root
; operation at its own ring 0 (the guest mode of x86-vt.isa), so its CPL, EFLAGS.IF and IOPL are
; its own (the VMCS guest-state area, Intel SDM vol. 3C 24.4): STI and POPF work on the guest's
; IF directly, and the monitor still gets the real interrupts through external-interrupt exiting
; (SDM 3C 24.6.1). HLT exits to the monitor (HLT exiting, SDM 3C 25.1.3), which emulates it.
;
; The kernel enables interrupts (STI), pushes EFLAGS, clears IF (bit 9) in the pushed image, pops
; it back with POPF, then pushes EFLAGS again and stores the flags word at `flags` (0x1100).
;
; Expected difference: none. On the bare machine and under the monitor, EFLAGS.IF ends 0 and the
; word at `flags` is 0x2 (IF clear, reserved bit 1 set).
        .kernel
        .org 0x1000
start:  STI                     ; IF = 1 (the guest's own IF: no exit)
        PUSHF
        POP eax
        AND eax, 0xfffffdff     ; clear IF in the flags image
        PUSH eax
        POPF                    ; IF = 0, natively and in non-root operation at ring 0
        PUSHF
        POP ebx
        MOV [flags], ebx        ; the flags the kernel sees afterwards
        HLT                     ; exits to the monitor under VT (HLT exiting)

        .org 0x1100
flags:  .space 4
