; redpill.s — Rutkowska's "red pill" (2004): a user program that reads the IDTR with SIDT.
;
; What it shows: SIDT is sensitive but not privileged (Robin & Irvine 2000, "sensitive register
; instructions"; 80386 PRM
; chapter 17, SIDT: usable at any CPL). A monitor must keep the real IDTR pointing at its own IDT,
; so SIDT tells a user program where the real one is.
;
; The kernel installs its IDT at 0x2000 (LIDT), with a trap-back gate for INT 0x80 (an interrupt
; gate, DPL 3, to `handler` at 0x1200 in the kernel code segment 0x08), loads DS and ES with the
; user data segment 0x23, and enters the user program at ring 3 with a far RET to an outer level
; (user code 0x1B, user stack 0x23:0x60000; the GDT is the one the reset state builds at 0x500).
; The user program stores the IDTR with SIDT at `pill` (0x1300), copies the IDT base to `base`
; (0x1308) and returns to the kernel with INT 0x80, whose handler halts.
;
; Expected difference:
; - bare machine: `base` holds 0x2000, the kernel's IDT.
; - trap-and-emulate monitor, which owns the real IDTR (by default it keeps the IDTR it booted
;   with, base 0; `--monitor-control IDTR=0x7f0007ff` puts its IDT at 0x7f00): LIDT traps and is
;   emulated, so only the virtual IDTR is 0x2000; SIDT does not trap and stores the real IDTR, so
;   `base` holds 0x0 (or 0x7f00): the user program sees a foreign IDT base and knows it runs in a
;   virtual machine. The INT 0x80 that follows goes through the monitor's (empty) IDT and
;   faults; the monitor reflects the #GP to the kernel's gate 13, which halts. (A monitor that
;   passes the guest's IDTR through to the real register, `--guest-control`, shows no
;   difference: the pill detects monitors that own their IDT.)

        .kernel
        .org 0x1000
start:  LIDT [idtr]             ; the kernel's IDT (privileged: emulated under a monitor)
        MOV eax, 0x23
        MOV ds, eax             ; user data segment, usable at ring 3
        MOV es, eax
        PUSH 0x23               ; user SS
        PUSH 0x60000            ; user ESP
        PUSH 0x1b               ; user CS (RPL 3)
        PUSH user               ; user EIP
        RETF                    ; to ring 3

user:   SIDT [pill]             ; the red pill
        MOV eax, [pill+2]       ; the IDT base
        MOV [base], eax
        INT 0x80                ; back to the kernel

        .org 0x1200
handler: HLT

        .org 0x1300
pill:   .space 8
base:   .space 4
        ; IDTR image for LIDT: limit 0x07ff, base 0x00002000 (little-endian bytes)
idtr:   .word 0xff, 0x07, 0x00, 0x20, 0x00, 0x00

        ; gate 13 (#GP) at 0x2000 + 13 * 8: the same handler, DPL 0, so a fault also ends the run
        .org 0x2068
gate13: .word 0x00, 0x12, 0x08, 0x00, 0x00, 0x8e, 0x00, 0x00

        ; gate 0x80 at 0x2000 + 0x80 * 8: offset 0x00001200, selector 0x0008, P = 1, DPL = 3,
        ; type 0xE (386 interrupt gate) — PRM 9.5, figure 9-3
        .org 0x2400
gate80: .word 0x00, 0x12, 0x08, 0x00, 0x00, 0xee, 0x00, 0x00
