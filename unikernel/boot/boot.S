# Sortie unikernel boot code: multiboot v1 entry (32-bit protected mode, paging off),
# identity-mapped page tables (first 4 GiB in 2 MiB pages), long mode, SSE, the IDT with
# one stub per vector 0-47, then kmain(magic, info) in Swift. Never returns.
# Assembled with GNU as (--64); the 32-bit part uses .code32.

    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x00000003          # bit 0: modules page aligned, bit 1: memory map
    .set STACK_SIZE, 0x40000           # 256 KiB

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .text.boot, "ax"
    .code32
    .globl _start
_start:
    cli
    cld
    movl %eax, %esi                    # multiboot magic
    movl %ebx, %edi                    # multiboot info (physical address)
    movl $boot_stack_top, %esp

    # Zero the PML4 and the PDPT, then point PML4[0] -> PDPT, PDPT[0..3] -> the four PDs.
    # (ACPI tables sit at the top of low RAM: below 4 GiB, above 1 GiB with 2 GiB of RAM.)
    xorl %eax, %eax
    movl $pml4, %ebx
    movl $2048, %ecx
1:  movl %eax, (%ebx)
    addl $4, %ebx
    loop 1b
    movl $pdpt, %eax
    orl $0x3, %eax
    movl %eax, pml4
    movl $pd, %eax
    orl $0x3, %eax
    movl %eax, pdpt
    addl $0x1000, %eax
    movl %eax, pdpt + 8
    addl $0x1000, %eax
    movl %eax, pdpt + 16
    addl $0x1000, %eax
    movl %eax, pdpt + 24
    # PDs: 2048 entries of 2 MiB, present | writable | page size.
    movl $pd, %ebx
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax
    movl %eax, (%ebx,%ecx,8)
    movl $0, 4(%ebx,%ecx,8)
    incl %ecx
    cmpl $2048, %ecx
    jne 2b

    # CR4: PAE (5), OSFXSR (9), OSXMMEXCPT (10).
    movl %cr4, %eax
    orl $0x620, %eax
    movl %eax, %cr4
    movl $pml4, %eax
    movl %eax, %cr3
    # EFER.LME
    movl $0xC0000080, %ecx
    rdmsr
    orl $0x100, %eax
    wrmsr
    # CR0: PG (31), PE (0), MP (1) on; EM (2) off.
    movl %cr0, %eax
    andl $~0x4, %eax
    orl $0x80000003, %eax
    movl %eax, %cr0
    lgdt gdt_desc
    ljmp $0x08, $long_mode

    .code64
long_mode:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movl %esi, %r12d                   # multiboot magic (zero-extended)
    movl %edi, %r13d                   # multiboot info
    movq $boot_stack_top, %rsp
    xorq %rbp, %rbp
    fninit

    # IDT: 48 interrupt gates (selector 0x08, present, DPL 0, type 0xE).
    leaq idt(%rip), %rdi
    leaq isr_table(%rip), %rdx
    movl $48, %ecx
3:  movq (%rdx), %rax
    movw %ax, (%rdi)
    movw $0x08, 2(%rdi)
    movw $0x8E00, 4(%rdi)
    shrq $16, %rax
    movw %ax, 6(%rdi)
    shrq $16, %rax
    movl %eax, 8(%rdi)
    movl $0, 12(%rdi)
    addq $16, %rdi
    addq $8, %rdx
    decl %ecx
    jnz 3b
    lidt idt_desc(%rip)

    movl %r12d, %edi                   # kmain(magic, info)
    movl %r13d, %esi
    call kmain
5:  cli
    hlt
    jmp 5b

# Interrupt stubs: push a dummy error code where the CPU pushes none, then the vector.
.macro ISR_NOERR n
isr\n:
    pushq $0
    pushq $\n
    jmp isr_common
.endm
.macro ISR_ERR n
isr\n:
    pushq $\n
    jmp isr_common
.endm

ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR 8
ISR_NOERR 9
ISR_ERR 10
ISR_ERR 11
ISR_ERR 12
ISR_ERR 13
ISR_ERR 14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR 17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR 21
ISR_NOERR 22
ISR_NOERR 23
ISR_NOERR 24
ISR_NOERR 25
ISR_NOERR 26
ISR_NOERR 27
ISR_NOERR 28
ISR_ERR 29
ISR_ERR 30
ISR_NOERR 31
.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
ISR_NOERR \n
.endr

# Saves the general registers and the SSE state, calls kernel_interrupt(frame), restores.
isr_common:
    pushq %rax
    pushq %rcx
    pushq %rdx
    pushq %rbx
    pushq %rbp
    pushq %rsi
    pushq %rdi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rbp
    subq $512, %rsp
    andq $-16, %rsp
    fxsave (%rsp)
    movq %rbp, %rdi
    cld
    call kernel_interrupt
    fxrstor (%rsp)
    movq %rbp, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rdi
    popq %rsi
    popq %rbp
    popq %rbx
    popq %rdx
    popq %rcx
    popq %rax
    addq $16, %rsp
    iretq

    .section .rodata
    .align 8
isr_table:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .quad isr\n
.endr

    .align 16
gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF           # 0x08: 64-bit code
    .quad 0x00CF92000000FFFF           # 0x10: data
gdt_end:
    .align 4
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .align 16
idt_desc:
    .word 48 * 16 - 1
    .quad idt

    .section .bss
    .align 4096
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4 * 4096
    .align 16
idt:  .skip 48 * 16
    .align 16
boot_stack: .skip STACK_SIZE
    .globl boot_stack_top
boot_stack_top:
