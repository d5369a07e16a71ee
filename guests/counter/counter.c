/*
 * counter: Reservoir's smallest test guest. A freestanding 32-bit multiboot kernel (no libc, no OS) that
 *
 *   - prints `counter: boot cmdline=<the kernel command line>` and its settings on COM1 (0x3f8), then
 *   - prints `counter=N` (N = 1, 2, 3, ...) every `interval-ms` milliseconds, timed by the PIT at 100 Hz,
 *   - and before each line writes to every 4 KiB page of `dirty-mib` MiB of RAM, so live migration and
 *     checkpoints have a known dirty rate (a page counts as dirty once any byte of it is written),
 *   - sleeping in HLT in between: an idle counter costs the host almost no CPU.
 *
 * Command line words (anything else is ignored, so a Reservoir broker may add its own `reservoir.*` words):
 *   dirty-mib=N      MiB dirtied per tick (default 0); capped at the RAM above the image
 *   interval-ms=N    milliseconds between lines (default 100; rounded to the 10 ms PIT tick, at least one tick)
 *
 * A tick that comes due while the previous one still dirties memory is dropped, not queued: N counts lines, and
 * the time between two lines is never less than interval-ms.
 */
#include <stdint.h>

#define COM1 0x3f8
#define PIT_HZ 100u
#define PIT_INPUT_HZ 1193182u
#define PAGE 4096u
#define MIB (1024u * 1024u)

/* The part of the multiboot information structure we read (multiboot specification 0.6.96, section 3.3). */
struct multiboot_info {
    uint32_t flags;      /* bit 0: mem_lower/mem_upper valid; bit 2: cmdline valid */
    uint32_t mem_lower;  /* KiB below 1 MiB */
    uint32_t mem_upper;  /* KiB from 1 MiB up to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;    /* physical address of a NUL-terminated string */
};

struct idt_entry {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t zero;
    uint8_t type_attr;
    uint16_t offset_high;
} __attribute__((packed));

