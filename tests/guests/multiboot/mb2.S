/*
 * Sortie test kernel: multiboot2 header, linked first into kernel-mb2.elf.
 * Architecture 0 (i386, protected mode); only the end tag, so the boot
 * loader loads the ELF by its program headers and always passes the
 * command line tag (type 1).
 */
#define MB2_MAGIC 0xE85250D6
#define MB2_ARCH  0

    .section .multiboot, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long MB2_ARCH
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + MB2_ARCH + (mb2_header_end - mb2_header))
    /* end tag */
    .balign 8
    .short 0
    .short 0
    .long 8
mb2_header_end:

    .section .note.GNU-stack, "", @progbits
