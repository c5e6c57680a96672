/*
 * KVM probe firmware (stacks/detect.ts embeds the assembled bytes as PROBE_CODE_HEX).
 * Loaded by QEMU as a 64 KiB BIOS at 0xF0000; the reset vector jumps to _start at offset 0.
 * It walks the way a kernel boots - real mode -> protected mode -> PAE paging -> long mode -
 * then writes 1 to the isa-debug-exit port 0xf4, so QEMU exits with status 3. On nested hosts
 * where /dev/kvm opens but guests hang, this never exits (measured: TCG 140 ms, broken KVM
 * hits the timeout), while a real-mode-only probe passes.
 *
 * Rebuild: as --32 -o p.o tools/kvm-probe.S && ld -m elf_i386 -Ttext 0 --oformat binary -o p.bin p.o
 *          && xxd -p p.bin | tr -d '\n'   (test/stacks/detect.test.ts checks the bytes match)
 */
.set BASE, 0xF0000
.code16
.globl _start
_start:
  cli
  lgdtl %cs:(gdtr - _start)
  mov %cr0, %eax
  or $1, %eax                    /* PE */
  mov %eax, %cr0
  ljmpl $0x08, $(BASE + pm32 - _start)
.code32
pm32:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov $0x1000, %edi              /* page tables in RAM at 0x1000-0x3fff */
  xor %eax, %eax
  mov $0xC00, %ecx
  rep stosl
  movl $0x2003, 0x1000           /* PML4[0] -> PDPT */
  movl $0x3003, 0x2000           /* PDPT[0] -> PD */
  movl $0x83, 0x3000             /* PD[0] -> 2 MiB identity page */
  mov %cr4, %eax
  or $0x20, %eax                 /* PAE */
  mov %eax, %cr4
  mov $0x1000, %eax
  mov %eax, %cr3
  mov $0xC0000080, %ecx          /* EFER.LME */
  rdmsr
  or $0x100, %eax
  wrmsr
  mov %cr0, %eax
  or $0x80000000, %eax           /* PG */
  mov %eax, %cr0
  ljmp $0x18, $(BASE + lm64 - _start)
.code64
lm64:
  mov $1, %al
  out %al, $0xf4                 /* isa-debug-exit: QEMU exits with (1 << 1) | 1 = 3 */
1: hlt
  jmp 1b
.balign 8
gdt:
  .quad 0
  .quad 0x00cf9a000000ffff       /* 0x08 code32 */
  .quad 0x00cf92000000ffff       /* 0x10 data */
  .quad 0x00af9a000000ffff       /* 0x18 code64 */
gdtr:
  .word 31
  .long BASE + gdt - _start
