; popf-cli.s — a guest kernel that disables interrupts with POPF instead of CLI.
;
; What it shows: POPF is sensitive but not privileged on the 386 (Robin & Irvine 2000, "sensitive
; register instructions"; 80386 PRM chapter 17, POPF: at CPL > IOPL the IF flag is left unchanged,
; with no trap).
;
; The kernel enables interrupts (STI), pushes EFLAGS, clears IF (bit 9) in the pushed image, pops
; it back with POPF, then pushes EFLAGS again and stores the flags word at `flags` (0x1100).
;
; Expected difference:
; - bare machine (kernel at ring 0): POPF loads IF = 0; EFLAGS.IF ends 0 and bit 9 of the word at
;   `flags` is 0.
; - trap-and-emulate monitor (kernel deprivileged to ring 3, IOPL 0 < 3): STI traps (#GP) and is
;   emulated, so the virtual IF becomes 1; POPF does not trap and silently keeps the real IF, so
;   the monitor never learns the kernel wanted interrupts off: the virtual EFLAGS.IF stays 1 where
;   the bare machine has 0. The word at `flags` shows the real IF, which the monitor owns.

        .kernel
        .org 0x1000
start:  STI                     ; IF = 1 (privileged at ring 3: the monitor emulates it)
        PUSHF
        POP eax
        AND eax, 0xfffffdff     ; clear IF in the flags image
        PUSH eax
        POPF                    ; natively IF = 0; at ring 3 the write to IF is dropped
        PUSHF
        POP ebx
        MOV [flags], ebx        ; the flags the kernel sees afterwards
        HLT

        .org 0x1100
flags:  .space 4
