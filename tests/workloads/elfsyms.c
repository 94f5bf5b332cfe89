// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Built twice (PIE and non-PIE) for the symbolizer tests: prints the runtime
 * addresses of functions with known names, including an assembly label with
 * no size and a function in a dlopen()ed shared library, then waits on stdin.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

#define noinline __attribute__((noinline, noclone))

noinline int elf_alpha(int x)
{
	return x * 3 + 1;
}

noinline int elf_beta(int x)
{
	return elf_alpha(x) * 7;
}

/* A zero-size symbol, as hand-written assembly often has. */
__asm__(".text\n"
	".globl elf_asm_label\n"
	".type elf_asm_label, @function\n"
	"elf_asm_label:\n"
	"\tnop\n\tnop\n\tnop\n\tnop\n\tret\n");
void elf_asm_label(void);

int main(int argc, char **argv)
{
	void *lib = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;
	void *shared = lib ? dlsym(lib, "lt_shared_func") : NULL;
	char c;

	printf("elf_alpha %p\nelf_beta %p\nelf_asm_label %p\nlt_shared_func %p\n",
	       (void *)elf_alpha, (void *)elf_beta, (void *)elf_asm_label, shared);
	fflush(stdout);
	if (read(0, &c, 1) < 0)
		return 1;
	return elf_beta(argc);
}
