; Erin's attempt: never looks at the mode.
        .kernel
        .org 0x10
start:  LOADI r0, 7
        STORE r0, [0x40]
        HALT
