/*
 * Sortie test kernel: a tiny freestanding 32-bit kernel used as a guest in
 * Sortie's tests. Linked three ways by build.sh (multiboot v1 header,
 * multiboot2 header, no header at all); this file is the shared body.
 *
 * On COM1 (0x3F8, 115200 8N1) it prints
 *     SORTIE-TEST-KERNEL cmdline=[<command line, verbatim>]
 *     SORTIE-TEST-OK
 * and powers the machine off through ACPI (0xB004 and 0x604, value 0x2000).
 *
 * Words in the command line (whole, space-separated) change that:
 *     noprint  print nothing at all, just power off
 *     crash    print the cmdline line, then SORTIE-TEST-CRASHING, then
 *              triple-fault (empty IDT + int3)
 *     hang     print the cmdline line, then halt forever (cli; hlt, no power off)
 * Precedence: noprint, then crash, then hang.
 *
 * Built with: gcc -m32 -ffreestanding -nostdlib (no libc, no libgcc).
 */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;

#define MB1_BOOTLOADER_MAGIC 0x2BADB002u
#define MB2_BOOTLOADER_MAGIC 0x36D76289u
#define MB1_INFO_CMDLINE (1u << 2)
#define MB2_TAG_END 0u
#define MB2_TAG_CMDLINE 1u

#define COM1 0x3F8

static inline void outb(u16 port, u8 val)
{
    __asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline void outw(u16 port, u16 val)
{
    __asm__ volatile("outw %0, %1" : : "a"(val), "Nd"(port));
}

static inline u8 inb(u16 port)
{
    u8 val;
    __asm__ volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
    return val;
}

static void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* no interrupts */
    outb(COM1 + 3, 0x80); /* DLAB on */
    outb(COM1 + 0, 0x01); /* divisor 1 = 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* DLAB off, 8 bits, no parity, 1 stop bit */
    outb(COM1 + 2, 0xC7); /* FIFO on, cleared, 14-byte threshold */
    outb(COM1 + 4, 0x03); /* DTR + RTS */
}

static void serial_putc(char c)
{
    /* Wait (bounded) for the transmit holding register to be empty. */
    for (u32 i = 0; i < 1000000u && !(inb(COM1 + 5) & 0x20); i++)
        ;
    outb(COM1, (u8)c);
}

static void serial_puts(const char *s)
{
    while (*s)
        serial_putc(*s++);
}

/* Does the NUL-terminated string s contain word as a whole space-separated word? */
static int has_word(const char *s, const char *word)
{
    while (*s) {
        while (*s == ' ')
            s++;
        const char *w = word;
        const char *p = s;
        while (*w && *p == *w) {
            p++;
            w++;
        }
        if (*w == '\0' && (*p == ' ' || *p == '\0'))
            return 1;
        while (*s && *s != ' ')
            s++;
    }
    return 0;
}

static const char *find_cmdline(u32 magic, u32 info)
{
    if (magic == MB1_BOOTLOADER_MAGIC) {
        const u32 *mbi = (const u32 *)info;
        if (mbi[0] & MB1_INFO_CMDLINE)
            return (const char *)mbi[4];
    } else if (magic == MB2_BOOTLOADER_MAGIC) {
        /* u32 total_size, u32 reserved, then 8-byte aligned tags. */
        u32 total = *(const u32 *)info;
        u32 off = 8;
        while (off + 8 <= total) {
            const u32 *tag = (const u32 *)(info + off);
            if (tag[0] == MB2_TAG_END)
                break;
            if (tag[0] == MB2_TAG_CMDLINE)
                return (const char *)(tag + 2);
            if (tag[1] < 8)
                break;
            off += (tag[1] + 7u) & ~7u;
        }
    }
    return "";
}

static void __attribute__((noreturn)) halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

static void __attribute__((noreturn)) power_off(void)
{
    outw(0xB004, 0x2000); /* Bochs / old QEMU PIIX4 PM1a_CNT */
    outw(0x604, 0x2000);  /* QEMU pc and q35: PM1a_CNT, SLP_EN, SLP_TYP=0 */
    halt_forever();
}

static void __attribute__((noreturn)) triple_fault(void)
{
    static const struct __attribute__((packed)) {
        u16 limit;
        u32 base;
    } empty_idt = {0, 0};
    __asm__ volatile("cli; lidt %0; int3" : : "m"(empty_idt));
    halt_forever();
}

void __attribute__((noreturn)) kmain(u32 magic, u32 info)
{
    const char *cmdline = find_cmdline(magic, info);

    if (has_word(cmdline, "noprint"))
        power_off();

    serial_init();
    serial_puts("SORTIE-TEST-KERNEL cmdline=[");
    serial_puts(cmdline);
    serial_puts("]\n");

    if (has_word(cmdline, "crash")) {
        serial_puts("SORTIE-TEST-CRASHING\n");
        triple_fault();
    }
    if (has_word(cmdline, "hang"))
        halt_forever(); /* idle, interrupts off: never powers off */

    serial_puts("SORTIE-TEST-OK\n");
    power_off();
}
