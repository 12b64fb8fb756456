# A small RISC-V kernel that runs identically on the bare machine and under a trap-and-emulate
# monitor: every instruction that reads or writes privileged state is a CSR access to a
# supervisor or machine CSR, MRET or WFI, and all of them raise the illegal-instruction exception
# below their privilege level (RISC-V Privileged Spec 1.12, 2.1 and 3.3), so the monitor sees and
# emulates each one.
#
# The kernel (M-mode) points mtvec at its handler, sets mepc to the user program and MPP to U, and
# enters U-mode with MRET. The user program computes 21 + 21, stores it, and calls the kernel with
# ECALL; the handler stores mcause (8: environment call from U-mode) and stops with WFI.
#
# Bare machine and monitor alike: word 0x1300 = 8 (mcause), word 0x1304 = 42.

        .kernel
        .org 0x1000
start:  li t0, handler               # 0x1100: lui t0, 1; addi t0, t0, 0x100
        csrrw zero, mtvec, t0         # mtvec = handler
        li t1, user                   # 0x1200: lui t1, 1; addi t1, t1, 0x200
        csrrw zero, mepc, t1          # mepc = user
        li t2, 0x1800                 # the MPP field: lui t2, 2; addi t2, t2, -2048
        csrrc zero, mstatus, t2       # MPP = U
        mret                          # to U-mode at `user`

        .org 0x1100
handler: csrrs t3, mcause, zero       # t3 = mcause
        lui t4, 1
        sw t3, 0x300(t4)
        wfi

        .user
        .org 0x1200
user:   li a0, 21
        add a0, a0, a0
        lui t5, 1
        sw a0, 0x304(t5)
        ecall
        .entry start
