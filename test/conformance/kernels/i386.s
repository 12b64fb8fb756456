# A small 386 kernel in GNU syntax (Intel), built with `as --32` and `ld -m elf_i386` (i386.ld),
# run by test/conformance/qemu-kernels.test.ts on isavirt's x86-386.isa (bare machine and
# trap-and-emulate monitor) and on qemu-system-i386 -kernel (the multiboot loader); the three
# console outputs must be the same bytes. Only the instruction forms x86-386.isa models are used
# (32-bit operands, [disp32] and [reg+disp32] addressing: `{disp32}` makes GNU keep the long form).
#
# Multiboot (specification 0.6.96, 3.1.1 and 3.2): the header below; the loader enters at _start in
# 32-bit protected mode, paging off, with EAX = 0x2BADB002, flat 4 GiB code and data segments at
# offset 0, IF clear, and ESP, GDTR and IDTR undefined. The kernel checks EAX, sets its own stack,
# GDT (the same layout as x86-386.isa's reset GDT: null, ring-0 code 0x08 and data 0x10, ring-3
# code 0x1B and data 0x23, TSS 0x28), an IDT whose vector 0x80 is a DPL-3 interrupt gate, and a
# TSS whose ring-0 stack the interrupt switches to (80386 PRM 7.2, 9.6.1), then enters ring 3 with
# IRET (PRM 6.3.4, 17 IRET). The user program prints through INT 0x80 (EAX = 1: the byte in EBX;
# EAX = 2: exit with code EBX).
#
# Console: QEMU's debugcon at I/O port 0xE9 (hw/char/debugcon.c: iobase 0xe9; it takes one-byte
# writes only, `out 0xe9, al`: a four-byte `out 0xe9, eax` prints nothing in QEMU 7.2). Exit: QEMU's isa-debug-exit device at port 0xF4
# with iosize 4 (hw/misc/debugexit.c: the process exits with (value << 1) | 1); then HLT, where
# x86-386.isa's machine stops.

        .intel_syntax noprefix
        .equ CONSOLE, 0xe9
        .equ EXIT, 0xf4

        .text
        .balign 4
multiboot:
        .long 0x1badb002                 # magic
        .long 0                          # flags
        .long -0x1badb002                # checksum: magic + flags + checksum = 0

        .globl _start
_start: mov esp, offset kstack_top
        mov esi, offset nomb
        cmp eax, 0x2badb002
        jne 1f
        mov esi, offset mbok
1:      call kputs
        lgdt [gdtr]
        jmp 0x08:2f                      # reload CS from the new GDT
2:      mov eax, 0x10
        mov ds, eax
        mov es, eax
        mov fs, eax
        mov gs, eax
        mov ss, eax
        mov esp, offset kstack_top
        # The TSS descriptor: base tss, limit 0x67, type 0x89 (available 32-bit TSS), DPL 0.
        mov eax, offset tss
        mov ebx, eax
        shl eax, 16
        or eax, 0x67
        mov dword ptr [gdt + 0x28], eax
        mov eax, ebx
        shr eax, 16
        and eax, 0xff
        and ebx, 0xff000000
        or ebx, eax
        or ebx, 0x8900
        mov dword ptr [gdt + 0x2c], ebx
        mov eax, 0x28
        ltr ax
        # The TSS's ring-0 stack: ESP0 at offset 4, SS0 at offset 8 (PRM figure 7-1).
        mov eax, offset kstack_top
        mov dword ptr [tss + 4], eax
        mov eax, 0x10
        mov dword ptr [tss + 8], eax
        # IDT vector 0x80: selector 0x08, offset syscall, P = 1, DPL = 3, 32-bit interrupt gate.
        mov eax, offset syscall
        mov ebx, eax
        and eax, 0xffff
        or eax, 0x00080000
        mov dword ptr [idt + 0x400], eax
        and ebx, 0xffff0000
        or ebx, 0xee00
        mov dword ptr [idt + 0x404], ebx
        lidt [idtr]
        mov esi, offset tables
        call kputs
        # To ring 3: the user data segment in DS and ES (IRET would null ring-0 ones), then
        # SS, ESP, EFLAGS, CS, EIP for IRET.
        mov eax, 0x23
        mov ds, eax
        mov es, eax
        push 0x23
        push offset ustack_top
        pushfd
        push 0x1b
        push offset user
        iret

# kputs: print the zero-terminated string at ESI (ring 0), four bytes a load.
kputs:  {disp32} mov edx, dword ptr [esi + 0]
        mov ecx, 4
3:      mov eax, edx
        and eax, 0xff
        je 4f
        out CONSOLE, al
        shr edx, 8
        dec ecx
        jne 3b
        add esi, 4
        jmp kputs
4:      ret

# The system call gate (ring 0, interrupts off).
syscall:
        cmp eax, 1
        je 5f
        cmp eax, 2
        je 6f
        mov esi, offset bad
        call kputs
        jmp 7f
5:      mov eax, ebx
        out CONSOLE, al
        iretd
6:      mov edi, ebx
        mov esi, offset bye
        call kputs
        mov eax, edi
        add eax, 0x30
        out CONSOLE, al
        mov eax, 10
        out CONSOLE, al
        mov eax, edi
7:      out EXIT, eax
        hlt

# ---- ring 3 ----
user:   mov esi, offset hello
8:      {disp32} mov edx, dword ptr [esi + 0]
        mov ecx, 4
9:      mov ebx, edx
        and ebx, 0xff
        je 10f
        mov eax, 1
        int 0x80
        shr edx, 8
        dec ecx
        jne 9b
        add esi, 4
        jmp 8b
10:     mov ecx, 1                       # sum 1..20 = 210, printed in decimal with DIV
        xor eax, eax
11:     add eax, ecx
        inc ecx
        cmp ecx, 21
        jne 11b
        mov esi, 3
        mov edi, offset digits + 8
12:     xor edx, edx
        mov ecx, 10
        div ecx
        add edx, 0x30
        {disp32} mov dword ptr [edi + 0], edx
        sub edi, 4
        dec esi
        jne 12b
        mov esi, 3
        mov edi, offset digits
13:     {disp32} mov ebx, dword ptr [edi + 0]
        mov eax, 1
        int 0x80
        add edi, 4
        dec esi
        jne 13b
        mov ebx, 10
        mov eax, 1
        int 0x80
        mov ebx, 0
        mov eax, 2
        int 0x80
14:     jmp 14b

        .data
        .balign 8
gdt:    .quad 0
        .quad 0x00cf9a000000ffff         # 0x08 ring-0 code, base 0, limit 4 GiB
        .quad 0x00cf92000000ffff         # 0x10 ring-0 data
        .quad 0x00cffa000000ffff         # 0x18 ring-3 code
        .quad 0x00cff2000000ffff         # 0x20 ring-3 data
        .quad 0                          # 0x28 TSS, filled in
gdtr:   .word 0x2f
        .long gdt
        .balign 4
idtr:   .word 0x7ff
        .long idt
        .balign 4
digits: .long 0, 0, 0
mbok:   .asciz "386 kernel: multiboot ok\n"
        .balign 4
nomb:   .asciz "386 kernel: no multiboot magic\n"
        .balign 4
tables: .asciz "GDT, IDT, TSS loaded; to ring 3\n"
        .balign 4
hello:  .asciz "hello from ring 3 via int 0x80\nsum 1..20 = "
        .balign 4
bye:    .asciz "exit "
        .balign 4
bad:    .asciz "unknown system call\n"

        .bss
        .balign 8
idt:    .space 2048
tss:    .space 104
        .balign 16
        .space 1024
kstack_top:
        .space 512
ustack_top:
