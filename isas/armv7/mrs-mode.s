; MRS CPSR reads the mode bits in every mode and does not trap (ARM ARM B9.3.8; Penneman et al.
; 2013 list MRS among the sensitive, unprivileged ARMv7 instructions).
;
; The guest kernel checks which mode it runs in: MRS r0, CPSR, keeps M[4:0] and stores it at
; 0x9000, then waits with WFI (which stops the machine: no interrupts are modelled).
;
; Bare machine: the kernel runs in Supervisor mode: word 0x9000 = 0x13.
; Trap-and-emulate monitor: the kernel runs in User mode and MRS does not trap, so it reads the real
;   mode: word 0x9000 = 0x10.

        .kernel
        .org 0x8000
start:  mrs r0, cpsr
        mov r1, #0x1F, 0        ; M[4:0]
        and r0, r0, r1
        mov r2, #0x90, 24       ; 0x90 rotated right by 24 = 0x9000
        str r0, [r2, #0]
        wfi
        .entry start