struct idt_ptr {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

extern char _end[];            /* linker.ld: end of the loaded image */
extern void irq0_entry(void);  /* boot.S */
extern void fault_entry(void); /* boot.S */

static struct idt_entry idt[256];
static volatile uint32_t ticks;

/* ------------------------------------------------------------------------------------------- port I/O */

static inline void outb(uint16_t port, uint8_t value) { __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }

static inline uint8_t inb(uint16_t port) {
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

/* ------------------------------------------------------------------------------------- serial console */

static void serial_init(void) {
    outb(COM1 + 1, 0x00); /* no UART interrupts: we poll */
    outb(COM1 + 3, 0x80); /* DLAB on to set the divisor */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8 bits, no parity, one stop bit */
    outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
    outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void serial_putc(char c) {
    while ((inb(COM1 + 5) & 0x20) == 0) { /* wait for an empty transmit register */
    }
    outb(COM1, (uint8_t)c);
}

static void serial_puts(const char *s) {
    for (; *s; s++) {
        if (*s == '\n') serial_putc('\r');
        serial_putc(*s);
    }
}

/* 32-bit only: a 64-bit division would need libgcc's __udivdi3, which a -m32 freestanding build does not link. */
static void serial_putu(uint32_t n) {
    char buf[11];
    int i = 10;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    serial_puts(&buf[i]);
}

/* ------------------------------------------------------------------------------------------ command line */

/* The value of `key=` as a word of cmdline, or `fallback` when absent or not a number. */
static uint32_t cmdline_uint(const char *cmdline, const char *key, uint32_t fallback) {
    for (const char *p = cmdline; p && *p;) {
        while (*p == ' ') p++;
        const char *k = key, *w = p;
        while (*k && *w == *k) k++, w++;
        if (*k == 0 && *w == '=' && w[1] >= '0' && w[1] <= '9') {
            uint32_t v = 0;
            for (w++; *w >= '0' && *w <= '9'; w++) v = v * 10 + (uint32_t)(*w - '0');
            if (*w == 0 || *w == ' ') return v;
        }
        while (*p && *p != ' ') p++;
    }
    return fallback;
}

/* ------------------------------------------------------------------------------- interrupts and timer */

static void idt_set(int vector, void (*handler)(void)) {
    uint32_t a = (uint32_t)handler;
    idt[vector] = (struct idt_entry){(uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16)}; /* present, ring 0, 32-bit gate */
}

/* Remaps the two 8259 PICs to vectors 0x20-0x2f (away from the CPU exceptions) and unmasks IRQ 0 only. */
static void pic_init(void) {
    outb(0x20, 0x11), outb(0xa0, 0x11); /* ICW1: initialise, ICW4 follows */
    outb(0x21, 0x20), outb(0xa1, 0x28); /* ICW2: vector offsets */
    outb(0x21, 0x04), outb(0xa1, 0x02); /* ICW3: slave on IRQ 2 */
    outb(0x21, 0x01), outb(0xa1, 0x01); /* ICW4: 8086 mode */
    outb(0x21, 0xfe), outb(0xa1, 0xff); /* masks: IRQ 0 only */
}

/* PIT channel 0, mode 2 (rate generator), at PIT_HZ. */
static void pit_init(void) {
    uint32_t divisor = (PIT_INPUT_HZ + PIT_HZ / 2) / PIT_HZ;
    outb(0x43, 0x34);
    outb(0x40, (uint8_t)divisor);
    outb(0x40, (uint8_t)(divisor >> 8));
}

static void interrupts_init(void) {
    for (int v = 0; v < 256; v++) idt_set(v, fault_entry);
    idt_set(0x20, irq0_entry);
    struct idt_ptr ptr = {sizeof idt - 1, (uint32_t)idt};
    __asm__ volatile("lidt %0" : : "m"(ptr));
    pic_init();
    pit_init();
}

void on_timer_tick(void) { ticks++; }

void on_fault(void) { serial_puts("counter: unexpected CPU exception, halted\n"); }

/* ---------------------------------------------------------------------------------------------- main */

/* Writes one word in each page of [base, base + bytes): every page becomes dirty, and changes with n. */
static void dirty(volatile uint32_t *base, uint32_t bytes, uint32_t n) {
    for (uint32_t page = 0; page < bytes / PAGE; page++) base[page * (PAGE / 4)] = n ^ page;
}

void kmain(uint32_t magic, const struct multiboot_info *info) {
    serial_init();
    if (magic != 0x2BADB002) {
        serial_puts("counter: not started by a multiboot loader, halted\n");
        return;
    }
    const char *cmdline = (info->flags & 4) ? (const char *)info->cmdline : "";
    serial_puts("counter: boot cmdline=");
    serial_puts(cmdline);
    serial_puts("\n");

    /* RAM above the image: 1 MiB + mem_upper KiB ends it; start dirtying at the next MiB boundary after _end. */
    uint32_t base = ((uint32_t)_end + MIB - 1) & ~(MIB - 1);
    uint32_t top = (info->flags & 1) ? MIB + info->mem_upper * 1024u : base;
    uint32_t free_mib = top > base ? (top - base) / MIB : 0;
    uint32_t dirty_mib = cmdline_uint(cmdline, "dirty-mib", 0);
    uint32_t interval_ms = cmdline_uint(cmdline, "interval-ms", 100);
    uint32_t interval_ticks = interval_ms * PIT_HZ / 1000;
    if (interval_ticks == 0) interval_ticks = 1;
    if (dirty_mib > free_mib) {
        serial_puts("counter: dirty-mib=");
        serial_putu(dirty_mib);
        serial_puts(" is more than the ");
        serial_putu(free_mib);
        serial_puts(" MiB free; using that\n");
        dirty_mib = free_mib;
    }
    serial_puts("counter: memory=");
    serial_putu(top / MIB);
    serial_puts(" MiB dirty-mib=");
    serial_putu(dirty_mib);
    serial_puts(" interval-ms=");
    serial_putu(interval_ticks * 1000 / PIT_HZ);
    serial_puts("\n");

    interrupts_init();
    uint32_t n = 0, due = interval_ticks;
    for (;;) {
        /* STI takes effect after the next instruction, so no tick can slip in between and leave us asleep. */
        __asm__ volatile("sti; hlt; cli");
        if ((int32_t)(ticks - due) < 0) continue;
        n++;
        dirty((volatile uint32_t *)base, dirty_mib * MIB, n);
        serial_puts("counter=");
        serial_putu(n);
        serial_puts("\n");
        due += interval_ticks;
        if ((int32_t)(ticks - due) >= 0) due = ticks + interval_ticks; /* fell behind: drop the missed ticks */
    }
}
