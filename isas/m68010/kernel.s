; A small MC68010 kernel that runs identically on the bare machine and under a trap-and-emulate
; monitor: every instruction that reads or writes the system byte of SR is privileged on the
; 68010 (PRM, MOVE from SR), so the monitor sees and emulates each of them.
;
; The kernel sets the user stack pointer (MOVE USP), enters user state at `user` with RTE through a
; hand-built format-0 frame, the user program computes 21 + 21, reads only its condition codes
; (MOVE CCR) and calls the kernel with TRAP #0; the handler records the status register it
; sees with MOVE SR (supervisor state: 0x2000) and stops.
;
; Bare machine and monitor alike: answer = 42, sr_seen = 0x00002000 (low word: S = 1).

        .kernel
        .org 0x80                     ; vector 32: TRAP #0
        .word 0x00, 0x00, 0x06, 0x00  ; handler at 0x600

        .org 0x400
start:  MOVEA.L #0x70000, a0
        MOVE a0, USP                  ; privileged: the user stack
        MOVE.L #0x08000000, d0        ; frame, high half: PC low word 0x0800, format 0
        MOVE.L d0, -(a7)
        MOVEQ #0, d0                  ; frame, low half: SR 0x0000 (user), PC high word 0
        MOVE.L d0, -(a7)
        RTE                           ; privileged: to user state at 0x800

        .org 0x600
handler: MOVE SR, d2                  ; privileged on the 68010: trapped and emulated
        MOVE.L d2, (sr_seen).L
        STOP #0x2700

        .user
        .org 0x800
user:   MOVEQ #21, d1
        ADD.L d1, d1
        MOVE.L d1, (answer).L
        MOVE CCR, d3                  ; unprivileged, reads only X N Z V C
        TRAP #0

        .org 0x900
answer: .space 4
sr_seen: .space 4
        .entry start
