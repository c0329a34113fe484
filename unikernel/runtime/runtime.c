// Sortie unikernel: the C library symbols Embedded Swift needs (memory functions, putchar,
// arc4random_buf, ceil); posix_memalign and free call the Swift heap (Sources/Memory/Heap.swift).
#include <stdint.h>
#include <stddef.h>
#include "shim.h"

void *memset(void *dst, int c, size_t n) {
    void *d = dst;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    void *d = dst;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) :: "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d <= s || d >= s + n) return memcpy(dst, src, n);
    d += n - 1;
    s += n - 1;
    __asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

void serial_write_byte(uint8_t byte) {
    while ((inb(0x3F8 + 5) & 0x20) == 0) cpu_pause();
    outb(0x3F8, byte);
}

int putchar(int c) {
    if (c == '\n') serial_write_byte('\r');
    serial_write_byte((uint8_t)c);
    return c;
}

// A xorshift generator seeded from the TSC: hash seeds, TCP initial sequence numbers, DHCP
// transaction ids (not for cryptography).
static uint64_t random_state;

static uint64_t random_next(void) {
    if (random_state == 0) random_state = cpu_rdtsc() | 1;
    random_state ^= random_state << 13;
    random_state ^= random_state >> 7;
    random_state ^= random_state << 17;
    return random_state;
}

void arc4random_buf(void *buf, size_t n) {
    unsigned char *p = buf;
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(random_next() >> 24);
}

uint32_t kernel_random32(void) {
    random_state ^= cpu_rdtsc();
    return (uint32_t)(random_next() >> 16);
}

// qemu64 has no SSE4.1 roundsd, which the compiler would use for ceil.
double ceil(double x) {
    if (!(x == x) || x >= 4503599627370496.0 || x <= -4503599627370496.0) return x;
    long long i = (long long)x;
    double d = (double)i;
    return (d < x) ? d + 1.0 : d;
}

void *heap_allocate(size_t size, size_t alignment);
void heap_release(void *pointer);

int posix_memalign(void **result, size_t alignment, size_t size) {
    *result = heap_allocate(size, alignment);
    return 0;
}

void free(void *pointer) { heap_release(pointer); }
