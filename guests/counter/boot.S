/*
 * Entry point of the counter guest. A multiboot (v1) loader, here QEMU's `-kernel`, loads the ELF at 1 MiB and
 * jumps to _start in 32-bit protected mode with paging and interrupts off, EAX = 0x2BADB002 and EBX = the physical
 * address of the multiboot information (memory size, command line). The loader's GDT may be anywhere, so we load
 * our own flat one before anything uses a segment register, then call kmain(magic, info) in counter.c.
 */
        .set MB_MAGIC, 0x1BADB002
        .set MB_FLAGS, 0x00000003          /* bit 0: page-align modules, bit 1: give us the memory size */

        .section .multiboot, "a"           /* must lie within the first 8 KiB of the file (linker.ld puts it first) */
        .align 4
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        .section .bss
        .align 16
stack_bottom:
        .skip 16384
stack_top:

        .section .rodata
        .align 8
gdt:    .quad 0                            /* 0x00: null */
        .quad 0x00CF9A000000FFFF           /* 0x08: code, base 0, limit 4 GiB, ring 0 */
        .quad 0x00CF92000000FFFF           /* 0x10: data, base 0, limit 4 GiB, ring 0 */
gdt_ptr:
        .word gdt_ptr - gdt - 1
        .long gdt

        .section .text
        .global _start
_start:
        cli
        lgdt gdt_ptr
        ljmp $0x08, $1f                    /* reload CS from our GDT */
1:      mov $0x10, %cx
        mov %cx, %ds
        mov %cx, %es
        mov %cx, %fs
        mov %cx, %gs
        mov %cx, %ss
        mov $stack_top, %esp
        push %ebx                          /* kmain(magic, info) */
        push %eax
        call kmain
2:      cli                                /* kmain does not return; if it did, stop here */
        hlt
        jmp 2b

/* IRQ 0 (the PIT, remapped to vector 0x20): count the tick, acknowledge it at the PIC, return to the HLT loop. */
        .global irq0_entry
irq0_entry:
        pusha
        cld
        call on_timer_tick
        mov $0x20, %al
        outb %al, $0x20                    /* EOI to the master PIC */
        popa
        iret

/* Every other vector: nothing else is unmasked, so this is a CPU exception. Say so and stop. */
        .global fault_entry
fault_entry:
        cld
        call on_fault
3:      cli
        hlt
        jmp 3b

        .section .note.GNU-stack, "", @progbits   /* no executable stack wanted */
