# Sortie probe kernel: the smallest useful multiboot (v1) guest, a flat
# binary loaded at 1 MiB through the header's a.out kludge (flag bit 16),
# so no ELF parsing is needed. Embedded in Sortie as probeKernelBytes
# (see gen-swift.sh / ProbeKernel.swift.txt) to check that a boot path
# works end to end. It:
#   1. loads its own flat GDT (the boot loader's GDTR may be invalid);
#   2. enables SSE (CR0.EM=0, CR0.MP=1, CR4.OSFXSR|OSXMMEXCPT) and
#      executes ldmxcsr on a stored 0x1F80;
#   3. does an iret to the next instruction (push eflags, cs, eip);
#   4. writes "SORTIE-PROBE-OK\n" to COM1 (0x3F8, 115200 8N1);
#   5. powers off via ACPI (0x2000 to ports 0xB004 and 0x604), then
#      halts forever.
# Plain GNU as syntax (no C preprocessor): as --32 probe.S.

    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x00010000          # bit 16: address fields are valid
    .set COM1, 0x3F8
    .set STACK_SIZE, 256

    .code32
    .section .text
    .globl _start
_start:                                 # linked at 0x100000
mb_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long mb_header                     # header_addr
    .long _start                        # load_addr
    .long load_end                      # load_end_addr
    .long bss_end                       # bss_end_addr (stack lives there)
    .long entry                         # entry_addr

entry:
    cli
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl $bss_end, %esp

    # SSE on: CR0.EM (bit 2) off, CR0.MP (bit 1) on,
    # CR4.OSFXSR (bit 9) and CR4.OSXMMEXCPT (bit 10) on.
    movl %cr0, %eax
    andl $~0x4, %eax
    orl $0x2, %eax
    movl %eax, %cr0
    movl %cr4, %eax
    orl $0x600, %eax
    movl %eax, %cr4
    ldmxcsr mxcsr

    # iret to the next instruction.
    pushfl
    pushl %cs
    pushl $2f
    iret
2:
    # COM1: no interrupts, 115200 baud (divisor 1), 8N1, FIFO on.
    movw $COM1+1, %dx
    xorb %al, %al
    outb %al, %dx                       # IER = 0
    movw $COM1+3, %dx
    movb $0x80, %al
    outb %al, %dx                       # LCR: DLAB
    movw $COM1, %dx
    movb $1, %al
    outb %al, %dx                       # DLL = 1
    incw %dx
    xorb %al, %al
    outb %al, %dx                       # DLM = 0
    movw $COM1+3, %dx
    movb $0x03, %al
    outb %al, %dx                       # LCR: 8N1
    decw %dx
    movb $0xC7, %al
    outb %al, %dx                       # FCR: FIFO on and cleared

    movl $msg, %esi
    movl $msg_len, %ecx
3:  movw $COM1+5, %dx
4:  inb %dx, %al                        # wait for THR empty
    testb $0x20, %al
    jz 4b
    movw $COM1, %dx
    lodsb
    outb %al, %dx
    loop 3b

    # ACPI S5: SLP_EN with SLP_TYP 0 on PM1a_CNT (Bochs/old QEMU, then
    # QEMU pc/q35 with SeaBIOS's PM base 0x600).
    movw $0x2000, %ax
    movw $0xB004, %dx
    outw %ax, %dx
    movw $0x604, %dx
    outw %ax, %dx
5:  cli
    hlt
    jmp 5b

    .balign 8
gdt:
    .quad 0                             # null
    .quad 0x00CF9A000000FFFF            # 0x08: code, flat 4 GiB, 32-bit
    .quad 0x00CF92000000FFFF            # 0x10: data, flat 4 GiB
gdt_desc:
    .word gdt_desc - gdt - 1
    .long gdt
mxcsr:
    .long 0x1F80
msg:
    .ascii "SORTIE-PROBE-OK\n"
    .set msg_len, . - msg
    .balign 4
load_end:
    .set bss_end, load_end + STACK_SIZE

    .section .note.GNU-stack, "", @progbits
