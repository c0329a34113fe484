/*
 * Sortie test kernel: multiboot (v1) header, linked first into kernel.elf.
 * Plain ELF loading (flag bit 16 clear): the boot loader uses the ELF
 * program headers. Flags: bit 0 page-align modules, bit 1 memory info.
 */
#define MB1_MAGIC 0x1BADB002
#define MB1_FLAGS 0x00000003

    .section .multiboot, "a"
    .balign 4
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long -(MB1_MAGIC + MB1_FLAGS)

    .section .note.GNU-stack, "", @progbits
