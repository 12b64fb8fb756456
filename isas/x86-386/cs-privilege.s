; cs-privilege.s — a kernel that checks its own privilege level by reading CS.
;
; What it shows: MOV from CS and PUSH CS are sensitive but not privileged (Robin & Irvine 2000,
; "protection system references"): the RPL field of the CS selector is the current privilege
; level (80386 PRM 6.3.1.1), and reading a segment register never traps.
;
; The kernel reads CS twice (MOV eax, cs and PUSH cs / POP ebx), keeps the low two bits (RPL) and
; stores them at `rpl_mov` (0x1100) and `rpl_push` (0x1104).
;
; Expected difference:
; - bare machine: the kernel runs at ring 0; both words are 0.
; - trap-and-emulate monitor: the kernel runs deprivileged at ring 3 (the guest mode) while the
;   monitor's virtual mode says ring 0; both words are 3: the kernel can tell it is not at ring 0.

        .kernel
        .org 0x1000
start:  MOV eax, cs
        AND eax, 3
        MOV [rpl_mov], eax      ; RPL of CS = CPL
        PUSH cs
        POP ebx
        AND ebx, 3
        MOV [rpl_push], ebx
        HLT

        .org 0x1100
rpl_mov:  .space 4
rpl_push: .space 4
