; Alice's red pill: the RPL bits of CS are the current privilege level, and reading CS never traps.
        .kernel
        .org 0x1000
start:  MOV eax, cs
        AND eax, 3
        MOV [rpl], eax          ; 0 on the bare machine, 3 under the monitor
        HLT
        .org 0x1100
rpl:    .space 4
