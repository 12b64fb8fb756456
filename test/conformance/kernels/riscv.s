# A small RISC-V kernel in GNU syntax, built with riscv64-unknown-elf-as -march=rv32i_zicsr and
# riscv64-unknown-elf-ld (riscv.ld), run by test/conformance/qemu-kernels.test.ts on isavirt's
# riscv.isa (bare machine and trap-and-emulate monitor) and on qemu-system-riscv32 -machine virt
# -bios none; the three console outputs must be the same bytes.
#
# M-mode: point mtvec at the trap handler, set mepc to the user program and MPP to U (RISC-V
# Privileged Spec 1.12, 3.1.6.1, 3.3.2), enter U-mode with MRET. U-mode: print a message and the
# digits of a sum through ECALL (a7 = 1: write the byte in a0; a7 = 93: exit with code a0). The
# handler checks mcause = 8 (environment call from U-mode, P 3.1.15), serves the call, steps mepc
# past the ECALL and returns with MRET.
#
# The console is the virt machine's 16550 UART: its transmit register at 0x10000000 (QEMU
# hw/riscv/virt.c, virt_memmap[VIRT_UART0]); exit writes FINISHER_PASS (0x5555) to the test
# finisher at 0x100000 (virt_memmap[VIRT_TEST]; include/hw/misc/sifive_test.h), then waits in
# WFI (riscv.isa stops there: no interrupt is modelled).

        .option norvc
        .option norelax
        .equ UART, 0x10000000
        .equ FINISHER, 0x100000
        .equ PASS, 0x5555

        .text
        .globl _start
_start: la t0, trap
        csrw mtvec, t0
        la a0, banner
        call kputs                    # the kernel prints in M-mode
        la t0, user
        csrw mepc, t0
        li t0, 0x1800                 # mstatus.MPP
        csrc mstatus, t0              # MPP = U
        mret                          # to U-mode at `user`

# kputs: print the zero-terminated string at a0 (M-mode; t1, t2 scratch).
kputs:  li t2, UART
1:      lbu t1, 0(a0)
        beqz t1, 2f
        sb t1, 0(t2)
        addi a0, a0, 1
        j 1b
2:      ret

        .balign 4
trap:   csrr t0, mcause
        li t1, 8                      # environment call from U-mode
        bne t0, t1, fatal
        li t1, 1
        beq a7, t1, sys_write
        li t1, 93
        beq a7, t1, sys_exit
fatal:  la a0, bad
        call kputs
        j stop
sys_write:
        li t2, UART
        sb a0, 0(t2)
        csrr t0, mepc
        addi t0, t0, 4                # past the ECALL
        csrw mepc, t0
        mret
sys_exit:
        mv s1, a0
        la a0, bye
        call kputs
        li t2, UART
        addi t1, s1, '0'
        sb t1, 0(t2)
        li t1, '\n'
        sb t1, 0(t2)
stop:   li t2, FINISHER
        li t1, PASS
        sw t1, 0(t2)
3:      wfi
        j 3b

# ---- U-mode ----
user:   la s0, hello
4:      lbu a0, 0(s0)
        beqz a0, 5f
        li a7, 1
        ecall
        addi s0, s0, 1
        j 4b
5:      li s2, 0                      # sum 1..20 = 210, printed in decimal
        li s3, 1
        li s4, 21
6:      add s2, s2, s3
        addi s3, s3, 1
        bne s3, s4, 6b
        li s5, 100                    # hundreds, then tens, by repeated subtraction (no M extension)
7:      li s6, 0
8:      bltu s2, s5, 9f
        sub s2, s2, s5
        addi s6, s6, 1
        j 8b
9:      addi a0, s6, '0'
        li a7, 1
        ecall
        li t0, 10
        beq s5, t0, 10f
        mv s5, t0
        j 7b
10:     addi a0, s2, '0'
        li a7, 1
        ecall
        li a0, '\n'
        li a7, 1
        ecall
        li a0, 0
        li a7, 93
        ecall
        j .

        .section .rodata
banner: .asciz "riscv kernel: M-mode, mtvec set\n"
hello:  .asciz "hello from U-mode via ecall\nsum 1..20 = "
bye:    .asciz "exit "
bad:    .asciz "unexpected trap\n"
