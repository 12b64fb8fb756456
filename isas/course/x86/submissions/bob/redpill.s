; Bob's attempt: plain arithmetic behaves the same everywhere, so this cannot tell.
        .kernel
        .org 0x1000
start:  MOV eax, 5
        ADD eax, eax
        MOV [result], eax
        HLT
        .org 0x1100
result: .space 4
