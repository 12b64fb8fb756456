; MOVE from SR is not privileged on the MC68000 (PRM, MOVE from SR; privileged from the 68010 on).
;
; The guest kernel checks whether it runs in supervisor state by reading the status register with
; MOVE SR, D0 and storing its S bit (0x2000) at `result`; then it stops with STOP.
;
; Bare machine: the kernel runs in supervisor state: result = 0x00002000.
; Trap-and-emulate monitor: the kernel runs in user state and MOVE SR does not trap, so the real
;   SR (S = 0) reaches the guest: result = 0x00000000. STOP traps and is emulated in both cases.

        .kernel
        .org 0x400
start:  MOVE SR, d0             ; S bit, interrupt mask, condition codes
        MOVE.L #0x2000, d1
        AND.L d1, d0            ; keep only S
        MOVE.L d0, (result).L
        STOP #0x2700

        .org 0x500
result: .space 4
        .entry start
