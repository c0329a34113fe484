// Sortie unikernel: the C side the Swift kernel imports (bridging header).
// Port I/O, CPU control and memory-ordering helpers as static inline functions,
// plus the few symbols defined by the boot code and runtime.c.
#ifndef SORTIE_UNIKERNEL_SHIM_H
#define SORTIE_UNIKERNEL_SHIM_H

#include <stdint.h>
#include <stddef.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t cpu_rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t cpu_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline void cpu_cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void cpu_sti(void) { __asm__ volatile("sti" ::: "memory"); }
/// Enables interrupts and halts until the next one, atomically (no wake-up is lost).
static inline void cpu_sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void cpu_hlt_forever(void) { for (;;) __asm__ volatile("cli; hlt"); }
static inline void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }
/// A compiler barrier: memory accesses are not moved across it (x86 keeps stores in order).
static inline void memory_barrier(void) { __asm__ volatile("mfence" ::: "memory"); }
/// Loads the IDT with limit 0 and raises an exception: a triple fault, the CPU resets.
static inline void cpu_triple_fault(void) {
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idt = {0, 0};
    __asm__ volatile("lidt %0; int3" :: "m"(idt));
}

static inline uint16_t volatile_load16(const void *p) { return *(const volatile uint16_t *)p; }
static inline void volatile_store16(void *p, uint16_t v) { *(volatile uint16_t *)p = v; }

/// The first byte after the kernel image and its .bss (page aligned), from the linker script.
extern char _kernel_end[];
static inline uintptr_t kernel_end_address(void) { return (uintptr_t)_kernel_end; }

/// 32 pseudo-random bits (xorshift seeded from the TSC; for sequence numbers and ids, not keys).
uint32_t kernel_random32(void);

/// Writes one byte to COM1 (waits for the transmitter).
void serial_write_byte(uint8_t byte);

#endif
