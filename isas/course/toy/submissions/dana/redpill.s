; Dana's red pill: GETMODE reads the mode bit without trapping on the original machine.
        .kernel
        .org 0x10
start:  GETMODE r0
        STORE r0, [0x40]        ; 1 on the bare machine, 0 under the monitor
        HALT
