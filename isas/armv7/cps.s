; CPS is a NOP in User mode instead of a trap (ARM ARM B9.3.2; Penneman et al. 2013).
;
; The guest kernel switches itself to System mode with CPS #0x1F, then reads its mode back with
; MRS and stores M[4:0] at 0x9000.
;
; Bare machine: CPS changes the mode: word 0x9000 = 0x1F.
; Trap-and-emulate monitor: the kernel runs in User mode, CPS silently does nothing and never
;   reaches the monitor: word 0x9000 = 0x10.

        .kernel
        .org 0x8000
start:  cps #0x1F
        mrs r0, cpsr
        mov r1, #0x1F, 0
        and r0, r0, r1
        mov r2, #0x90, 24
        str r0, [r2, #0]
        wfi
        .entry start
