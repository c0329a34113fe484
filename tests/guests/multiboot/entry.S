/*
 * Sortie test kernel: 32-bit entry point shared by all variants.
 * The boot loader (multiboot v1 or v2) jumps here in protected mode with
 * paging off, EAX = boot loader magic, EBX = physical address of the boot
 * information. We set up a stack and call kmain(magic, info).
 */
    .section .text
    .code32
    .globl _start
    .type _start, @function
_start:
    cli
    cld
    movl $stack_top, %esp
    pushl $0                /* terminate frame chain for debuggers */
    movl %esp, %ebp
    pushl %ebx              /* info  */
    pushl %eax              /* magic */
    call kmain
1:  cli
    hlt
    jmp 1b
    .size _start, . - _start

    .section .bss
    .balign 16
stack_bottom:
    .skip 16384
stack_top:

    .section .note.GNU-stack, "", @progbits
