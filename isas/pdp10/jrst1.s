; JRST 1 is sensitive but not privileged (Popek and Goldberg 1974, section 5).
;
; The guest kernel points the trap cell 41 at its handler and returns to "user mode" with
; JRST 1. The user program records that it ran, then reads the console switches with DATAI,
; which is illegal in user mode (DEC PDP-10 SRM 2.9).
;
; Bare machine: JRST 1 sets the User flag; DATAI traps to 40/41, the kernel's handler stores the
;   trap's number (1, illegal_in_user) in `result` and halts. result = 1, ran = 1.
; Trap-and-emulate monitor: the guest kernel already runs in user mode, so JRST 1 is an ordinary
;   jump that never reaches the monitor, whose virtual mode stays executive. The DATAI then traps
;   to the monitor, which emulates it as the (virtual) executive mode allows; the user program
;   carries on and stores 2. result = 2, ran = 1: the two runs diverge.

        .kernel
        .org 0x21
        .word handler           ; cell 41: "JSR handler" (only the address is used)

        .org 0x100
start:  JRST1 user(ac0)         ; return to user mode
handler: .word 0                ; the trap entry stores the old PC word here
        MOVE ac2, 0x20(ac0)     ; the trap's number, stored in cell 40
        MOVEM ac2, result(ac0)
        HALT 0(ac0)

        .user
        .org 0x200
user:   MOVEI ac3, 1(ac0)
        MOVEM ac3, ran(ac0)     ; record that the user program ran
        DATAI 0, switches(ac0)  ; illegal in user mode: traps natively
        MOVEI ac3, 2(ac0)
        MOVEM ac3, result(ac0)  ; reached only when DATAI did not trap
        HALT 0(ac0)
ran:    .word 0
result: .word 0
switches: .word 0
        .entry start
