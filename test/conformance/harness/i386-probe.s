# What QEMU's i386 Linux user mode fixes for a CPL-3 program, written to stdout: GDTR and IDTR
# (SGDT, SIDT: limit then base), the machine status word (SMSW r32), LDTR and TR (SLDT, STR), the
# six segment selectors (ES, CS, SS, DS, FS, GS), EFLAGS (PUSHFD), then the GDT and the IDT
# themselves, which QEMU keeps in the guest's memory. The co-simulation seeds x86-386.isa's state
# with these (test/conformance/lib/x86.ts).
        .intel_syntax noprefix
        .text
        .globl _start
_start:
        sgdt [env]
        sidt [env+8]
        smsw eax
        mov [env+16], eax
        sldt eax
        mov [env+20], eax
        str eax
        mov [env+24], eax
        mov word ptr [env+28], es
        mov word ptr [env+32], cs
        mov word ptr [env+36], ss
        mov word ptr [env+40], ds
        mov word ptr [env+44], fs
        mov word ptr [env+48], gs
        pushfd
        pop dword ptr [env+52]
        mov eax, 4
        mov ebx, 1
        mov ecx, offset env
        mov edx, 56
        int 0x80
        mov eax, 4
        mov ebx, 1
        mov ecx, dword ptr [env+2]
        movzx edx, word ptr [env]
        inc edx
        int 0x80
        mov eax, 4
        mov ebx, 1
        mov ecx, dword ptr [env+10]
        movzx edx, word ptr [env+8]
        inc edx
        int 0x80
        mov eax, 1
        xor ebx, ebx
        int 0x80
        .data
env:    .space 56
